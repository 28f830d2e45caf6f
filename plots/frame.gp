# frame.gp -- appended by truthsim plot after every picture template: the
# terminals, the title, the legend and the panels, around the template's
# draw_cmd (the plot command of one panel: lines sfirst..slast).
#
# Set before this text (truthsim plot writes them in the script's header):
#   formats        the pictures to draw: words of "png svg pdf"
#   width, height  picture size in pixels (pdf: 72 pixels to the inch)
#   plot_title     the title, already wrapped to the width
#   show_key       1 = legend, 0 = none (too many lines)
#   npanels        1: one plot, the legend below it in columns; more: a
#                  multiplot of prows x pcols panels between screen heights
#                  mp_bottom and mp_top, panel p drawing lines
#                  pfirst[p]..plast[p] under the title ptitle[p], the lines'
#                  styles alike in every panel, and the legend of panel 1
#                  drawn once below them all, key_rows rows high, centred
#                  at screen (key_x, key_y)

do for [fmt in formats] {
    if (fmt eq "png") {
        set terminal pngcairo size width,height enhanced font "DejaVu Sans,12" linewidth 1
    }
    if (fmt eq "svg") {
        set terminal svg size width,height dynamic enhanced font "DejaVu Sans,12" background "white"
    }
    if (fmt eq "pdf") {
        set terminal pdfcairo size width/72.0,height/72.0 enhanced font "DejaVu Sans,12" linewidth 1
    }
    set output outbase.".".fmt
    if (npanels <= 1) {
        set title plot_title noenhanced
        if (show_key) {
            set key outside below center horizontal Left reverse noenhanced samplen 3 spacing 1.1 width 1 height 1
        } else {
            unset key
        }
        sfirst = 1
        slast = nseries
        eval draw_cmd
    } else {
        set multiplot layout prows, pcols title plot_title noenhanced \
            margins screen mp_left, mp_right, mp_bottom, mp_top spacing screen mp_xgap, mp_ygap
        do for [p=1:npanels] {
            sfirst = pfirst[p]
            slast = plast[p]
            set title ptitle[p] noenhanced
            if (p == 1 && show_key) {
                set key at screen key_x, key_y center center vertical maxrows key_rows Left reverse noenhanced samplen 3 spacing 1.1 box lc rgb "#bbbbbb"
            } else {
                unset key
            }
            eval draw_cmd
        }
        unset multiplot
    }
    unset output
}
