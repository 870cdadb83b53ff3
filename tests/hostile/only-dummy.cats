goods 2
bids 1
dummy 1
0 5 2 #
