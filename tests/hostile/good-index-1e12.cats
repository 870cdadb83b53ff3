goods 2
bids 1
dummy 0
0 5 1000000000000 #
