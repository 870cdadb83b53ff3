% nothing
% here
