#!/usr/bin/python3
"""Independent reference for games/em.c (SPEC §2, one-coin Dawid-Skene with
soft reports).  Written from the SPEC's formulas, not from the C code: it
uses the M-step literally, a_i = (A_i + c_i) / (A_i + B_i + m), and
B_i += m - c_i, where em.c sums the disagreements d_i on their own.  The
two agree to rounding (c_i + d_i = m).

Rules (SPEC §2): pi = 1/2; each slot starts from a_i = A_i / (A_i + B_i)
over the heard workers and does the E-step first; one E-step plus one
M-step is one iteration; stop when max_i |delta a_i| <= tol or after
max_iter iterations; labels are gamma of the final E-step; then
A_i += c_i, B_i += m - c_i with c_i of that final E-step.

Run:  /usr/bin/python3 tests/data/em_reference.py
It prints, per case, the labels of every slot and log a_i of every worker
after every slot, with 17 significant digits; tests/games/test_em.c pins
these numbers.
"""
import math


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def em_slot(A, B, r, heard, tol=1e-12, max_iter=10000):
    """r[h][j] for heard workers heard[h]; updates A, B in place.
    Returns (labels, iterations, converged)."""
    m = len(r[0])
    a = {i: A[i] / (A[i] + B[i]) for i in heard}
    it = 0
    converged = False
    while it < max_iter:
        it += 1
        x = [sum((2 * r[h][j] - 1) * math.log(a[i] / (1 - a[i]))
                 for h, i in enumerate(heard)) for j in range(m)]
        gamma = [sigmoid(v) for v in x]
        c = {}
        delta = 0.0
        for h, i in enumerate(heard):
            c[i] = sum(gamma[j] * r[h][j] + (1 - gamma[j]) * (1 - r[h][j])
                       for j in range(m))
            new = (A[i] + c[i]) / (A[i] + B[i] + m)
            delta = max(delta, abs(new - a[i]))
            a[i] = new
        if delta <= tol:
            converged = True
            break
    for i in heard:
        A[i] += c[i]
        B[i] += m - c[i]
    return gamma, it, converged


def run(title, N, slots, a0=2.0, b0=1.0, **kw):
    print("==", title)
    A = [a0] * N
    B = [b0] * N
    for t, (r, heard) in enumerate(slots):
        heard = heard if heard is not None else list(range(N))
        gamma, it, conv = em_slot(A, B, r, heard, **kw)
        print("slot %d  iterations %d  converged %s" % (t, it, conv))
        print("  labels  ", ", ".join("%.17g" % g for g in gamma))
        print("  log a_i ", ", ".join("%.17g" % math.log(A[i] / (A[i] + B[i]))
                                      for i in range(N)))


# Case 1: N = 3, m = 2, two slots, all heard.
run("case1 N=3 m=2", 3, [
    ([[0.385, 0.82], [0.71, 0.23], [0.64, 0.455]], None),
    ([[0.91, 0.27], [0.335, 0.6], [0.58, 0.145]], None),
])

# Case 2: N = 3, heard {0, 2} then {1, 2} (subset baseline rows in sel order).
run("case2 N=3 subsets", 3, [
    ([[0.385, 0.82, 0.615], [0.64, 0.455, 0.27]], [0, 2]),
    ([[0.71, 0.23, 0.905], [0.58, 0.145, 0.66]], [1, 2]),
])

# Case 3: N = 2, m = 1, a0 = 3.5, b0 = 1.25.
run("case3 N=2 m=1 a0=3.5 b0=1.25", 2, [
    ([[0.385], [0.7]], None),
    ([[0.2], [0.45]], None),
], a0=3.5, b0=1.25)

# Case 4: max_iter = 1 (one E-step, one M-step, then stop).
run("case4 max_iter=1", 3, [
    ([[0.385, 0.82], [0.71, 0.23], [0.64, 0.455]], None),
], max_iter=1)

# Case 5: App. A's majority flip, N = 3, m = 4, p = (1, 0, 0, 1): worker 0
# reports p exactly, workers 1 and 2 report 1 - p; three slots.
p = [1, 0, 0, 1]
flip = [[float(v) for v in p], [1.0 - v for v in p], [1.0 - v for v in p]]
run("case5 majority flip", 3, [(flip, None)] * 3)
