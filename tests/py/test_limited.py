"""Limited feedback (Sec. VI): Figs. 4, 5, 8, 9 at reduced sizes, Theorem 2's
bound with its confidence interval and the fitted log-log slope, and replay
with --selected on a hand-computed case."""
import math
import os

import h5py
import numpy as np

from tsutil import EXPERIMENTS, main, run, tmpdir, write

D = tmpdir()


def result(name, *sets, exp=None):
    out = os.path.join(D, name + ".h5")
    args = ["run", "-q", exp or os.path.join(EXPERIMENTS, name + ".yaml"), "-o", out]
    for s in sets:
        args += ["--set", s]
    run(*args)
    return h5py.File(out, "r")


def mech_index(f, name):
    names = [m.decode() if isinstance(m, bytes) else m for m in f["mechanism"][...]]
    return names.index(name)


def test_fig4_fig5_worker1_selection_probability_near_0_8():
    for name in ("fig4", "fig5"):
        f = result(name, "replicas=20")
        th = f["theta_traj"][mech_index(f, "ours")]      # [slot][worker]
        assert abs(th[0].sum() - 1) < 1e-12 and abs(th[0][0] - 0.2) < 1e-15
        end = th[-1]
        assert abs(end.sum() - 1) < 1e-12
        # "near 0.8": the floor w_i >= beta caps theta_1 at 1/(1 + 4 beta).
        assert 0.7 < end[0] < 0.9, end
        assert np.all(end[0] > end[1:])
        fq = f["selection_freq"][mech_index(f, "ours")]
        assert abs(fq.sum() - 1) < 1e-12 and np.argmax(fq) == 0


def test_fig8_regret_falls_for_every_N():
    f = result("fig8", "replicas=8", "T=[1000,5000,20000]")
    tar = f["time_avg_regret"][mech_index(f, "ours")]   # [N][T]
    for row in tar:
        assert np.all(np.diff(row) < 0), row


def test_fig9_benchmarks_flat_ours_falls():
    # Def. 5's step sizes are small at N = 50 (alpha ~ 2e-4 at T = 3e5), so
    # ours overtakes the 1.5x margin only at long horizons.
    f = result("fig9", "replicas=2", "T=[1000,20000,300000]")
    tar = f["time_avg_regret"]
    ours = tar[mech_index(f, "ours")]
    assert np.all(np.diff(ours) < 0), ours
    for b in ("em", "median"):
        v = tar[mech_index(f, b)]
        assert v[-1] >= 1.5 * ours[-1], (b, v, ours)
    exp3 = tar[mech_index(f, "exp3")]
    assert np.all(np.isfinite(exp3))
    # The subset baselines hear k = 10 workers a slot, uniformly.
    fq = f["selection_freq"][mech_index(f, "median")]     # [T][worker]
    assert np.allclose(fq.sum(axis=-1), 10, atol=1e-9)


THM2 = """name: thm2
feedback: limited
population: bands
N: [3, 5, 10]
m: 5
T: [500, 2000, 8000]
mechanisms: [ours]
replicas: 20
seed: 3
"""


def test_theorem2_bound_and_slope():
    f = result("thm2", exp=write(os.path.join(D, "thm2.yaml"), THM2))
    R = f["regret"][0]            # [N][T], mean over replicas
    ci = f["regret_ci"][0]
    N = f["N"][...].astype(float)
    T = f["T"][...].astype(float)
    bound = 2 * math.sqrt(7) * np.sqrt(N[:, None] * T[None, :] * np.log(N[:, None]))
    assert np.all(R + ci <= bound), (R, ci, bound)
    # Fitted slope of log mean R(T) against log T, per N, with a 95 % CI
    # from the replicas (bootstrap over replicas, fixed seed).
    rr = f["regret_replica"][0]   # [N][T][replica]
    rng = np.random.default_rng(0)
    for n in range(len(N)):
        y = np.log(rr[n].mean(axis=1))
        slope = np.polyfit(np.log(T), y, 1)[0]
        boots = []
        for _ in range(200):
            idx = rng.integers(0, rr.shape[2], rr.shape[2])
            boots.append(np.polyfit(np.log(T), np.log(rr[n][:, idx].mean(axis=1)), 1)[0])
        hi = np.percentile(boots, 97.5)
        print("N=%d slope %.3f (95%% CI up to %.3f)" % (N[n], slope, hi))
        assert hi < 1, (N[n], slope, hi)


