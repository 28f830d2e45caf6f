# br_rstar.gp -- single-slot best response r*(q) against the belief q
# (SPEC §4 best-response, §5 Props. 1, 3(a), Lemmas 2, 4): a line per
# mechanism, and the diagonal r = q (truthful reporting) dashed black.
# Points off the diagonal are profitable misreports; the band is the
# dataset's _ci (0 for r*, whose search is deterministic).
#
# Set before this text (truthsim plot writes them in the script's header):
#   datafile  TSV: column 1 = q; series i has its mean in column 2i and its
#             95 % CI half-width in column 2i+1 ("NaN" = no value)
#   outbase   output name without extension: writes outbase.png, outbase.svg
#   plot_title, x_label, y_label    strings
#   nseries   number of series; arrays stitle[i] (legend), scolor[i]
#             ("#rrggbb"), spt[i] (gnuplot point type), sdt[i] (dash type),
#             i = 1..nseries; point_every: a mark every so many rows
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
set xrange [0:1]
set yrange [0:1]
set size ratio -1
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
    plot x with lines dt 2 lw 1.5 lc rgb "#000000" title "r = q (truthful)", \
         for [i=1:nseries] datafile \
             using 1:(column(2*i)-column(2*i+1)):(column(2*i)+column(2*i+1)) \
             with filledcurves lc rgb scolor[i] notitle, \
         for [i=1:nseries] datafile using 1:(column(2*i)) \
             with linespoints lw 2 dt sdt[i] pi point_every pt spt[i] ps 1.0 lc rgb scolor[i] title stitle[i]
    unset output
}
