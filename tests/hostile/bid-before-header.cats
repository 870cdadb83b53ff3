0 5 0 #
goods 2
bids 1
