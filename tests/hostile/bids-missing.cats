goods 2
0 5 0 #
