# Message throughput of both brokers per load shape (medians), ratio above each pair.
width = 1000; height = 460
out = "throughput"
load "common.gp"
set title "Messages per second (16 B payloads unless named; 2 cores shared with the load generator)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "million msgs/s"
set yrange [0:*]
set xtics rotate by -20
set key top right
plot "data/throughput.dat" using 2:xtic(1) lc rgb rn_color title "ringnats", \
     "" using 3 lc rgb ns_color title "nats-server", \
     "" using 0:($2 > $3 ? $2 : $3):(sprintf("%.2fx", $4)) with labels offset 0,0.8 notitle
