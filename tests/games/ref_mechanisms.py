#!/usr/bin/python3
"""An independent reference for games/omoe.c, games/betabin.c and
games/wsu.c (SPEC §2, both tables; SPEC §7.1 for replay's outputs).

The formulas are written out as SPEC §2 states them, in plain Python floats
and linear weights: WSU's shares pi are multiplied directly (the C code
keeps log pi and renormalises), WSU-UX's importance-weighted losses are a
full vector lh with zeros for the workers not heard (the C code uses the
rearranged factors 1 - eta lh_I (1 - pi_I) and 1 + eta pi_I lh_I), and
omoe's bonus is sqrt(ln(t^2) / (2 n)) (the C code: sqrt(ln t / n)).

Two uses:
  - run as a script, it prints the known answers pinned in
    tests/games/test_{omoe,betabin,wsu}.c (N = 3, m = 2, two or three
    slots, non-round reports);
  - tests/py/test_new_mechanisms.py imports it and replays a reports file
    (replay()) to compare with `truthsim replay` to 1e-9.

Run:  /usr/bin/python3 tests/games/ref_mechanisms.py
"""
import math


def sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def sq_loss(row, pv):
    """SPEC §1: l = (1/m) sum_j (r_j - pv_j)^2."""
    return sum((r - p) ** 2 for r, p in zip(row, pv)) / len(pv)


class Omoe:
    """Benchmark 5 (stand-in): votes 1{r >= 1/2}, optimistic accuracy
    c~ = min(1 - delta, k/n + sqrt(ln(t^2) / (2 n))), c~ = 1 - delta while
    n = 0, v = max(0, logit c~), label sigma(sum_i v_i (2 vote - 1))."""

    def __init__(self, N, delta=1e-3):
        self.N, self.delta = N, delta
        self.n = [0] * N
        self.k = [0] * N
        self.t = 1  # the coming slot, 1-based

    def weights(self):
        v = []
        for n, k in zip(self.n, self.k):
            c = 1 - self.delta
            if n > 0:
                c = min(1 - self.delta, k / n + math.sqrt(math.log(self.t ** 2) / (2 * n)))
            v.append(max(0.0, math.log(c / (1 - c))) if c > 0 else 0.0)
        return v

    def label(self, rows, heard):
        v = self.weights()
        m = len(rows[0])
        return [sigmoid(sum(v[i] * (1 if rows[h][j] >= 0.5 else -1)
                            for h, i in enumerate(heard))) for j in range(m)]

    def update(self, rows, heard, pv):
        for h, i in enumerate(heard):
            votes = [1 if r >= 0.5 else 0 for r in rows[h]]
            self.n[i] += len(pv)
            self.k[i] += sum(1 for a, p in zip(votes, pv) if a == p)
        self.t += 1

    def theta(self):
        v = self.weights()
        V = sum(v)
        return [x / V for x in v] if V > 0 else [1.0 / self.N] * self.N


class Betabin:
    """Benchmark 6: a^ = a/(a+b), label sigma(sum_i (2 r - 1) logit a^_i),
    a += sum (1 - |r - pv|), b += sum |r - pv|."""

    def __init__(self, N, a0=1.0, b0=1.0):
        self.N = N
        self.a = [a0] * N
        self.b = [b0] * N

    def weights(self):
        return [a / (a + b) for a, b in zip(self.a, self.b)]

    def label(self, rows, heard):
        w = self.weights()
        m = len(rows[0])
        return [sigmoid(sum((2 * rows[h][j] - 1) * math.log(w[i] / (1 - w[i]))
                            for h, i in enumerate(heard))) for j in range(m)]

    def update(self, rows, heard, pv):
        for h, i in enumerate(heard):
            self.a[i] += sum(1 - abs(r - p) for r, p in zip(rows[h], pv))
            self.b[i] += sum(abs(r - p) for r, p in zip(rows[h], pv))

    def theta(self):
        w = self.weights()
        W = sum(w)
        return [x / W for x in w]


class Wsu:
    """Freeman et al. 2020.  WSU: label sum pi r / sum pi;
    pi_i *= 1 - eta (l_i - sum_k pi_k l_k).  WSU-UX (beta given):
    theta = (1 - beta) pi + beta/N, lh_I = l_I / theta_I, lh = 0 elsewhere,
    pi_i *= 1 - eta (lh_i - sum_k pi_k lh_k) for every i."""

    def __init__(self, N, eta, beta=None):
        self.N, self.eta, self.beta = N, eta, beta
        self.pi = [1.0 / N] * N

    def weights(self):
        return list(self.pi)

    def label(self, rows, heard):
        W = sum(self.pi[i] for i in heard)
        m = len(rows[0])
        return [sum(self.pi[i] * rows[h][j] for h, i in enumerate(heard)) / W
                for j in range(m)]

    def reweigh(self, l):
        Lbar = sum(p * x for p, x in zip(self.pi, l))
        self.pi = [p * (1 - self.eta * (x - Lbar)) for p, x in zip(self.pi, l)]

    def update(self, rows, heard, pv):
        if self.beta is None:  # WSU: every worker heard
            self.reweigh([sq_loss(rows[h], pv) for h in range(len(heard))])
            return
        (i,) = heard
        th = self.theta()
        lh = [0.0] * self.N
        lh[i] = sq_loss(rows[0], pv) / th[i]
        self.reweigh(lh)

    def theta(self):
        return [(1 - self.beta) * p + self.beta / self.N for p in self.pi]


