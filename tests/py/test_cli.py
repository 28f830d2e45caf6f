"""The program end to end: xarray round trip, reproducibility across thread
counts, replay on the real FluSight data, plots, interruption, and every kind
of bad input (one line naming file, line and problem; non-zero exit; no
output file left behind)."""
import glob
import hashlib
import os
import signal
import subprocess
import time

import h5py
import numpy as np

from tsutil import EXPERIMENTS, FLU, TRUTHSIM, datasets, main, run, tmpdir, write

D = tmpdir()

SMALL = """name: small
feedback: full
population: bands
N: [3, 5]
m: 4
T: [20, 50]
mechanisms: [em, hedge, median, average, ours]
replicas: 6
seed: 11
trajectory: true
"""



def test_xarray_opens_axes_as_coordinates():
    import xarray as xr
    out = os.path.join(D, "x.h5")
    run("run", "-q", os.path.join(EXPERIMENTS, "fig7.yaml"), "-o", out,
        "--set", "replicas=3", "--set", "T=[100,300]")
    ds = xr.open_dataset(out, engine="h5netcdf")
    assert ds["time_avg_regret"].dims == ("mechanism", "T")
    assert ds["time_avg_regret_ci"].dims == ("mechanism", "T")
    assert "mechanism" in ds.coords and "T" in ds.coords
    assert list(ds["mechanism"].values) == ["em", "hedge", "median", "ours"]
    assert list(ds["T"].values) == [100, 300]
    assert ds["final_share"].dims == ("mechanism", "T", "worker")
    v = ds["time_avg_regret"].sel(mechanism="ours", T=300).item()
    assert 0 < v < 1
    for a in ("version", "git_commit", "experiment", "seed", "command_line",
              "compiler", "hdf5_version", "gsl_version"):
        assert a in ds.attrs, a
    assert ds.attrs["N"] == 50
    ds.close()


def test_threads_do_not_change_a_bit():
    a, b = os.path.join(D, "t1.h5"), os.path.join(D, "t2.h5")
    exp = write(os.path.join(D, "small.yaml"), SMALL)
    run("run", "-q", exp, "-o", a, "--threads", "1")
    run("run", "-q", exp, "-o", b, "--threads", "2")
    da, db = datasets(a), datasets(b)
    assert da.keys() == db.keys() and len(da) > 20
    for k in da:
        assert da[k] == db[k], k
    # h5diff agrees: differences only in provenance attributes.
    p = subprocess.run(["h5diff", a, b], capture_output=True, text=True)
    assert "dataset:" not in p.stdout, p.stdout


def test_small_sweep_digest():
    # Pinned bits of a small sweep (STYLE §6): any change to the random
    # streams, the engine or a mechanism's arithmetic shows up here.  If a
    # change is intended, rerun and update the digest in the same commit,
    # saying why.  Weights and shares use tsmath.h's ts_exp and ts_log1p,
    # not libm's; libm still enters through em's logs and the default step
    # sizes' log N.  (The previous digest, d96dde8a..., from libm's exp and
    # log1p, is reproduced with those two set back to libm's.)
    out = os.path.join(D, "digest.h5")
    exp = write(os.path.join(D, "digest.yaml"), SMALL)
    run("run", "-q", exp, "-o", out)
    d = datasets(out)
    h = hashlib.sha256()
    for k in sorted(d):
        h.update(k.encode())
        h.update(d[k])
    assert h.hexdigest() == DIGEST, h.hexdigest()


# em gained a parameter (em.fast, the vectorised E-M loop, off by default):
# the file records it as params/em/fast, which is the only change to the
# digest -- without that dataset the hash is the previous one, 94bf34ac...,
# so every result bit is as before.
DIGEST = "e21916379bc58ee7cdf913ee4a6dab4a537b8b9db86412f52fa0a319cb40e590"


