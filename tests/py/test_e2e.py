"""The end-to-end experiment through `truthsim run` (kind: e2e; src/e2e,
paper Sec. VII-B) at a tiny size: the file's layout and named axes, the
same bytes in every dataset for 1 and 2 threads, the committed figure files
load, bad input is refused with file:line and no output file, the plot
kinds draw, and fig11 runs on a directory of DeepSense files (population
deepsense, `data: DIR`) with the one command the README gives.  Its cells
as grid points (cli/e2e.c): an interrupted run resumed, and `truthsim
merge`, give the uninterrupted run's bytes; another experiment's point
files are refused unless --force; an N sweep's cells are the single runs';
and -- when truthsim-mpi is built (third argument) -- mpirun -np 2 gives
the one-process bytes."""
import os
import shutil
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

from tsutil import EXPERIMENTS, TRUTHSIM, datasets, main, run, tmpdir, write

MPI = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else None

TINY = """kind: e2e
name: tiny
mechanisms: [ours, median]
strategies: [truthful, best_response]
best_response: {qgrid: 4, grid: 11, refresh: 5}
N: 5
m: 8
m_test: 8
rounds: 3
replicas: 2
dpo: {epochs: 1}
"""


def test_layout_and_threads():
    d = tmpdir()
    exp = write(os.path.join(d, "tiny.yaml"), TINY)
    out = []
    for j in (1, 2):
        o = os.path.join(d, "t%d.h5" % j)
        run("run", exp, "-o", o, "-j", j, "-q")
        out.append(o)
    with h5py.File(out[0]) as a, h5py.File(out[1]) as b:
        assert a.attrs["kind"] == "e2e"
        assert [m.decode() for m in a["mechanism"][:]] == ["ours", "median"]
        assert list(a["round"][:]) == [1, 2, 3]
        for k in ("win_rate", "test_accuracy", "reference_accuracy",
                  "label_accuracy", "label_mse", "dpo_loss"):
            assert a[k].shape == (2, 2, 1, 1, 3), k
            assert a[k + "_ci"].shape == (2, 2, 1, 1, 3), k
            assert np.array_equal(a[k][:], b[k][:], equal_nan=True), k
        w, acc = a["win_rate"][:], a["test_accuracy"][:]
        assert np.all((w >= 0) & (w <= acc + 1e-12))
        # common random numbers: one reference model per replica
        ref = a["reference_accuracy"][:]
        assert np.all(ref == ref[0, 0])


def test_refusals():
    d = tmpdir()
    exp = write(os.path.join(d, "bad.yaml"), TINY + "bogus: 3\n")
    o = os.path.join(d, "bad.h5")
    p = run("run", exp, "-o", o, check=False)
    assert p.returncode != 0
    assert "bad.yaml:12:" in p.stderr and "bogus" in p.stderr, p.stderr
    assert not os.path.exists(o)
    exp = write(os.path.join(d, "bad2.yaml"), TINY.replace("N: 5", "N: 5\npreset: huge"))
    p = run("run", exp, "-o", o, check=False)
    assert p.returncode != 0 and "huge" in p.stderr, p.stderr
    assert not os.path.exists(o)


def test_committed_files_load_and_plot():
    d = tmpdir()
    for f in range(11, 17):
        o = os.path.join(d, "f%d.h5" % f)
        run("run", os.path.join(EXPERIMENTS, "fig%d.yaml" % f), "-o", o, "-q",
            "--set", "replicas=1", "--set", "m=4", "--set", "m_test=4",
            "--set", "dpo.epochs=1",
            "--set", "mechanisms=[median, ours]")
    run("plot", os.path.join(d, "f12.h5"), "-o", d)
    assert os.path.exists(os.path.join(d, "fig12_win_rate.tsv"))
    assert os.path.exists(os.path.join(d, "fig12_win_rate_size.tsv"))