def make(name, feedback, N, T, params=None):
    """A reference mechanism with SPEC §2's defaults for (N, T), params
    overriding them; returns (mechanism, the parameters in use)."""
    p = dict(params or {})
    if name == "omoe":
        p.setdefault("delta", 1e-3)
        return Omoe(N, p["delta"]), p
    if name == "betabin":
        p.setdefault("a0", 1.0)
        p.setdefault("b0", 1.0)
        return Betabin(N, p["a0"], p["b0"]), p
    if name == "wsu" and feedback == "full":
        p.setdefault("eta", math.sqrt(math.log(N) / T))
        return Wsu(N, p["eta"]), p
    if name == "wsu":
        p.setdefault("eta", (math.log(N) / (4 * math.sqrt(N) * T)) ** (2.0 / 3.0))
        p.setdefault("beta", math.sqrt(p["eta"] * N))
        return Wsu(N, p["eta"], p["beta"]), p
    raise ValueError(name)


def shares(w):
    W = sum(w)
    return [x / W for x in w] if W > 0 else [1.0 / len(w)] * len(w)


def replay(name, feedback, slots, N, params=None, selected=None, pick=None):
    """SPEC §7.1 on slots = [(reports [N][m_t], truth [m_t]), ...].
    Limited feedback hears selected[t], or pick(t, theta) when selected is
    None.  Returns a dict of share [T+1][N], label [T][m_t], worker_loss
    [T][N], loss [T], regret [T], selected [T], theta [T][N], params."""
    T = len(slots)
    mech, used = make(name, feedback, N, T, params)
    out = {k: [] for k in ("share", "label", "worker_loss", "loss", "regret",
                           "selected", "theta")}
    out["params"] = used
    cum = [0.0] * N
    total = 0.0
    for t, (r, truth) in enumerate(slots):
        out["share"].append(shares(mech.weights()))
        wl = [sq_loss(row, truth) for row in r]
        if feedback == "full":
            heard = list(range(N))
            A = mech.label(r, heard)
            L = sum((a - p) ** 2 for a, p in zip(A, truth)) / len(truth)
        else:
            th = mech.theta()
            i = selected[t] if selected is not None else pick(t, th)
            assert th[i] > 0, (t, i, th)
            heard = [i]
            A = list(r[i])
            L = sum(x * y for x, y in zip(th, wl))  # eq. (12)
            out["theta"].append(th)
            out["selected"].append(i)
        mech.update([r[i] for i in heard], heard, truth)
        cum = [c + x for c, x in zip(cum, wl)]
        total += L
        out["label"].append(A)
        out["worker_loss"].append(wl)
        out["loss"].append(L)
        out["regret"].append(total - min(cum))
    out["share"].append(shares(mech.weights()))
    return out


# ---------------------------------------------------------------------------
# Known answers for the C unit tests: N = 3, m = 2, rows are workers.

R = [
    [[0.385, 0.82], [0.71, 0.23], [0.64, 0.455]],
    [[0.91, 0.27], [0.335, 0.6], [0.58, 0.145]],
    [[0.27, 0.545], [0.865, 0.12], [0.43, 0.775]],
]
PV = [[1, 0], [0, 1], [1, 1]]
PICKS = [2, 0, 2]  # limited feedback: the heard worker per slot


def show(name, xs):
    print("  %-7s %s" % (name, ", ".join("%.17g" % x for x in xs)))


def logs(w):
    return [math.log(x) if x > 0 else -math.inf for x in w]


def known_full(title, mech, n_slots=2):
    print("==", title)
    for t in range(n_slots):
        A = mech.label(R[t], [0, 1, 2])
        mech.update(R[t], [0, 1, 2], PV[t])
        print("slot %d" % t)
        show("label", A)
        show("log w", logs(mech.weights()))


def known_limited(title, mech):
    print("==", title, "picks", PICKS)
    for t, i in enumerate(PICKS):
        th = mech.theta()
        mech.update([R[t][i]], [i], PV[t])
        print("slot %d heard %d loss %.17g" % (t, i, sq_loss(R[t][i], PV[t])))
        show("theta", th)
        show("log w", logs(mech.weights()))
    show("theta", mech.theta())


if __name__ == "__main__":
    known_full("omoe delta=1e-3", Omoe(3))
    known_full("omoe delta=0.05", Omoe(3, 0.05))
    known_full("betabin a0=1 b0=1", Betabin(3))
    known_full("betabin a0=2.5 b0=0.75", Betabin(3, 2.5, 0.75))
    known_full("wsu eta=0.3", Wsu(3, 0.3))
    known_limited("omoe limited delta=1e-3", Omoe(3))
    known_limited("betabin limited a0=1 b0=1", Betabin(3))
    known_limited("wsu limited eta=0.05 beta=0.4", Wsu(3, 0.05, 0.4))
    print("== defaults")
    for N, T in ((3, 100), (5, 2500), (50, 2500)):
        eta = (math.log(N) / (4 * math.sqrt(N) * T)) ** (2.0 / 3.0)
        print("N=%d T=%d" % (N, T))
        show("wsu eta", [math.sqrt(math.log(N) / T)])
        show("ux eta", [eta])
        show("ux beta", [math.sqrt(eta * N)])
