goods 1000000000
bids 1
0 5 0 #
