"""`truthsim plot` end to end: a result file is data, never script (issue 14
item 1), and the figures stay readable as series grow (issue 16 item 3).

Hostile files are made from a small real run by rewriting its attributes and
labels with h5py; the plot and a later `gnuplot STEM.gp` must not run the
payloads (no marker file appears) and must either draw or refuse clearly."""
import glob
import os
import re
import shutil
import struct
import subprocess

import h5py

from tsutil import main, run, tmpdir, write

D = tmpdir()
HAVE_GNUPLOT = shutil.which("gnuplot") is not None

GRID = """name: grid
description: "plot tests: mechanisms x N x epsilon over T"
feedback: full
population: bands
N: [3, 4]
m: 5
T: [20, 50]
epsilon: [0, 0.1]
mechanisms: [ours, hedge, median]
strategy: truthful
replicas: 3
seed: 1
"""

TRAJ = """name: traj
description: "plot tests: trajectories"
feedback: full
population: bands
N: 3
m: 5
T: 30
epsilon: 0
mechanisms: [ours]
strategy: truthful
trajectory: true
replicas: 3
seed: 1
"""

_made = {}


def result(name, text):
    """The result file of a tiny experiment, run once per test file."""
    if name not in _made:
        y = write(os.path.join(D, name + ".yaml"), text)
        out = os.path.join(D, name + ".h5")
        run("run", "-q", y, "-o", out)
        _made[name] = out
    return _made[name]


def copy(src, name):
    dst = os.path.join(D, name)
    shutil.copyfile(src, dst)
    return dst


def markers(tag):
    return os.path.join(D, "PWNED-" + tag)


def payloads(tag):
    """Strings that run `touch MARKER` if they ever reach gnuplot as code:
    a backquote (expanded in double-quoted strings), a quote breaking out of
    a single-quoted string, a brace and system() closing an if block, a line
    break starting a new command."""
    m = markers(tag)
    return [
        "bands `touch %s-bq`" % m,
        "x' . system('touch %s-sq') . '" % m,
        'x"; system("touch %s-dq"); y="' % m,
        "5};system(\"touch %s-brace\")#" % m,
        "line\nsystem('touch %s-nl')\n" % m,
        "back\\\nsystem('touch %s-bs')" % m,
    ]


def no_markers(tag, outdir=None):
    found = glob.glob(markers(tag) + "*")
    # relative markers (short payloads): where truthsim and gnuplot ran
    for d in (D, outdir):
        if d:
            found += glob.glob(os.path.join(d, "PN*"))
    assert not found, found


def plot_and_replay(path, outdir, tag, *extra):
    """truthsim plot, then gnuplot on every written script, in its directory."""
    p = run("plot", path, "-o", outdir, *extra, check=False, cwd=D)
    no_markers(tag, outdir)
    if p.returncode == 0 and HAVE_GNUPLOT:
        for gp in glob.glob(os.path.join(outdir, "*.gp")):
            g = subprocess.run(["gnuplot", os.path.basename(gp)], cwd=outdir,
                               capture_output=True, text=True, timeout=120)
            assert g.returncode == 0, (gp, g.stderr)
            no_markers(tag, outdir)
    return p


def set_str_attr(f, key, value):
    f.attrs[key] = value


def test_hostile_text_attributes_draw_as_text():
    # Every text the plotter reads: the root attributes of the title, the
    # name (stem), the mechanism names and display labels (legend).
    src = result("grid", GRID)
    for k, pay in enumerate(payloads("attr")):
        path = copy(src, "hostile%d.h5" % k)
        with h5py.File(path, "r+") as f:
            for key in ("population", "feedback", "strategy", "replicas",
                        "description", "name"):
                set_str_attr(f, key, pay)
            f["mechanism_label"][0] = pay
            f["mechanism"][1] = pay
        out = os.path.join(D, "hostile%d" % k)
        p = plot_and_replay(path, out, "attr")
        assert p.returncode == 0, p.stderr
        gps = glob.glob(os.path.join(out, "*.gp"))
        assert gps
        for gp in gps:
            text = open(gp).read()
            # text of the file only ever inside single quotes
            assert "`" not in re.sub(r"'(?:[^'\n]|'')*'", "", text), gp
            assert '"' + "bands `" not in text
        if HAVE_GNUPLOT:
            assert glob.glob(os.path.join(out, "*.png"))


