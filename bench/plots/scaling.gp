# One scaling curve of bench/scaling.sh, both brokers: the first metric (medians with min-max
# error bars) on the left axis, the second (medians, dashed) on the right; x on a log scale.
#   gnuplot -e "fmt='svg'; out='scaling-fanout'; curve='fanout'; ylabel='msgs_per_sec'; \
#     y2label='server_cpu_ns_per_op'" scaling.gp          (run in bench/plots/)
width = 900; height = 460
load "common.gp"
set title sprintf("%s: ringnats vs nats-server (2 cores shared with the load generator)", curve)
set logscale x
set xlabel curve
set ylabel ylabel noenhanced
set y2label y2label noenhanced
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set key outside bottom center horizontal noenhanced
f = sprintf("data/scaling-%s.dat", curve)
plot f using 1:2:3:4 with yerrorlines lc rgb rn_color pt 7 title "ringnats ".ylabel, \
     f using 1:5:6:7 with yerrorlines lc rgb ns_color pt 5 title "nats-server ".ylabel, \
     f using 1:8 axes x1y2 with linespoints dt 2 lc rgb rn_color pt 6 title "ringnats ".y2label, \
     f using 1:9 axes x1y2 with linespoints dt 2 lc rgb ns_color pt 4 title "nats-server ".y2label
