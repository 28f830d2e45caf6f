/* cli_plot.c -- the `truthsim plot` subcommand (SPEC §5 figures).
 *
 *     truthsim plot OUT.h5 [-o DIR] [--no-render] [--format LIST]
 *                          [--size WxH] [--facet AXIS|auto|none]
 *
 * Parses the command line with argp and calls ts_plot_file (src/results/plot.c).
 * stdout lists the pictures written (each .png and .svg, one path a line),
 * so scripts can collect them; everything else goes to stderr.  gnuplot is
 * looked up in PATH, which is read here: the library reads no environment. */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/sandbox.h"
#include "results/plot.h"

extern char **environ;

typedef struct plot_args {
    const char *file;
    const char *out_dir;
    int no_render;
    const char *formats;
    int width, height;
    const char *facet;
} plot_args;

enum { OPT_NO_RENDER = 256, OPT_FORMAT, OPT_SIZE, OPT_FACET };

/* "800x560": two whole numbers of pixels within 100..20000. */
static int parse_size(const char *arg, int *w, int *h)
{
    char *end;
    long a = strtol(arg, &end, 10);
    if (end == arg || (*end != 'x' && *end != 'X'))
        return -1;
    const char *q = end + 1;
    long b = strtol(q, &end, 10);
    if (end == q || *end || a < 100 || b < 100 || a > 20000 || b > 20000)
        return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
    plot_args *a = state->input;
    switch (key) {
    case 'o':
        a->out_dir = arg;
        return 0;
    case OPT_NO_RENDER:
        a->no_render = 1;
        return 0;
    case OPT_FORMAT: {
        unsigned mask;
        if (ts_plot_formats_parse(arg, &mask) != 0)
            argp_error(state, "--format %s: give a comma-separated list of "
                       "png, svg, pdf", arg);
        a->formats = arg;
        return 0;
    }
    case OPT_SIZE:
        if (parse_size(arg, &a->width, &a->height) != 0)
            argp_error(state, "--size %s: give WIDTHxHEIGHT in pixels, each "
                       "within 100..20000 (e.g. 800x560)", arg);
        return 0;
    case OPT_FACET:
        a->facet = arg;
        return 0;
    case ARGP_KEY_ARG:
        if (a->file)
            argp_error(state, "one result file at a time (got '%s' and '%s')",
                       a->file, arg);
        a->file = arg;
        return 0;
    case ARGP_KEY_END:
        if (!a->file)
            argp_error(state, "no result file given");
        return 0;
    default:
        return ARGP_ERR_UNKNOWN;
    }
}

static int check_in_child(void *ctx, ts_sandbox *sb, ts_err *e)
{
    (void)sb;
    return ts_plot_check(ctx, e);
}

/* The result file may come from anyone: refuse what is not HDF5, then let
 * a limited child read it first (cli/sandbox.h), so a file that crashes
 * or hangs libhdf5 ends in one line, not a signal. */
static int read_untrusted(const char *file, ts_err *e)
{
    long long size = 0;
    int rc = ts_sandbox_sniff(file, &size, e);
    if (!rc)
        rc = ts_sandbox_run(file, check_in_child, (void *)file,
                            ts_sandbox_timeout(size), ts_sandbox_as_limit(size),
                            NULL, e);
    return rc;
}

int ts_cli_plot(int argc, char **argv)
{
    return ts_cli_plot_stop(argc, argv, NULL);
}