def test_hostile_N_is_refused():
    # N reaches the script as a number: text in it is refused, never pasted.
    for name, text in (("traj", TRAJ), ("grid", GRID)):
        src = result(name, text)
        path = copy(src, "hostileN.h5")
        with h5py.File(path, "r+") as f:
            # short: the old reader kept 31 characters of N
            f.attrs["N"] = '5};system("touch PN")#'
        out = os.path.join(D, "hostileN" + name)
        p = plot_and_replay(path, out, "N")
        assert p.returncode != 0
        assert "hostileN.h5: root attribute N is not a positive number" in p.stderr, p.stderr
        assert not os.path.exists(out) or not os.listdir(out)
    src = result("grid", GRID)
    # a numeric N still draws (and reaches the script as that number)
    path = copy(src, "numN.h5")
    with h5py.File(path, "r+") as f:
        f.attrs["N"] = 7.0
    out = os.path.join(D, "numN")
    p = run("plot", path, "-o", out, "--no-render")
    text = open(glob.glob(os.path.join(out, "*regret_eps*.gp"))[0]).read()
    assert "coord_N = 7 }" in text


def test_hostile_axis_names():
    # The dimension names are the coordinate datasets' names: they reach the
    # legend, the panel titles and (as coord_NAME) variable names.
    src = result("grid", GRID)
    path = copy(src, "hostileaxes.h5")
    with h5py.File(path, "r+") as f:
        f.move("N", 'N=1;system("touch PN1");x')
        f.move("epsilon", "e`touch PN2`")
    out = os.path.join(D, "hostileaxes")
    p = plot_and_replay(path, out, "axes")
    assert p.returncode == 0, p.stderr
    gp = open(os.path.join(out, "grid_time_avg_regret.gp")).read()
    assert "'e`touch PN2`=0.1'" in gp   # shown, as text
    assert "coord_N=1" not in gp


def test_hostile_trajectory_labels():
    src = result("traj", TRAJ)
    path = copy(src, "hostiletraj.h5")
    pay = payloads("traj")[0]
    with h5py.File(path, "r+") as f:
        set_str_attr(f, "population", pay)
        f["mechanism_label"][0] = pay
    out = os.path.join(D, "hostiletraj")
    p = plot_and_replay(path, out, "traj")
    assert p.returncode == 0, p.stderr


def arrays(gp_text, name):
    m = re.search(r"^array %s\[\d+\] = \[(.*)\]$" % name, gp_text, re.M)
    assert m, name
    return [v.strip() for v in m.group(1).split(",")]


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_formats_size_and_pdf():
    src = result("grid", GRID)
    out = os.path.join(D, "fmt")
    p = run("plot", src, "-o", out, "--format", "png,svg,pdf", "--size", "640x480")
    gp = open(os.path.join(out, "grid_time_avg_regret.gp")).read()
    assert "width = 640\nheight = 480\n" in gp
    assert "formats = 'png svg pdf'" in gp
    if HAVE_GNUPLOT:
        listed = p.stdout.split()
        for ext in ("png", "svg", "pdf"):
            f = os.path.join(out, "grid_time_avg_regret." + ext)
            assert f in listed
            assert os.path.getsize(f) > 1000, f
        with open(os.path.join(out, "grid_time_avg_regret.pdf"), "rb") as f:
            assert f.read(5) == b"%PDF-"
        assert png_size(os.path.join(out, "grid_time_avg_regret.png")) == (640, 480)
    # default: png and svg only
    out2 = os.path.join(D, "fmt2")
    run("plot", src, "-o", out2)
    assert not glob.glob(os.path.join(out2, "*.pdf"))
    for bad in (["--format", "png,gif"], ["--size", "80x60"], ["--size", "800"]):
        q = run("plot", src, "-o", os.path.join(D, "bad"), *bad, check=False)
        assert q.returncode == 64, (bad, q.returncode)
        assert bad[0] in q.stderr, q.stderr
        assert not os.path.exists(os.path.join(D, "bad"))


