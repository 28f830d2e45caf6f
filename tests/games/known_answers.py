#!/usr/bin/python3
"""Known answers for tests/games/test_{ours,hedge,average}.c and, for
limited feedback, test_{ours_limited,exp3}.c, computed directly from SPEC
§1-2 and the paper's equations with plain (linear-domain) weights,
independently of the C code, which keeps log weights.

Run:  /usr/bin/python3 tests/games/known_answers.py
"""
import math

# N = 3 workers, m = 2 prompts, two slots; rows are workers.
R = [
    [[0.385, 0.82], [0.71, 0.23], [0.64, 0.455]],
    [[0.91, 0.27], [0.335, 0.6], [0.58, 0.145]],
]
PV = [[1, 0], [0, 1]]


def loss(row, pv):
    return sum((x - y) ** 2 for x, y in zip(row, pv)) / len(pv)


def run(title, factor, heard=None):
    print("==", title)
    w = [1.0, 1.0, 1.0]
    for t in range(2):
        rows = R[t]
        idx = heard[t] if heard else [0, 1, 2]
        rows = [R[t][i] for i in idx]
        W = sum(w[i] for i in idx)
        A = [sum(w[i] * rows[h][j] for h, i in enumerate(idx)) / W for j in range(2)]
        for h, i in enumerate(idx):
            w[i] *= factor(loss(rows[h], PV[t]))
        print("slot %d labels %s" % (t, ", ".join("%.17g" % a for a in A)))
        print("       log w  %s" % ", ".join("%.17g" % math.log(x) for x in w))


run("ours alpha=0.3", lambda l: 1 - 0.3 * l)
run("hedge eta=0.7", lambda l: math.exp(-0.7 * l))
run("ours alpha=0.3 heard {0,2} then {1,2}", lambda l: 1 - 0.3 * l,
    heard=[[0, 2], [1, 2]])
run("average", lambda l: 1.0)


# ---------------------------------------------------------------------------
# Limited feedback (SPEC §2, second table; paper Sec. VI) for
# tests/games/test_ours_limited.c and test_exp3.c.  One worker I_t is heard
# per slot; the test picks it (PICKS) and drives the mechanism directly.
# Plain linear weights and gamma, the formulas of the paper written out
# literally (eq. (13), (14), (15)); the C code keeps exp3 in the log domain
# and writes Def. 5's factor as 1 - l x (1 - x), x = alpha/theta_i.

# A third slot for the limited cases (rows are workers).
R.append([[0.27, 0.545], [0.865, 0.12], [0.43, 0.775]])
PV.append([1, 1])
PICKS = [2, 0, 2]  # heard worker per slot: worker 2 twice, worker 0 once


def show(name, xs):
    print("  %-6s %s" % (name, ", ".join("%.17g" % x for x in xs)))


def ours_limited(alpha, beta):
    """Def. 5: theta_i = w_i / sum w; the heard worker i gets
    gamma_i *= 1 - alpha l_i (1 - alpha/theta_i) / theta_i     (15)
    w_i = (1 - beta) gamma_i + beta                            (14)
    gamma = w = 1 at the start; the label is the heard report."""
    print("== ours limited alpha=%g beta=%g picks %s" % (alpha, beta, PICKS))
    N = 3
    g = [1.0] * N
    w = [1.0] * N
    for t, i in enumerate(PICKS):
        W = sum(w)
        theta = [x / W for x in w]
        l = loss(R[t][i], PV[t])
        g[i] *= 1 - alpha * l * (1 - alpha / theta[i]) / theta[i]
        w[i] = (1 - beta) * g[i] + beta
        print("slot %d heard %d loss %.17g" % (t, i, l))
        show("theta", theta)
        show("label", R[t][i])
        show("gamma", g)
        show("w", w)
    W = sum(w)
    show("theta", [x / W for x in w])


def exp3(eta, beta):
    """Benchmark 4, eq. (13): theta_i = (1 - beta) w_i / sum w + beta / N;
    the heard worker i gets w_i *= exp(-eta l_i / theta_i)."""
    print("== exp3 eta=%g beta=%g picks %s" % (eta, beta, PICKS))
    N = 3
    w = [1.0] * N
    for t, i in enumerate(PICKS):
        W = sum(w)
        theta = [(1 - beta) * x / W + beta / N for x in w]
        l = loss(R[t][i], PV[t])
        w[i] *= math.exp(-eta * l / theta[i])
        print("slot %d heard %d loss %.17g" % (t, i, l))
        show("theta", theta)
        show("log w", [math.log(x) for x in w])
    W = sum(w)
    show("theta", [(1 - beta) * x / W + beta / N for x in w])


ours_limited(0.0875, 0.385)
exp3(0.45, 0.215)


# Defaults of Thm. 2 (also exp3's, Fig. 9) at N = 5, T = 2500, and the
# start-up bound: w_i in (beta, 1] gives theta_i > beta / (beta + N - 1).
N, T = 5, 2500
a = math.sqrt(math.log(N) / (7 * N * T))
b = 2 * math.sqrt(N * math.log(N) / (7 * T))
print("== defaults N=%d T=%d" % (N, T))
show("alpha", [a])
show("beta", [b])
show("beta/N", [b / N])
show("theta_min", [b / (b + N - 1)])


def argmax_bisect(dF, lo=0.0, hi=1.0):
    """Root of a decreasing-through-zero derivative dF on [lo, hi]."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if dF(mid) > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# Lemma 4 (App. E) on a non-uniform state, m = 1: N = 3, eta = 0.45,
# beta = 0.215; slot 0 hears worker 1, who reports 0.385 on pv = 1.  Then
# worker 0 (w_0 = 1, belief q = 0.8) is heard with probability theta_0 and
# chooses r; with c = eta / theta_0,
#   E[w_0'] = theta_0 [q e^{-c (1-r)^2} + (1-q) e^{-c r^2}] + (1 - theta_0),
# maximised where the bracket's derivative
#   2c [q (1-r) e^{-c (1-r)^2} - (1-q) r e^{-c r^2}]
# vanishes (found here by bisection, the C test by a grid search).
eta, beta, q = 0.45, 0.215, 0.8
w = [1.0, math.exp(-eta * (1 - 0.385) ** 2 / (1.0 / 3)), 1.0]
theta0 = (1 - beta) * w[0] / sum(w) + beta / 3
c = eta / theta0
F = lambda r: q * math.exp(-c * (1 - r) ** 2) + (1 - q) * math.exp(-c * r * r)
dF = lambda r: q * (1 - r) * math.exp(-c * (1 - r) ** 2) - (1 - q) * r * math.exp(-c * r * r)
rstar = argmax_bisect(dF)
print("== exp3 Lemma 4 eta=%g beta=%g q=%g after worker 1 heard" % (eta, beta, q))
show("theta0", [theta0])
show("r*", [rstar])
show("E[w] at r*", [theta0 * F(rstar) + 1 - theta0])
show("E[w] at q", [theta0 * F(q) + 1 - theta0])