int ts_cli_plot_stop(int argc, char **argv, const volatile sig_atomic_t *stop)
{
    static const struct argp_option options[] = {
        {"output-dir", 'o', "DIR", 0,
         "Write the files into DIR (default: the directory of OUT.h5; "
         "created if missing)", 0},
        {"no-render", OPT_NO_RENDER, NULL, 0,
         "Write the .tsv data and .gp scripts only, do not run gnuplot "
         "(stdout then lists the scripts)", 0},
        {"format", OPT_FORMAT, "LIST", 0,
         "Pictures to draw: a comma-separated list of png, svg, pdf "
         "(default png,svg)", 0},
        {"size", OPT_SIZE, "WxH", 0,
         "Picture size in pixels (default 800x560; pdf at 72 pixels to the "
         "inch)", 0},
        {"facet", OPT_FACET, "AXIS", 0,
         "Split the lines of a picture into panels, one per value of AXIS "
         "(e.g. epsilon); 'auto' (default) does so past 8 lines, by the "
         "swept axis with the most values; 'none' never", 0},
        {NULL, 0, NULL, 0, NULL, 0},
    };
    static const char doc[] =
        "Draw the figures of a result file of `truthsim run`, `replay`, "
        "`best-response -O` or `overtake`."
        "\v"
        "For each picture the file calls for, writes into DIR: STEM.tsv (the "
        "data; a header comment names the columns), STEM.gp (a complete "
        "gnuplot script: run `gnuplot STEM.gp` in DIR to redraw or restyle "
        "it) and, by running gnuplot from PATH, STEM.png and STEM.svg (and STEM.pdf, as --format says).  STEM "
        "is NAME_KIND[_MECHANISM...], NAME being the experiment's name.\n\n"
        "Pictures: time_avg_regret (R(T)/T against T, log scale, one curve "
        "per mechanism and swept value, 95 % CI band; Figs. 6-9) when T is "
        "swept; share_traj and weight_traj (shares and weights of each worker "
        "against the slot, one picture per mechanism; Figs. 2-5) when the "
        "experiment records trajectories (and regret_traj, R(t) against the "
        "slot); for a `truthsim replay` file, regret (R(t) of every mechanism "
        "in it) and final_share (each worker's final share, a line per "
        "mechanism), or a single replay's share trajectories.  Every line has its own colour, "
        "marker and dash; bounds are dashed black; the legend sits below the "
        "picture, or in a cell of its own when there are panels.\n\n"
        "Text from the result file (names, labels, attributes) is only ever "
        "written into the scripts as single-quoted gnuplot strings, which "
        "gnuplot does not expand, and numbers only as parsed numbers.\n\n"
        "Without gnuplot, the data and scripts are still written (exit 0).  "
        "A file that cannot be read leaves no output behind.\n\n"
        TS_CLI_EXIT_HELP;
    const struct argp argp = {options, parse_opt, "OUT.h5", doc, NULL, NULL, NULL};

    /* argp names the program after argv[0] in usage and errors */
    char **av = malloc(((size_t)argc + 1) * sizeof *av);
    if (!av) {
        fprintf(stderr, "truthsim plot: out of memory\n");
        return TS_EXIT_SOFTWARE;
    }
    av[0] = (char *)"truthsim plot";
    for (int k = 1; k < argc; k++)
        av[k] = argv[k];
    av[argc] = NULL;
    plot_args a = {NULL, NULL, 0, NULL, 800, 560, "auto"};
    error_t perr = argp_parse(&argp, argc, av, 0, NULL, &a);
    free(av);
    if (perr)
        return 64; /* EX_USAGE, as argp's own exits */

    ts_plot_opts o;
    ts_plot_opts_init(&o);
    o.out_dir = a.out_dir;
    o.render = !a.no_render;
    o.formats = a.formats;
    o.width = a.width;
    o.height = a.height;
    o.facet = a.facet;
    o.path = getenv("PATH");
    o.envp = environ;
    o.stop = stop;

    ts_err e;
    ts_err_clear(&e);
    ts_plot_out out;
    if (read_untrusted(a.file, &e) != TS_OK ||
        ts_plot_file(a.file, &o, &out, &e) != TS_OK) {
        fprintf(stderr, "truthsim plot: %s\n", e.msg);
        return ts_cli_exit_code(e.code);
    }
    if (out.n == 0) {
        char kinds[512];
        ts_plot_kinds_describe(kinds, sizeof kinds);
        fprintf(stderr, "truthsim plot: %s: nothing to plot (looked for %s)\n",
                a.file, kinds);
    } else if (out.rendered) {
        for (size_t q = 0; q < out.n; q++) {
            const char *f[3] = {out.pic[q].png, out.pic[q].svg, out.pic[q].pdf};
            for (int k = 0; k < 3; k++)
                if (f[k])
                    printf("%s\n", f[k]);
        }
    } else if (out.gnuplot_missing) {
        fprintf(stderr, "truthsim plot: gnuplot not found on PATH; wrote the "
                "data (.tsv) and gnuplot scripts (.gp) of %zu picture%s in %s "
                "(draw one there with: gnuplot %s)\n", out.n,
                out.n == 1 ? "" : "s", out.dir,
                strrchr(out.pic[0].gp, '/') ? strrchr(out.pic[0].gp, '/') + 1
                                            : out.pic[0].gp);
    } else {
        for (size_t q = 0; q < out.n; q++)
            printf("%s\n", out.pic[q].gp);
    }
    int rc = fflush(stdout) == 0 ? 0 : 1;
    if (rc)
        fprintf(stderr, "truthsim plot: cannot write to stdout\n");
    ts_plot_out_fini(&out);
    return rc;
}
