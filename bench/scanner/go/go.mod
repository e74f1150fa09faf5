module kcensus/bench/scanner

go 1.19