def test_twelve_series_get_panels_and_distinct_styles():
    src = result("grid", GRID)   # 3 mechanisms x 2 N x 2 epsilon = 12 lines
    out = os.path.join(D, "grid12")
    run("plot", src, "-o", out, "--no-render")
    gp = open(os.path.join(out, "grid_time_avg_regret.gp")).read()
    assert "nseries = 12\n" in gp
    # past 8 lines: a panel per epsilon, 6 lines each, styled alike
    assert "npanels = 2\n" in gp
    assert "ptitle[1] = 'epsilon=0'" in gp and "ptitle[2] = 'epsilon=0.1'" in gp
    col, pt, dt = arrays(gp, "scolor"), arrays(gp, "spt"), arrays(gp, "sdt")
    for first in (0, 6):
        styles = list(zip(col, pt, dt))[first:first + 6]
        assert len(set(c for c, _, _ in styles)) == 6, styles
        assert len(set((p, d) for _, p, d in styles)) == 6, styles
    assert col[:6] == col[6:]
    # --facet none: one panel, twelve colours, twelve marker+dash pairs
    out = os.path.join(D, "grid12none")
    run("plot", src, "-o", out, "--no-render", "--facet", "none")
    gp = open(os.path.join(out, "grid_time_avg_regret.gp")).read()
    assert "npanels = 1\n" in gp
    col, pt, dt = arrays(gp, "scolor"), arrays(gp, "spt"), arrays(gp, "sdt")
    assert len(set(col)) == 12 and len(set(zip(pt, dt))) == 12
    # --facet N: a panel per N
    out = os.path.join(D, "grid12N")
    run("plot", src, "-o", out, "--no-render", "--facet", "N")
    gp = open(os.path.join(out, "grid_time_avg_regret.gp")).read()
    assert "ptitle[1] = 'N=3'" in gp and "npanels = 2\n" in gp
    q = run("plot", src, "-o", os.path.join(D, "nofacet"), "--facet", "bogus",
            check=False)
    assert q.returncode != 0
    assert "facet axis 'bogus' is not a coordinate of the file" in q.stderr
    assert not os.path.exists(os.path.join(D, "nofacet"))


def test_empty_panel_is_dropped():
    # A panel whose lines are all NaN goes; the one left names its value.
    src = result("grid", GRID)
    path = copy(src, "nanpanel.h5")
    with h5py.File(path, "r+") as f:
        d = f["time_avg_regret"]
        assert [dim.keys()[0] for dim in d.dims][-1] == "epsilon"
        a = d[...]
        a[..., 0] = float("nan")
        d[...] = a
    out = os.path.join(D, "nanpanel")
    run("plot", path, "-o", out, "--no-render")
    gp = open(os.path.join(out, "grid_time_avg_regret.gp")).read()
    assert "npanels = 1\n" in gp and "nseries = 6\n" in gp
    assert re.search(r"^plot_title = 'grid: time-averaged regret R\(T\)/T, "
                     r"epsilon=0.1'", gp, re.M), gp[:600]


def test_long_title_is_wrapped():
    src = result("grid", GRID)
    path = copy(src, "longtitle.h5")
    with h5py.File(path, "r+") as f:
        f.attrs["population"] = "a very long population name " * 6
    out = os.path.join(D, "longtitle")
    run("plot", path, "-o", out, "--no-render", "--size", "600x400")
    gp = open(os.path.join(out, "grid_time_avg_regret.gp")).read()
    m = re.search(r"^plot_title = (.*)$", gp, re.M)
    lines = m.group(1).split("'.\"\\n\".'")
    assert len(lines) >= 3, lines
    assert all(len(l) <= int(600 / 8.4) + 2 for l in lines), lines


def test_bound_dashed_black_and_workers_from_coordinates():
    ot = os.path.join(D, "ot.h5")
    run("overtake", "-r", "4", "-o", ot)
    out = os.path.join(D, "ot")
    run("plot", ot, "-o", out, "--no-render")
    gp = open(os.path.join(out, "overtake_overtake.gp")).read()
    titles = arrays(gp, "stitle")
    col, dt, pt = arrays(gp, "scolor"), arrays(gp, "sdt"), arrays(gp, "spt")
    nb = 0
    for t, c, d, p in zip(titles, col, dt, pt):
        if t.startswith("'bound"):
            nb += 1
            assert (c, d) == ('"#000000"', "2"), (t, c, d)
        else:
            assert d != "2" and c != '"#000000"', (t, c, d)
    assert nb == 3
    # 9 lines: a panel per gap, so ours, hedge and the bound each show
    assert "npanels = 3\n" in gp
    src = result("traj", TRAJ)
    out = os.path.join(D, "traj")
    run("plot", src, "-o", out, "--no-render")
    with h5py.File(src, "r") as f:
        workers = [int(w) for w in f["worker"][...]]
    assert workers == [0, 1, 2]
    gp = open(os.path.join(out, "traj_share_traj_ours.gp")).read()
    assert arrays(gp, "stitle") == ["'worker %d'" % w for w in workers]


if __name__ == "__main__":
    main(globals())
