"""Strategic workers (SPEC §4) end to end: `truthsim best-response -O`
writes the (mechanism, q) table and `truthsim plot` draws r*(q) against the
diagonal; a horizon deviation over exaggerate's kappa records worker 1's
utilities and draws them; a tiny best_response run finishes with reports
the engine accepts.  Sizes are reduced so the file runs in seconds."""
import os

import h5py
import numpy as np

from tsutil import EXPERIMENTS, main, run, tmpdir

D = tmpdir()


def test_best_response_h5_and_picture():
    out = os.path.join(D, "br.h5")
    run("best-response", "--mechanism", "ours,hedge,em,median",
        "--set", "eta=3", "-O", out)
    with h5py.File(out, "r") as f:
        mech = [m.decode() if isinstance(m, bytes) else m
                for m in f["mechanism"][:]]
        assert mech == ["ours", "hedge", "em", "median"], mech
        q = f["q"][:]
        r = f["r_star"][:]
        assert r.shape == (4, 19) and f["gain"].shape == (4, 19)
        assert "gain_ci" in f and "r_star_ci" in f
        assert np.all((r >= 0) & (r <= 1))
        # Prop. 1: ours truthful; Lemma 2: hedge at eta = 3 exaggerates
        assert np.max(np.abs(r[0] - q)) < 1e-6
        hi = q > 0.5
        assert np.all(r[1][hi] > q[hi]) and np.all(r[1][~hi] < q[~hi])
    pics = os.path.join(D, "brplot")
    run("plot", out, "-o", pics)
    for kind in ("br_rstar", "br_gain"):
        p = os.path.join(pics, "best_response_%s.png" % kind)
        assert os.path.getsize(p) > 1000, p


def test_deviation_kappa_utilities_and_picture():
    out = os.path.join(D, "dev.h5")
    # As written (T = 500, 32 replicas: 0.6 s), so the paired CIs resolve.
    run("run", os.path.join(EXPERIMENTS, "deviation-kappa.yaml"), "-q",
        "-o", out)
    with h5py.File(out, "r") as f:
        kappa = f["exaggerate.kappa"][:]
        uw = f["utility_weight"][:]
        assert kappa[0] == 0 and uw.shape[:2] == (4, len(kappa))
        # ours (row 0) is truthful (Prop. 1): exaggerating never pays
        assert uw[0, -1, 0] < uw[0, 0, 0]
        # Paired gains over kappa = 0 (gain_axis), worker 1 = index 0:
        # exactly 0 at kappa = 0; below 0 with its CI for ours at every
        # kappa > 0; above 0 with its CI for em (it rewards exaggeration).
        g = f["utility_weight_gain"][:, :, 0]
        ci = f["utility_weight_gain_ci"][:, :, 0]
        assert f.attrs["gain_axis"] == "exaggerate.kappa"
        assert np.all(g[:, 0] == 0) and np.all(ci[:, 0] == 0)
        assert np.all(g[0, 1:] + ci[0, 1:] < 0), (g[0], ci[0])
        assert np.all(g[2, 1:] - ci[2, 1:] > 0), (g[2], ci[2])
        # The gain is the per-replica difference, so it equals the
        # difference of the stored per-replica utilities.
        rep = f["utility_weight_replica"][:, :, :, 0]   # [mech][kappa][replica]
        assert np.allclose(g, (rep - rep[:, :1]).mean(axis=2), rtol=0, atol=1e-9)
    pics = os.path.join(D, "devplot")
    run("plot", out, "-o", pics)
    assert os.path.exists(os.path.join(
        pics, "deviation-kappa_util_kappa_ours.png"))
    assert os.path.exists(os.path.join(
        pics, "deviation-kappa_gain_kappa_ours.png"))
    # gain_axis must name a swept key, and needs utility: true.
    p = run("run", os.path.join(EXPERIMENTS, "deviation-kappa.yaml"), "-q",
            "-o", os.path.join(D, "x.h5"), "--set", "gain_axis=T", check=False)
    assert p.returncode == 65 and "gain_axis 'T' is not a swept key" in p.stderr
    p = run("run", os.path.join(EXPERIMENTS, "deviation-kappa.yaml"), "-q",
            "-o", os.path.join(D, "y.h5"), "--set", "utility=false", check=False)
    assert p.returncode == 65 and "needs 'utility: true'" in p.stderr


def test_best_response_strategy_runs():
    out = os.path.join(D, "f7.h5")
    run("run", os.path.join(EXPERIMENTS, "fig7-br.yaml"), "-q", "-o", out,
        "--set", "N=5", "--set", "T=20", "--set", "replicas=2",
        "--set", "mechanisms=[hedge,ours]")
    with h5py.File(out, "r") as f:
        assert int(np.sum(f["n_failed"][:])) == 0
        assert np.all(np.isfinite(f["time_avg_regret"][:]))


def test_hedge_deviation_against_eta():
    # Lemma 2: the size of hedge's deviation grows with eta -- small at the
    # paper's eta ~ 0.05, large at 3 (SPEC section 5).  --sweep adds the eta
    # dimension and max_abs_dev; `truthsim plot` draws it (kind dev_eta).
    import glob
    d = tmpdir()
    out = os.path.join(d, "eta.h5")
    run("best-response", "--mechanism", "hedge", "--sweep", "eta=0.05,0.5,3", "-O", out)
    with h5py.File(out, "r") as f:
        assert list(f["eta"][...]) == [0.05, 0.5, 3.0]
        dev = f["max_abs_dev"][0]
        assert f["r_star"].shape == (1, 3, 19)
        assert np.all(np.diff(dev) > 0), dev
        assert dev[0] < 0.01 and dev[-1] > 0.3, dev
    run("plot", out, "-o", os.path.join(d, "p"))
    assert glob.glob(os.path.join(d, "p", "*dev_eta.png"))
    p = run("best-response", "--mechanism", "ours", "--sweep", "eta=1", check=False)
    assert p.returncode == 65 and "--sweep" in p.stderr


main(globals())
