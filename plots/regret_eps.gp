# regret_eps.gp -- time-averaged regret R(T)/T against the verification
# flip rate eps (Prop. 3(b), App. I): a line per mechanism (mean over
# replicas, shaded +- the 95 % confidence half-width), one picture per T,
# and Prop. 3(b)'s bound 3 sqrt(ln N / (2T)) + 2 eps as a dashed black line
# when the script knows N and T (coord_N, coord_T).
#
# Set before this text (truthsim plot writes them in the script's header):
#   datafile  TSV: column 1 = eps; series i has its mean in column 2i and its
#             95 % CI half-width in column 2i+1 ("NaN" = no value)
#   outbase   output name without extension: writes outbase.png, outbase.svg
#   plot_title, x_label, y_label    strings
#   nseries   number of series; arrays stitle[i] (legend), scolor[i]
#             ("#rrggbb"), spt[i] (gnuplot point type), sdt[i] (dash type),
#             i = 1..nseries; point_every: a mark every so many rows
#   show_key  1 = legend (outside, right of the plot), 0 = none
#   x_tics    optional: the eps values as a tic list "0, 0.05, 0.1"
#   coord_N, coord_T   optional: the picture's N and T (for the bound)

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
has_bound = exists("coord_N") && exists("coord_T")
bound(e) = has_bound ? 3 * sqrt(log(coord_N) / (2.0 * coord_T)) + 2 * e : NaN
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
             with linespoints lw 2 dt sdt[i] pi point_every pt spt[i] ps 1.1 lc rgb scolor[i] title stitle[i], \
         datafile using 1:(bound($1)) with lines dt 2 lw 2 lc rgb "#000000" \
             title (has_bound ? "Prop. 3(b): 3 sqrt(ln N/2T) + 2ε" : "")
    unset output
}
