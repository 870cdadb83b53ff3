goods 2
goods 5
bids 1
0 5 0 #