def test_replay_flusight_every_mechanism():
    assert os.path.exists(FLU), FLU
    for mech in ("ours", "hedge", "median", "average", "em"):
        out = os.path.join(D, "flu-%s.h5" % mech)
        run("replay", "--mechanism", mech, FLU, "-o", out)
        with h5py.File(out, "r") as f:
            assert f["share"].shape == (28, 9)
            assert f["label"].shape == (27, 51)
            assert f["worker_loss"].shape == (27, 9)
            assert f["loss"].shape == (27,) and f["regret"].shape == (27,)
            assert f.attrs["input_sha256"] == \
                "f5404dbabf6a5a0aeaee54b1fb45c994b7f47256790e2b51f2e04630b58121ff"
            assert f.attrs["mechanism"] == mech
            assert np.allclose(f["share"][...].sum(axis=1), 1)
            assert np.all(np.isnan(f["label"][...]) ==
                          (np.arange(51)[None, :] >= _m_per_slot()[:, None]))
    # Under `average` the item-weighted mean loss is the README's Brier of
    # the unweighted mean of the 9 reports, 0.1431.
    with h5py.File(os.path.join(D, "flu-average.h5"), "r") as f:
        m = _m_per_slot()
        brier = (f["loss"][...] * m).sum() / m.sum()
        assert abs(brier - 0.1431) < 5e-5, brier
    with h5py.File(os.path.join(D, "flu-ours.h5"), "r") as f:
        assert f.attrs["alpha"] == (2 / 3) * np.sqrt(2 * np.log(9) / 27)
        # PSI-PROF (worker 6) has the smallest Brier over the season.
        wl = (f["worker_loss"][...] * _m_per_slot()[:, None]).sum(axis=0)
        assert np.argmin(wl) == 6


def _m_per_slot():
    import csv
    m = {}
    with open(FLU) as f:
        for row in csv.DictReader(f):
            t, j = int(row["slot"]), int(row["prompt"])
            m[t] = max(m.get(t, 0), j + 1)
    return np.array([m[t] for t in sorted(m)], dtype=float)


def test_replay_is_deterministic_and_takes_set():
    a, b = os.path.join(D, "r1.h5"), os.path.join(D, "r2.h5")
    run("replay", "--mechanism", "ours", "--set", "alpha=0.05", FLU, "-o", a)
    run("replay", "--mechanism", "ours", "--set", "alpha=0.05", FLU, "-o", b)
    assert datasets(a) == datasets(b)
    with h5py.File(a, "r") as f:
        assert f.attrs["alpha"] == 0.05


