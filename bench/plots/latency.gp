# Request/reply latency percentiles: closed loop without auth, 2,000 req/s with a bcrypt
# user, and the same while a cost-11 connect storm (8 in flight) runs beside it.
width = 1000; height = 480
out = "latency"
load "common.gp"
set title "Request/reply latency percentiles"
set logscale y
set ylabel "latency (us, log)"
set format y "10^{%L}"
set xlabel "percentile"
set key outside right
set xrange [-0.3:4.3]
plot "data/latency.dat" using 0:2:xtic(1) with linespoints lw 2 pt 7 lc rgb rn_color title "ringnats, closed loop", \
     "" using 0:3 with linespoints lw 2 pt 7 lc rgb ns_color title "nats-server, closed loop", \
     "" using 0:4 with linespoints lw 2 pt 5 dt 2 lc rgb rn_color title "ringnats, 2k/s", \
     "" using 0:5 with linespoints lw 2 pt 5 dt 2 lc rgb ns_color title "nats-server, 2k/s", \
     "" using 0:6 with linespoints lw 3 pt 9 dt 4 lc rgb rn_color title "ringnats, 2k/s + bcrypt storm", \
     "" using 0:7 with linespoints lw 3 pt 9 dt 4 lc rgb ns_color title "nats-server, 2k/s + bcrypt storm"
