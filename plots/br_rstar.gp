# br_rstar.gp -- single-slot best response r*(q) against the belief q
# (SPEC §4 best-response, §5 Props. 1, 3(a), Lemmas 2, 4): a line per
# mechanism, and the diagonal r = q (truthful reporting) dashed black.
# Points off the diagonal are profitable misreports; the band is the
# dataset's _ci (0 for r*, whose search is deterministic).
#
# Set before this text (truthsim plot writes them in the script's header):
#   datafile  TSV: column 1 = q; series i has its mean in column 2i and its
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
set xlabel x_label
set ylabel y_label
set style fill transparent solid 0.18 noborder

draw_cmd = 'plot x with lines dt 2 lw 1.5 lc rgb "#000000" title "r = q (truthful)", ' . \
    'for [i=sfirst:slast] datafile ' . \
    'using 1:(column(2*i)-column(2*i+1)):(column(2*i)+column(2*i+1)) ' . \
    'with filledcurves lc rgb scolor[i] notitle, ' . \
    'for [i=sfirst:slast] datafile using 1:(column(2*i)) ' . \
    'with linespoints lw 2 pi pint pt spt[i] ps sps[i] dt sdt[i] lc rgb scolor[i] title stitle[i] '
