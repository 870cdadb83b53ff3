goods ²
bids 0
