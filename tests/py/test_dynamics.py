"""Prop. 2, Prop. 3(b) and drift end to end: `truthsim check --claims
prop2,prop3b,drift` passes at a reduced scale; experiments/noisy.yaml,
drift.yaml and newcomer.yaml run at reduced sizes and show what their
headers say; `truthsim plot` draws regret against eps with the bound."""
import math
import os

import h5py
import numpy as np

from tsutil import EXPERIMENTS, main, run, tmpdir

D = tmpdir()


def result(name, *sets):
    out = os.path.join(D, name + ".h5")
    args = ["run", "-q", os.path.join(EXPERIMENTS, name + ".yaml"), "-o", out]
    for s in sets:
        args += ["--set", s]
    run(*args)
    return h5py.File(out, "r")


def mech_index(f, name):
    names = [m.decode() if isinstance(m, bytes) else m for m in f["mechanism"][...]]
    return names.index(name)


def test_claims_pass():
    p = run("check", "--claims", "prop2,prop3b,drift", "--scale", "0.3")
    lines = p.stdout.splitlines()
    for cid in ("prop2", "prop3b", "drift"):
        assert any(l.startswith(cid + " ") and "PASS" in l for l in lines), cid
    assert "FAIL" not in p.stdout
    assert lines[-1].endswith("0 failed"), lines[-1]


def test_noisy_below_prop3b_bound():
    f = result("noisy", "replicas=8", "T=[500]", "mechanisms=[ours,median]")
    eps = f["epsilon"][...]
    r = f["time_avg_regret"][mech_index(f, "ours")]      # [T][eps]
    ci = f["time_avg_regret_ci"][mech_index(f, "ours")]
    T, N = 500, 5
    bound = 3 * math.sqrt(math.log(N) / (2 * T)) + 2 * eps
    assert np.all(r[0] + ci[0] <= bound), (r, bound)
    assert r[0][-1] > r[0][0]          # noise costs something
    out = os.path.join(D, "pl")
    os.makedirs(out, exist_ok=True)
    run("plot", os.path.join(D, "noisy.h5"), "-o", out)
    names = [n for n in os.listdir(out) if n.startswith("noisy_regret_eps") and n.endswith(".gp")]
    assert len(names) == 1, names
    gp = open(os.path.join(out, names[0])).read()
    assert "coord_T = 500" in gp and "coord_N = 5" in gp


def test_drift_shares_follow_the_best():
    f = result("drift", "replicas=4", "mechanisms=[ours,median]")
    s = f["share_traj"][mech_index(f, "ours")]           # [slot][worker]
    assert np.argmax(s[499]) == 0 and s[499][0] > 0.5
    assert np.argmax(s[999]) == 1 and s[999][1] > 0.5
    assert np.argmax(s[1500]) == 2 and s[1500][2] > 0.5
    m = f["share_traj"][mech_index(f, "median")]
    assert np.allclose(m[-1], 0.2)


def test_newcomer_overtakes_after_arrival():
    f = result("newcomer", "replicas=4", "mechanisms=[ours]")
    s = f["share_traj"][0]
    assert s[100][0] > s[100][1]       # the incumbent leads at arrival
    assert s[-1][1] > s[-1][0]         # the newcomer leads at the end


if __name__ == "__main__":
    main(globals())