def test_plot_draws_png_and_svg():
    out = os.path.join(D, "p.h5")
    run("run", "-q", os.path.join(EXPERIMENTS, "fig7.yaml"), "-o", out,
        "--set", "replicas=2", "--set", "T=[100,200]")
    pd = os.path.join(D, "pics")
    p = run("plot", out, "-o", pd)
    pngs = glob.glob(os.path.join(pd, "*.png"))
    assert pngs and glob.glob(os.path.join(pd, "*.svg")), p.stdout
    for png in pngs:
        with open(png, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    assert glob.glob(os.path.join(pd, "*.tsv")) and glob.glob(os.path.join(pd, "*.gp"))


def test_plot_without_gnuplot_still_writes_data_and_script():
    out = os.path.join(D, "p2.h5")
    run("run", "-q", os.path.join(EXPERIMENTS, "fig2.yaml"), "-o", out,
        "--set", "replicas=2")
    pd = os.path.join(D, "pics2")
    env = dict(os.environ, PATH="/nonexistent")
    p = run("plot", out, "-o", pd, env=env)
    assert "gnuplot" in p.stderr
    assert glob.glob(os.path.join(pd, "*.tsv")) and glob.glob(os.path.join(pd, "*.gp"))
    assert not glob.glob(os.path.join(pd, "*.png"))


def test_sigint_keeps_finished_points():
    exp = write(os.path.join(D, "long.yaml"), """name: long
population: bands
N: 50
m: 20
T: [100, 4000000]
mechanisms: [ours]
replicas: 8
""")
    # The long point takes about 40 s on one core even in replica lanes
    # (8 replicas x 4e9 updates at ~7.7e8/s), so the interrupt at 2 s
    # always finds it running.
    out = os.path.join(D, "long.h5")
    p = subprocess.Popen([TRUTHSIM, "run", "-q", exp, "-o", out],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, (p.returncode, err)
    assert "interrupted" in err
    with h5py.File(out, "r") as f:
        assert list(f["completed"][...]) == [1, 0]
        tar = f["time_avg_regret"][0]
        assert np.isfinite(tar[0]) and np.isnan(tar[1])


# ---------------------------------------------------------------- bad input

def refused(args, expect, files_absent):
    p = run(*args, check=False)
    assert p.returncode == 65, (args, p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    for e in expect:
        assert e in lines[0], (e, lines[0])
    for f in files_absent:
        assert not os.path.exists(f), f
        assert not glob.glob(f + ".tmp*"), f


def bad_yaml(text, expect, *sets):
    path = write(os.path.join(D, "bad.yaml"), text)
    out = os.path.join(D, "bad.h5")
    args = ["run", "-q", path, "-o", out]
    for s in sets:
        args += ["--set", s]
    refused(args, expect, [out])


GOOD = "name: g\npopulation: bands\nN: 5\nm: 2\nT: 10\nmechanisms: [ours]\n"


def test_bad_yaml_syntax():
    bad_yaml("name: g\nN: [5, 10\nT: 3\n", ["bad.yaml:", "YAML syntax error"])


def test_bad_unknown_key():
    bad_yaml(GOOD + "alhpa: 0.1\n", ["bad.yaml:7:1:", "unknown key 'alhpa'"])


def test_bad_unknown_mechanism():
    bad_yaml(GOOD.replace("[ours]", "[ours, hedgehog]"),
             ["bad.yaml:6:", "unknown full-feedback mechanism 'hedgehog'", "valid:"])


def test_bad_unknown_population():
    bad_yaml(GOOD.replace("bands", "blands"),
             ["bad.yaml:2:", "unknown population 'blands'", "valid: bands"])


def test_bad_out_of_range_values():
    bad_yaml(GOOD.replace("N: 5", "N: 1"), ["bad.yaml:3:", "N = 1", "at least 2 workers"])
    bad_yaml(GOOD.replace("m: 2", "m: 0"), ["bad.yaml:4:", "m = 0"])
    bad_yaml(GOOD + "alpha: 1.5\n", ["bad.yaml:7:", "alpha = 1.5", "outside (0, 1]"])
    bad_yaml(GOOD, ["--set alpha=0", "alpha = 0"], "alpha=0")
    bad_yaml(GOOD + "epsilon: 0.6\n", ["bad.yaml:7:", "epsilon = 0.6"])


def test_bad_default_step_size_is_blamed_on_the_point():
    # T = 1 with N = 50 makes the default alpha (2/3) sqrt(2 ln 50) > 1.
    bad_yaml(GOOD.replace("N: 5", "N: 50").replace("T: 10", "T: 1"),
             ["bad.yaml:", "alpha"])


CSV_HEAD = "slot,prompt,worker,report,truth\n"


def bad_csv(text, expect):
    path = write(os.path.join(D, "bad.csv"), text)
    out = os.path.join(D, "badcsv.h5")
    refused(["replay", "--mechanism", "ours", path, "-o", out], expect, [out])


def test_bad_csv():
    ok = CSV_HEAD + "0,0,0,0.3,1\n0,0,1,0.6,1\n"
    bad_csv("slot,prompt,worker,report\n0,0,0,0.3\n",
            ["bad.csv:1:", "bad header", "'truth'"])
    bad_csv(ok + "1,0,0,1.25,0\n1,0,1,0.5,0\n",
            ["bad.csv:4:", "report 1.25 is outside [0,1]"])
    bad_csv(ok + "0,0,1,0.6,1\n", ["bad.csv:4:", "duplicate", "line 3"])
    bad_csv(ok + "1,0,0,0.2,0\n", ["bad.csv:", "missing row (slot 1, prompt 0, worker 1)"])
    bad_csv(CSV_HEAD + "0,0,0,0.3,1\n0,0,1,0.6,0\n", ["bad.csv:3:", "truth"])
    bad_csv(CSV_HEAD + "0,0,0,abc,1\n", ["bad.csv:2:", "report 'abc' is not a number"])
    bad_csv(CSV_HEAD + "0,0,0,0.3\n", ["bad.csv:2:", "fields"])


def test_bad_replay_set():
    out = os.path.join(D, "rs.h5")
    refused(["replay", "--mechanism", "ours", "--set", "eta=1", FLU, "-o", out],
            ["has no parameter 'eta'"], [out])
    refused(["replay", "--mechanism", "ours", "--set", "alpha=2", FLU, "-o", out],
            ["alpha = 2"], [out])
    refused(["replay", "--mechanism", "nope", FLU, "-o", out],
            ["unknown full-feedback mechanism 'nope'"], [out])


if __name__ == "__main__":
    main(globals())
