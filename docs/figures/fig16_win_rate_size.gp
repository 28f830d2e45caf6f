# fig16_win_rate_size.gp -- written by truthsim plot from fig16.h5.
# Draw it again, in this directory:  gnuplot fig16_win_rate_size.gp
# Restyle freely: the variables below feed the template that follows
# (plots/linear.gp in the truthsim sources).

if (!exists("datafile")) { datafile = "fig16_win_rate_size.tsv" }
if (!exists("outbase")) { outbase = "fig16_win_rate_size" }
plot_title = "fig16: win-rate at the last round vs model size\nmean of 2 replicas, band: 95 % CI"
x_label = "model parameters (millions)"
y_label = "win-rate"
nseries = 6
show_key = 1
x_tics = "0.141056, 0.875264"
array stitle[6] = ["median N=5", "median N=15", "median N=25", "ours N=5", "ours N=15", "ours N=25"]
array scolor[6] = ["#0072b2", "#e69f00", "#009e73", "#7f3c8d", "#d55e00", "#56b4e9"]
array spt[6] = [7, 7, 7, 5, 5, 5]

# linear.gp -- a mean with its 95 % band against a linear x (best-response
# gains against q, horizon utilities against exaggerate's kappa, ...): a
# line per series, mean over replicas shaded +- the 95 % half-width.
#
# Set before this text (truthsim plot writes them in the script's header):
#   datafile  TSV: column 1 = x; series i has its mean in column 2i and its
#             95 % CI half-width in column 2i+1 ("NaN" = no value)
#   outbase   output name without extension: writes outbase.png, outbase.svg
#   plot_title, x_label, y_label    strings
#   nseries   number of series; arrays stitle[i] (legend), scolor[i]
#             ("#rrggbb"), spt[i] (gnuplot point type), i = 1..nseries
#   show_key  1 = legend (outside, right of the plot), 0 = none
#   x_tics    optional: tic list

set encoding utf8
set datafile separator "\t"
set datafile commentschars "#"
if (exists("x_tics")) {
    eval "set xtics (" . x_tics . ")"
}
set grid xtics ytics lw 1 lc rgb "#d9d9d9"
set border 3 lw 1.2
set xtics nomirror
set ytics nomirror
set autoscale xfix
set offsets graph 0.04, graph 0.04, graph 0.06, graph 0.06
set title plot_title noenhanced
set xlabel x_label
set ylabel y_label
if (show_key) {
    set key outside right top vertical Left reverse noenhanced samplen 2.5 spacing 1.2
} else {
    unset key
}
set style fill transparent solid 0.18 noborder

do for [fmt in "png svg"] {
    if (fmt eq "png") {
        set terminal pngcairo size 800,560 enhanced font "DejaVu Sans,12" linewidth 1
    } else {
        set terminal svg size 800,560 dynamic enhanced font "DejaVu Sans,12" background "white"
    }
    set output outbase.".".fmt
    plot for [i=1:nseries] datafile \
             using 1:(column(2*i)-column(2*i+1)):(column(2*i)+column(2*i+1)) \
             with filledcurves lc rgb scolor[i] notitle, \
         for [i=1:nseries] datafile using 1:(column(2*i)) \
             with linespoints lw 2 pt spt[i] ps 1.0 lc rgb scolor[i] title stitle[i]
    unset output
}
