#!/usr/bin/python3
"""Known answers for tests/games/test_{ours,hedge,average}.c, computed
directly from SPEC §1-2 with plain (linear-domain) weights, independently of
the C code, which keeps log weights.

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
