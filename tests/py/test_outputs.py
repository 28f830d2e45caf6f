"""Every file truthsim writes opens in xarray with named axes (issue 16):
run, merge, replay, check, best-response, overtake and dpo, each read with
xarray.open_dataset(..., engine="h5netcdf"), its dimension names checked,
and every params/<owner> group opened alone has its axes as coordinates.
Also `list --json` and `--version` on every subcommand."""
import json
import os
import random

import numpy as np
import xarray as xr

from tsutil import TRUTHSIM, main, run, tmpdir, write

D = tmpdir()
SMALL = """name: small
mechanisms: [ours, hedge]
N: 5
m: 1
T: [50, 100]
alpha: [0.05, 0.1]
replicas: 8
seed: 1
trajectory: true
"""
COMMANDS = ["run", "replay", "plot", "dpo", "best-response", "merge", "check",
            "overtake", "bench", "list"]


def opened(path, group=None):
    return xr.open_dataset(path, engine="h5netcdf", group=group)


def params_groups_have_coordinates(path, owners, dims):
    for o in owners:
        ds = opened(path, "params/" + o)
        assert set(ds.sizes) == set(dims), (o, dict(ds.sizes))
        for d in dims:
            assert d in ds.coords, (o, d, list(ds.coords))
        ds.close()


def test_run_and_merge():
    exp = write(os.path.join(D, "small.yaml"), SMALL)
    out = os.path.join(D, "run.h5")
    run("run", "-q", exp, "-o", out)
    run("merge", out + ".points", "-o", os.path.join(D, "merged.h5"))
    for path in (out, os.path.join(D, "merged.h5")):
        ds = opened(path)
        assert ds["regret"].dims == ("mechanism", "T", "alpha"), ds["regret"].dims
        assert ds["final_share"].dims == ("mechanism", "T", "alpha", "worker")
        assert ds["share_traj"].dims[-2:] == ("slot", "worker")
        assert list(ds["mechanism"].values) == ["ours", "hedge"]
        assert list(ds["T"].values) == [50, 100]
        ds.close()
        # The swept alpha is ours's own parameter: its dataset is the axis.
        params_groups_have_coordinates(path, ["ours", "hedge", "bands"],
                                       ["T", "alpha"])
        ours = opened(path, "params/ours")
        assert np.array_equal(ours["alpha"].values, [0.05, 0.1])
        ours.close()


def test_replay():
    csv = os.path.join(D, "reports.csv")
    rnd = random.Random(1)
    with open(csv, "w") as f:
        f.write("slot,prompt,worker,report,truth\n")
        for t in range(12):
            for i in range(3):
                f.write("%d,0,%d,%.3f,%d\n" % (t, i, rnd.random(), t % 2))
    out = os.path.join(D, "replay.h5")
    run("replay", "--mechanism", "ours", csv, "-o", out)
    ds = opened(out)
    assert ds["share"].dims == ("boundary", "worker"), ds["share"].dims
    assert ds["label"].dims == ("slot", "prompt"), ds["label"].dims
    assert ds.sizes["slot"] == 12 and ds.sizes["worker"] == 3
    ds.close()


def test_check():
    out = os.path.join(D, "check.h5")
    run("check", "--claims", "prop1", "-o", out)
    ds = opened(out)
    assert ds["value"].dims == ("row",) and ds.sizes["row"] == 6, dict(ds.sizes)
    ds.close()


def test_best_response():
    out = os.path.join(D, "br.h5")
    run("best-response", "--mechanism", "ours,hedge", "--q", "0.2,0.8",
        "--sweep", "eta=0.5,1", "-O", out)
    ds = opened(out)
    assert ds["r_star"].dims == ("mechanism", "eta", "q"), ds["r_star"].dims
    ds.close()
    params_groups_have_coordinates(out, ["ours", "hedge"], ["eta"])


def test_overtake():
    out = os.path.join(D, "ov.h5")
    run("overtake", "-o", out, "--replicas", "4")
    ds = opened(out)
    assert set(ds["overtake_time"].dims) == {"mechanism", "gap", "ratio"}
    for d in ds.dims:
        assert d in ds.coords, d
    ds.close()


def test_dpo():
    train = os.path.join(D, "train.csv")
    rnd = random.Random(2)
    with open(train, "w") as f:
        f.write("prompt,chosen,rejected,label\n")
        for i in range(8):
            busy = rnd.random() < 0.5
            f.write('"Band %d energy readings: -%d dB. Is the band busy or idle? '
                    'Answer:", BUSY, IDLE,%g\n' % (1 + i % 4, 60 if busy else 76,
                                                   0.85 if busy else 0.15))
    out = os.path.join(D, "dpo.h5")
    run("dpo", "--train", train, "-o", out, "--epochs", "2", "--quiet")
    ds = opened(out)
    assert ds["loss"].dims == ("epoch",), ds["loss"].dims
    assert list(ds["epoch"].values) == [1, 2]
    ds.close()


def test_list_json():
    d = json.loads(run("list", "--json").stdout)
    names = {(m["name"], m["feedback"]) for m in d["mechanisms"]}
    assert ("ours", "full") in names and ("exp3", "limited") in names
    ours = [m for m in d["mechanisms"] if m["name"] == "ours" and m["feedback"] == "full"][0]
    alpha = ours["params"][0]
    assert alpha["name"] == "alpha" and alpha["range"] == "(0, 1]"
    assert alpha["lo"] == 0 and alpha["lo_open"] and not alpha["hi_open"]
    # (2/3) sqrt(2 ln N / T) at defaults_at
    at = d["defaults_at"]
    want = 2 / 3 * np.sqrt(2 * np.log(at["N"]) / at["T"])
    assert abs(alpha["default"] - want) < 1e-15, (alpha["default"], want)
    assert ours["plugin"] is None
    assert {p["name"] for p in d["populations"]} >= {"bands", "signals"}
    assert "truthful" in {s["name"] for s in d["strategies"]}


def test_version_everywhere():
    top = run("--version").stdout.strip()
    assert top.startswith("truthsim "), top
    for c in COMMANDS:
        p = run(c, "--version")
        assert p.stdout.strip() == top, (c, p.stdout)


if __name__ == "__main__":
    main(globals())
