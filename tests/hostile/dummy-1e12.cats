goods 2
bids 1
dummy 1000000000000
0 5 0 #
