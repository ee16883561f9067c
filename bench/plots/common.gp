# Shared by every plot script: the output format and file come from the command line,
#   gnuplot -e "fmt='svg'; out='bcrypt'" bcrypt.gp        (run in bench/plots/)
# and the data files live in data/ (written by bench/run_results.sh).
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") {
  set terminal svg size width, height dynamic enhanced font "Helvetica,12" background rgb "white"
} else {
  set terminal pngcairo size width, height enhanced font "Helvetica,10" background rgb "white"
}
set output out . "." . fmt
set datafile separator "\t"
set datafile missing "-"
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set key top left
rn_color = "#1f77b4"
ns_color = "#ff7f0e"
