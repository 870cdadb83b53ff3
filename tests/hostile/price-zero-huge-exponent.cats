goods 2
bids 1
dummy 0
0 0e999999 0 #