def test_theorem2_fails_at_large_N_finding():
    # A finding, not a claim of the paper: Def. 5's weight floor w_i >= beta
    # leaves the N - 1 other workers a draw probability of about
    # (N-1) beta / (1 + (N-1) beta) (~0.49 at N = 50), where exp3 spends beta.
    # The bound 2 sqrt(7) sqrt(N T ln N) equals 7 beta T, so once
    # (N-1) * (loss gap) / (1 + (N-1) beta) > 7 the mean regret exceeds it:
    # measured R / bound = 1.79 at N = 50, T = 3e5 (README, Findings).  The
    # regret is still sublinear (R/T falls).  If this test starts failing,
    # the mechanism or the regret accounting changed: look before editing.
    f = result("thm2big", exp=write(os.path.join(D, "thm2big.yaml"),
        "name: thm2big\nfeedback: limited\npopulation: bands\nN: 50\nm: 20\n"
        "T: [10000, 300000]\nmechanisms: [ours]\nreplicas: 3\nseed: 2\n"))
    R, ci = f["regret"][0], f["regret_ci"][0]
    T = f["T"][...].astype(float)
    bound = 2 * math.sqrt(7) * np.sqrt(50 * T * math.log(50))
    assert R[0] + ci[0] < bound[0]          # holds at T = 1e4
    assert R[1] - ci[1] > 1.3 * bound[1]    # fails at T = 3e5
    assert R[1] / T[1] < R[0] / T[0]        # yet R(T)/T falls


def test_replay_selected_hand_computed():
    # N = 3 workers, one prompt per slot, 2 slots; ours (Def. 5) with
    # alpha = 0.01, beta = 0.3 (theta_min = beta/N = 0.1 > alpha).
    # Slot 0: theta = (1/3, 1/3, 1/3); worker 1 heard, report 0.6, truth 1:
    #   l = 0.16; gamma_1 = 1 - 0.01*0.16*(1 - 0.03)/(1/3) = 0.995344;
    #   w_1 = 0.7*0.995344 + 0.3 = 0.9967408.
    #   eq. (12) loss: (1/3)(0.09 + 0.16 + 0.0225) = 0.0908333...
    # Slot 1: theta = w / sum w with sum = 2.9967408; worker 2 heard, report
    #   0.2, truth 0: l = 0.04; theta_2 = 1/2.9967408.
    d = tmpdir()
    rep = write(os.path.join(d, "r.csv"), "slot,prompt,worker,report,truth\n"
                "0,0,0,0.7,1\n0,0,1,0.6,1\n0,0,2,0.85,1\n"
                "1,0,0,0.1,0\n1,0,1,0.3,0\n1,0,2,0.2,0\n")
    sel = write(os.path.join(d, "s.csv"), "slot,worker\n1,2\n0,1\n")
    out = os.path.join(d, "o.h5")
    run("replay", "--mechanism", "ours", "--feedback", "limited", "--set",
        "alpha=0.01", "--set", "beta=0.3", "--selected", sel, rep, "-o", out)
    with h5py.File(out, "r") as f:
        assert list(f["selected"][...]) == [1, 2]
        g1 = 1 - 0.01 * 0.16 * (1 - 0.01 * 3) * 3
        w1 = 0.7 * g1 + 0.3
        W = 2 + w1
        assert np.allclose(f["share"][1], [1 / W, w1 / W, 1 / W], rtol=0, atol=1e-14)
        th = 1 / W
        g2 = 1 - 0.01 * 0.04 * (1 - 0.01 / th) / th
        w2 = 0.7 * g2 + 0.3
        W2 = 1 + w1 + w2
        assert np.allclose(f["share"][2], [1 / W2, w1 / W2, w2 / W2], rtol=0, atol=1e-14)
        assert abs(f["loss"][0] - (0.09 + 0.16 + 0.0225) / 3) < 1e-14
        assert abs(f["loss"][1] - (0.01 + w1 * 0.09 + 0.04) / W) < 1e-14
        assert np.allclose(f["label"][:, 0], [0.6, 0.2], rtol=0, atol=0)
        assert f["theta"].shape == (2, 3)
    # Drawing from the seed instead is deterministic.
    a, b = os.path.join(d, "a.h5"), os.path.join(d, "b.h5")
    for o in (a, b):
        run("replay", "--mechanism", "ours", "--feedback", "limited", "--seed", "5",
            rep, "-o", o)
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        assert np.array_equal(fa["selected"][...], fb["selected"][...])


if __name__ == "__main__":
    main(globals())
