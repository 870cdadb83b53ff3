goods 2
bids 1
% café
0 5 0 #
