goods 2
bids 1
bids 1
0 5 0 #
