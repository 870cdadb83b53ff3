goods 2
bids 1
dummy 2
0 5 0 2 3 #
