goods
bids 1
