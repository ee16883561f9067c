# bcrypt cost against connects/s (left) and connect latency p50 (right), both brokers,
# distinct credentials (every connection a new user) and 10 shared credentials (a reconnect
# storm of known clients), with the auth pool's hashing capacity from ringnats-passwd --bench.
width = 1100; height = 460
out = "bcrypt"
load "common.gp"
set multiplot layout 1,2 title "bcrypt cost: connects/s and connect latency (8 connects in flight)"
set xlabel "bcrypt cost"
set xrange [3.5:11.5]
set xtics 1
set logscale y
set format y "10^{%L}"
set ylabel "connects/s"
set key bottom left
plot "data/bcrypt.dat" using 1:2 with linespoints lw 2 pt 7 lc rgb rn_color title "ringnats, distinct users", \
     "" using 1:4 with linespoints lw 2 pt 5 dt 2 lc rgb rn_color title "ringnats, 10 shared", \
     "" using 1:3 with linespoints lw 2 pt 7 lc rgb ns_color title "nats-server, distinct users", \
     "" using 1:5 with linespoints lw 2 pt 5 dt 2 lc rgb ns_color title "nats-server, 10 shared", \
     "data/pool.dat" using 1:2 with lines lw 1 dt 3 lc rgb "#555555" title "auth pool capacity (ringnats-passwd --bench)"
set ylabel "connect latency p50 (ms)"
set key top left
plot "data/bcrypt.dat" using 1:6 with linespoints lw 2 pt 7 lc rgb rn_color title "ringnats, distinct users", \
     "" using 1:8 with linespoints lw 2 pt 5 dt 2 lc rgb rn_color title "ringnats, 10 shared", \
     "" using 1:7 with linespoints lw 2 pt 7 lc rgb ns_color title "nats-server, distinct users", \
     "" using 1:9 with linespoints lw 2 pt 5 dt 2 lc rgb ns_color title "nats-server, 10 shared"
unset multiplot
