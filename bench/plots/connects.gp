# Connects per second by auth mode, both brokers (medians; log scale).
width = 1000; height = 460
out = "connects"
load "common.gp"
set title "Connects per second by auth mode (TCP + INFO + CONNECT + PING/PONG)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set ylabel "connects/s (log)"
set yrange [1:*]
set xtics rotate by -25
set key top right
plot "data/connects.dat" using 2:xtic(1) lc rgb rn_color title "ringnats", \
     "" using 3 lc rgb ns_color title "nats-server", \
     "" using 0:($2 > $3 ? $2 : $3):(sprintf("%.1fx", $4)) with labels offset 0,0.8 notitle
