goods 2
bids 1
dummy 0
0 1e-400 0 #