def write_deepsense(d, names, n_win=3, amp=2.0):
    """DeepSense files MASK_dayD.bin: complex noise of power 1 a sample plus
    a tone of amplitude amp on each bin of every busy channel, as float32
    I/Q little-endian (games/spectrum.h)."""
    rng = np.random.default_rng(4)
    n = np.arange(32)
    for name in names:
        x = (rng.normal(size=(n_win, 32)) + 1j * rng.normal(size=(n_win, 32))) / np.sqrt(2)
        for c in range(4):
            if name[c] == "1":
                for b in range(8):
                    k = (8 * c + b + 16) % 32
                    x += amp * np.exp(2j * np.pi * (k * n / 32 + 0.1 * b))
        iq = np.empty((n_win, 64), dtype="<f4")
        iq[:, 0::2], iq[:, 1::2] = x.real, x.imag
        iq.tofile(os.path.join(d, name))


def test_deepsense_data():
    d = tmpdir()
    data = os.path.join(d, "deepsense")
    os.mkdir(data)
    write_deepsense(data, ["1010_day1.bin", "0101_day1.bin", "0000_day2.bin",
                           "1101_day2.bin"])
    o = os.path.join(d, "fig11_deepsense.h5")
    run("run", os.path.join(EXPERIMENTS, "fig11.yaml"), "-o", o, "-q",
        "--set", "population=deepsense", "--set", "data=" + data,
        "--set", "replicas=1", "--set", "m=8", "--set", "m_test=8",
        "--set", "rounds=2", "--set", "dpo.epochs=1",
        "--set", "mechanisms=[median, ours]")
    with h5py.File(o) as f:
        assert "data=" + data in f.attrs["experiment"]
        # truthful SUs hear 21 dB tones: every label on its file's mask
        assert np.all(f["label_accuracy"][:, 0] == 1.0)
    # refusals, each with the file's position and no output
    base = TINY + "population: deepsense\n"
    cases = [(base + "data: %s\n" % d, "bad.yaml:13:", "no DeepSense file"),
             (base, "bad.yaml:12:", "'population' = deepsense needs 'data: DIR'"),
             (TINY + "population: bands\n", "bad.yaml:12:",
              "a population without prompt texts"),
             (TINY + "data: %s\n" % data, "bad.yaml:12:",
              "is for population deepsense only")]
    for text, where, what in cases:
        exp = write(os.path.join(d, "bad.yaml"), text)
        p = run("run", exp, "-o", os.path.join(d, "bad.h5"), check=False)
        assert p.returncode != 0, text
        assert where in p.stderr and what in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert not os.path.exists(os.path.join(d, "bad.h5"))


# Four cells, the second and fourth on the larger preset (about 0.3 s a
# replica), so a Ctrl-C once the first point file is there finds the
# first cell finished and the others not.
GRID = """kind: e2e
name: grid
mechanisms: [ours, median]
strategies: [truthful]
preset: [small, medium]
N: 5
m: 8
m_test: 4
rounds: 2
replicas: 2
dpo: {epochs: 1}
"""
D = tmpdir()



def full_grid():
    exp = write(os.path.join(D, "grid.yaml"), GRID)
    out = os.path.join(D, "full.h5")
    if not os.path.exists(out):
        run("run", "-q", exp, "-o", out, "-j", 2)
    return exp, out


def points(out):
    pts = out + ".points"
    return sorted(f for f in os.listdir(pts) if f.startswith("point-")
                  and f.endswith(".h5")) if os.path.isdir(pts) else []


