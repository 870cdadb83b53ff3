goods 2
bids 2
0 5 0 #
1 7 0 #
