# time_avg_regret.gp -- time-averaged regret R(T)/T against the horizon T
# (SPEC §5, Figs. 6-9): one curve per series (mechanism x the other swept
# axes), the mean over replicas as a line with points and a shaded band of
# +- the 95 % confidence half-width.  T is on a log scale.
#
# Set before this text (truthsim plot writes them in the script's header):
#   datafile  TSV: column 1 = T; series i has its mean in column 2i and its
#             95 % CI half-width in column 2i+1 ("NaN" = no value)
#   outbase   output name without extension: writes outbase.png, outbase.svg
#   plot_title, x_label, y_label    strings
#   nseries   number of series; arrays stitle[i] (legend), scolor[i]
#             ("#rrggbb"), spt[i] (gnuplot point type), sdt[i] (dash type),
#             i = 1..nseries; point_every: a mark every so many rows
#   show_key  1 = legend (outside, right of the plot), 0 = none
#   x_tics    optional: the T values as a tic list "50, 100, 200" (few T)

set encoding utf8
set datafile separator "\t"
set datafile commentschars "#"
set logscale x 10
set mxtics 10
if (exists("x_tics")) {
    eval "set xtics (" . x_tics . ")"
}
set grid xtics ytics mxtics lw 1 lc rgb "#d9d9d9", lw 1 lc rgb "#eeeeee"
set border 3 lw 1.2
set xtics nomirror
set ytics nomirror
# x: the data's own range plus a margin (no empty decade either side);
# y: always shows 0, which R(T)/T should approach (Thm. 1)
set autoscale xfix
set offsets graph 0.04, graph 0.04, graph 0.06, 0
set yrange [*<0:*]
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
             with linespoints lw 2 dt sdt[i] pi point_every pt spt[i] ps 1.1 lc rgb scolor[i] title stitle[i]
    unset output
}