def test_interrupt_resume_merge_equal_uninterrupted():
    exp, full = full_grid()
    assert points(full) == ["point-%06d.h5" % k for k in range(4)]
    part = os.path.join(D, "part.h5")
    p = subprocess.Popen([TRUTHSIM, "run", "-q", exp, "-o", part, "-j", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(3000):
        if points(part):
            break
        time.sleep(0.01)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 130, (p.returncode, err)
    assert "interrupted" in err and "rerun" in err, err
    assert not os.path.exists(part)  # no final file from a partial run
    done = points(part)
    assert 1 <= len(done) < 4, done
    # The same command finishes the rest (one thread now: no matter).
    r = run("run", exp, "-o", part, "-j", 1)
    assert "resuming: %d of 4" % len(done) in r.stderr, r.stderr
    assert datasets(part) == datasets(full)
    # merge rebuilds the same file, experiment text included.
    merged = os.path.join(D, "merged.h5")
    m = run("merge", part + ".points", "-o", merged)
    assert "4 points merged" in m.stdout
    assert datasets(merged) == datasets(full)
    with h5py.File(merged, "r") as a, h5py.File(full, "r") as b:
        assert a.attrs["experiment"] == b.attrs["experiment"]
        assert a.attrs["kind"] == "e2e"


def test_merge_needs_every_point():
    _, full = full_grid()
    sub = os.path.join(D, "sub.points")
    os.makedirs(sub, exist_ok=True)
    for name in points(full)[:3]:
        shutil.copy(os.path.join(full + ".points", name), sub)
    out = os.path.join(D, "sub.h5")
    p = run("merge", sub, "-o", out, check=False)
    assert p.returncode == 65, p.stderr
    assert "1 of 4 points missing" in p.stderr, p.stderr
    assert not os.path.exists(out)


METRICS = ("win_rate", "test_accuracy", "reference_accuracy", "label_accuracy",
           "label_mse", "dpo_loss", "dpo_rewards_margin")


def assert_cells_equal(a, b, sa, sb):
    """Every metric and CI of file a at index sa equals file b's at sb,
    bit for bit: a cell's numbers depend on its own keys only."""
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        for k in METRICS:
            for name in (k, k + "_ci"):
                x, y = fa[name][sa], fb[name][sb]
                assert x.size and x.tobytes() == y.tobytes(), (name, a, b)


def test_other_experiment_refused_unless_force():
    exp, full = full_grid()
    keep = os.path.join(D, "keep.h5")
    shutil.copytree(full + ".points", keep + ".points")
    # Another seed: the same cells, other numbers.
    p = run("run", "-q", exp, "-o", keep, "--set", "seed=2", check=False)
    assert p.returncode == 65, p.stderr
    assert "different experiment" in p.stderr and "--force" in p.stderr
    assert not os.path.exists(keep)
    # --force discards them; the small preset alone is the grid's slice.
    run("run", "-q", exp, "-o", keep, "--force", "--set", "preset=small")
    assert points(keep) == ["point-000000.h5", "point-000001.h5"]
    small = (slice(None), slice(None), slice(0, 1))
    assert_cells_equal(keep, full, (), small)


def test_n_sweep_cells_are_the_single_runs():
    # --set N=[5, 7] on the grid's small preset: its N = 5 cells are the
    # grid's, its N = 7 cells those of a run at N = 7 alone.
    exp, full = full_grid()
    sweep = os.path.join(D, "sweep.h5")
    run("run", "-q", exp, "-o", sweep, "--set", "preset=small", "--set", "N=[5, 7]")
    assert len(points(sweep)) == 4
    with h5py.File(sweep, "r") as f:
        assert list(f["N"][...]) == [5, 7]
        assert f["win_rate"].shape == (2, 1, 1, 2, 2)
    seven = os.path.join(D, "seven.h5")
    run("run", "-q", exp, "-o", seven, "--set", "preset=small", "--set", "N=7")
    at = lambda n: (slice(None), slice(None), slice(None), slice(n, n + 1))
    assert_cells_equal(sweep, full, at(0), (slice(None), slice(None), slice(0, 1)))
    assert_cells_equal(sweep, seven, at(1), ())


def test_mpi_two_ranks_give_the_same_bits():
    if not MPI:
        print("skip: truthsim-mpi not built")
        return
    exp, full = full_grid()
    out = os.path.join(D, "mpi-2.h5")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")
    p = subprocess.run(["mpirun", "--oversubscribe", "-np", "2", MPI, "run", "-q", exp,
                        "-o", out, "--threads", "1"],
                       capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr
    assert len(points(out)) == 4
    assert datasets(out) == datasets(full)


if __name__ == "__main__":
    main(globals())
