"""`truthsim replay --mechanism LIST|all`: every mechanism on one file of
recorded reports (the FluSight data of ../shared/data).

Asserted: each mechanism's group equals the single-mechanism file bitwise;
the root's summary is what the groups say (final regret, mean loss, final
shares and ranks recomputed here); the bootstrap interval is seeded (a rerun
is bitwise identical, and a mechanism's interval does not depend on which
others are listed: the resamples are paired) and agrees with a numpy
bootstrap of the same slots to within resampling noise; the file opens in
xarray with named dimensions; a bad list is refused with no file left."""
import os

import h5py
import numpy as np

from tsutil import FLU, main, run, tmpdir

D = tmpdir()
DATASETS = ["share", "label", "worker_loss", "loss", "regret"]


def have_flu():
    return os.path.exists(FLU)


def replay(mechs, out, *extra):
    return run("replay", "--mechanism", mechs, FLU, "-o", out, *extra)


def test_all_full_groups_equal_single_files():
    if not have_flu():
        return
    out = os.path.join(D, "all.h5")
    p = replay("all", out)
    assert "8 mechanisms" in p.stdout, p.stdout
    with h5py.File(out, "r") as f:
        names = [m.decode() for m in f["mechanism"][...]]
        assert names == ["ours", "hedge", "median", "average", "em", "omoe",
                         "betabin", "wsu"], names
        for m in ("ours", "betabin", "wsu"):
            one = os.path.join(D, m + ".h5")
            replay(m, one)
            with h5py.File(one, "r") as g:
                for d in DATASETS:
                    a, b = f[m][d][...], g[d][...]
                    assert a.tobytes() == b.tobytes(), (m, d)
                assert f[m].attrs["mechanism"] == g.attrs["mechanism"]
                assert "mechanism" not in f.attrs  # a comparison, not one


def test_summary_is_what_the_groups_say():
    if not have_flu():
        return
    out = os.path.join(D, "sum.h5")
    replay("ours,median,em", out)
    with h5py.File(out, "r") as f:
        names = [m.decode() for m in f["mechanism"][...]]
        assert names == ["ours", "median", "em"]
        for k, m in enumerate(names):
            loss = f[m]["loss"][...]
            assert f["final_regret"][k] == f[m]["regret"][-1]
            assert abs(f["mean_loss"][k] - loss.mean()) < 1e-15
            assert f["regret"][k].tobytes() == f[m]["regret"][...].tobytes()
            fin = f[m]["share"][-1]
            assert f["final_share"][k].tobytes() == fin.tobytes()
            # rank 1 = largest final share, ties to the lower index
            order = sorted(range(len(fin)), key=lambda i: (-fin[i], i))
            want = np.empty(len(fin), dtype=np.int32)
            want[order] = np.arange(1, len(fin) + 1)
            assert (f["worker_rank"][k] == want).all(), (m, f["worker_rank"][k], want)
            lo, hi = f["mean_loss_ci_low"][k], f["mean_loss_ci_high"][k]
            assert lo < f["mean_loss"][k] < hi, (m, lo, hi)
            # numpy's own percentile bootstrap of the same slots: the
            # interval ends agree to resampling noise (2000 resamples).
            rng = np.random.default_rng(5)
            T = len(loss)
            means = loss[rng.integers(0, T, size=(20000, T))].mean(axis=1)
            qlo, qhi = np.quantile(means, [0.025, 0.975])
            width = qhi - qlo
            assert abs(lo - qlo) < 0.05 * width and abs(hi - qhi) < 0.05 * width, \
                (m, lo, hi, qlo, qhi)
        # median and average keep equal shares: every worker ties
        assert list(f["worker_rank"][1]) == list(range(1, 10))


