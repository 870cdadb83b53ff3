goods 2
bids 1
dummy 0
0 1e1000000000 0 #
