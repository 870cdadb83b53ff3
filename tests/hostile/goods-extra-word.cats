goods 5 extra