def test_bootstrap_seeded_and_paired():
    if not have_flu():
        return
    a, b, c, s9 = (os.path.join(D, x + ".h5") for x in ("a", "b", "c", "s9"))
    replay("ours,hedge,wsu", a)
    replay("ours,hedge,wsu", b)
    replay("wsu,ours", c)
    replay("ours,hedge,wsu", s9, "--seed", "9")
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb, \
            h5py.File(c, "r") as fc, h5py.File(s9, "r") as f9:
        for d in ("mean_loss_ci_low", "mean_loss_ci_high", "final_regret"):
            assert fa[d][...].tobytes() == fb[d][...].tobytes(), d
        # the same mechanism gets the same interval whatever else is listed
        assert fc["mean_loss_ci_low"][1] == fa["mean_loss_ci_low"][0]
        assert fc["mean_loss_ci_high"][0] == fa["mean_loss_ci_high"][2]
        # another seed, other resamples
        assert f9["mean_loss_ci_low"][0] != fa["mean_loss_ci_low"][0]


def test_limited_all_and_xarray():
    if not have_flu():
        return
    import xarray as xr
    out = os.path.join(D, "lim.h5")
    p = replay("all", out, "--feedback", "limited", "--seed", "3")
    assert "exp3" in p.stdout and "wsu" in p.stdout
    ds = xr.open_dataset(out, engine="h5netcdf")
    assert ds["final_regret"].dims == ("mechanism",)
    assert ds["worker_rank"].dims == ("mechanism", "worker")
    assert ds["regret"].dims == ("mechanism", "slot")
    assert "exp3" in list(ds["mechanism"].values.astype(str))
    ds.close()
    g = xr.open_dataset(out, engine="h5netcdf", group="wsu")
    assert g["share"].dims == ("boundary", "worker")
    assert g["selected"].dims[0] == "slot"
    g.close()


def test_plot_draws_replay_files():
    """`truthsim plot` on a comparison file: R(t) of every mechanism in one
    picture and the final shares; on one replay: R(t) and the shares."""
    if not have_flu():
        return
    out = os.path.join(D, "flu.h5")
    replay("all", out)
    pics = os.path.join(D, "pics")
    p = run("plot", out, "-o", pics)
    for stem in ("flu_regret", "flu_final_share"):
        assert os.path.join(pics, stem + ".png") in p.stdout, p.stdout
        assert os.path.getsize(os.path.join(pics, stem + ".png")) > 1000
        with open(os.path.join(pics, stem + ".tsv")) as f:
            head = f.readline()
        # a mean and a (zero) band per mechanism; omoe by its display name
        assert head.count(": mean") == 8, head
        assert "omoe (stand-in): mean" in head, head
    with open(os.path.join(pics, "flu_regret.tsv")) as f:
        rows = [l.split("\t") for l in f if not l.startswith("#")]
    with h5py.File(out, "r") as f:
        assert len(rows) == f["regret"].shape[1]
        assert float(rows[-1][1]) == round(float(f["regret"][0, -1]), 4) or \
            abs(float(rows[-1][1]) - f["regret"][0, -1]) < 1e-4
    one = os.path.join(D, "one.h5")
    replay("wsu", one)
    p = run("plot", one, "-o", pics)
    assert "one_regret.png" in p.stdout and "one_share.png" in p.stdout, p.stdout
    with open(os.path.join(pics, "one_share.gp")) as f:
        gp = f.read()
    assert "'worker 0'" in gp and "'worker 8'" in gp  # as the file numbers them


def test_bad_lists_refused():
    if not have_flu():
        return
    for bad, msg in (("ours,nope", "unknown full-feedback mechanism 'nope'"),
                     ("ours,ours", "listed twice"),
                     ("exp3", "unknown full-feedback mechanism 'exp3'")):
        out = os.path.join(D, "bad.h5")
        p = run("replay", "--mechanism", bad, FLU, "-o", out, check=False)
        assert p.returncode != 0 and msg in p.stderr, (bad, p.stderr)
        assert not os.path.exists(out)
    p = run("replay", "--mechanism", "ours,median", "--set", "zeta=1", FLU,
            "-o", os.path.join(D, "bad.h5"), check=False)
    assert p.returncode != 0 and "no listed mechanism has a parameter 'zeta'" in p.stderr
    # a key some listed mechanism has applies to those that have it
    out = os.path.join(D, "set.h5")
    replay("ours,hedge", out, "--set", "eta=0.5")
    with h5py.File(out, "r") as f:
        assert f["hedge"].attrs["eta"] == 0.5


if __name__ == "__main__":
    main(globals())
