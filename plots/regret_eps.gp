# regret_eps.gp -- time-averaged regret R(T)/T against the verification
# flip rate eps (Prop. 3(b), App. I): a line per mechanism (mean over
# replicas, shaded +- the 95 % confidence half-width), one picture per T,
# and Prop. 3(b)'s bound 3 sqrt(ln N / (2T)) + 2 eps as a dashed black line
# when the script knows N and T (coord_N, coord_T).
#
# Set before this text (truthsim plot writes them in the script's header):
#   datafile  TSV: column 1 = eps; series i has its mean in column 2i and its
#             95 % CI half-width in column 2i+1 ("NaN" = no value)
#   outbase   output name without extension: writes outbase.png, .svg, .pdf
#   formats   the pictures to draw: "png svg pdf" or a part; width, height
#   plot_title, x_label, y_label    strings
#   nseries   number of series; arrays stitle[i] (legend), scolor[i]
#             ("#rrggbb"), spt[i] (point type), sdt[i] (dash type), sps[i]
#             (point size), i = 1..nseries; pint: a marker every pint points
#   draw_cmd  set here: the plot command of one panel, lines sfirst..slast;
#             plots/frame.gp (appended after this text) sets the terminals,
#             title, legend and panels and evals it
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
set xlabel x_label
set ylabel y_label
has_bound = exists("coord_N") && exists("coord_T")
bound(e) = has_bound ? 3 * sqrt(log(coord_N) / (2.0 * coord_T)) + 2 * e : NaN
set style fill transparent solid 0.18 noborder

draw_cmd = 'plot for [i=sfirst:slast] datafile ' . \
    'using 1:(column(2*i)-column(2*i+1)):(column(2*i)+column(2*i+1)) ' . \
    'with filledcurves lc rgb scolor[i] notitle, ' . \
    'for [i=sfirst:slast] datafile using 1:(column(2*i)) ' . \
    'with linespoints lw 2 pi pint pt spt[i] ps sps[i] dt sdt[i] lc rgb scolor[i] title stitle[i], ' . \
    'datafile using 1:(bound($1)) with lines dt 2 lw 2 lc rgb "#000000" ' . \
    'title (has_bound ? "Prop. 3(b): 3 sqrt(ln N/2T) + 2ε" : "") '
