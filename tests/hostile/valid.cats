goods 2
bids 2
0 5 0 #
1 6 0 1 #
