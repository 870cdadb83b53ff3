goods 0
bids 1
0 5 0 #
