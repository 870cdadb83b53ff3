goods -5
bids 0
