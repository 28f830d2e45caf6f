# trajectory.gp -- a per-worker quantity against the slot t (SPEC §5,
# Figs. 2-5): the shares w_i^t / sum_k w_k^t or the weights w_i^t of one
# mechanism, one line per worker (mean over replicas) with a light band of
# +- the 95 % confidence half-width.
#
# Set before this text (truthsim plot writes them in the script's header):
#   datafile  TSV: column 1 = slot t; worker i has its mean in column 2i and
#             its 95 % CI half-width in column 2i+1 ("NaN" = no value)
#   outbase   output name without extension: writes outbase.png, .svg, .pdf
#   formats   the pictures to draw: "png svg pdf" or a part; width, height
#   plot_title, x_label, y_label    strings
#   nseries   number of series; arrays stitle[i] (legend), scolor[i]
#             ("#rrggbb"), spt[i] (point type), sdt[i] (dash type), sps[i]
#             (point size), i = 1..nseries; pint: a marker every pint points
#   draw_cmd  set here: the plot command of one panel, lines sfirst..slast;
#             plots/frame.gp (appended after this text) sets the terminals,
#             title, legend and panels and evals it
#   y_min, y_max   optional: fixed y range (shares: 0 to 1)

set encoding utf8
set datafile separator "\t"
set datafile commentschars "#"
set grid xtics ytics lw 1 lc rgb "#d9d9d9"
set border 3 lw 1.2
set xtics nomirror
set ytics nomirror
# x: exactly the slots; y: a small margin so that lines at the bounds (a
# share at 0 or 1, a weight decayed to 0) stay clear of the axes
set autoscale xfix
if (exists("y_min") && exists("y_max")) {
    set yrange [y_min - 0.03*(y_max - y_min) : y_max + 0.03*(y_max - y_min)]
} else {
    set autoscale yfix
    set offsets 0, 0, graph 0.03, graph 0.03
}
set xlabel x_label
set ylabel y_label
set style fill transparent solid 0.12 noborder

draw_cmd = 'plot for [i=sfirst:slast] datafile ' . \
    'using 1:(column(2*i)-column(2*i+1)):(column(2*i)+column(2*i+1)) ' . \
    'with filledcurves lc rgb scolor[i] notitle, ' . \
    'for [i=sfirst:slast] datafile using 1:(column(2*i)) ' . \
    'with linespoints lw 2 pi pint pt spt[i] ps sps[i] dt sdt[i] lc rgb scolor[i] title stitle[i] '
