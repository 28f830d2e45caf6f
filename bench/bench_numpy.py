"""The engine beside a numpy implementation of the same game, measured in the
same run (issue 15, item 3).  Prints figures, asserts nothing.

Game (SPEC §2, Def. 4; Sec. VII-A): `ours` on `bands`, full feedback,
truthful workers, N = 50, m = 20, T = 2000.  Per slot and replica: p_j ~
Bernoulli(1/2); q_ij = p_j + (1 - 2 p_j) u_ij, u_ij ~ U(band_i) (worker 1
in [0, 0.1], worker i >= 2 width 0.1 centred at 0.5 + 0.3 (i - 2)/(N - 2));
label A_j = sum_i w_i q_ij / sum_i w_i; loss l_i = mean_j (q_ij - p_j)^2;
log w_i += log(1 - alpha l_i), alpha = (2/3) sqrt(2 ln N / T); platform
loss mean_j (A_j - p_j)^2 and R(T) = sum_t L_t - min_i sum_t l_i.  numpy
is vectorised over replicas and workers ([R, N, m] arrays per slot), one
thread (OPENBLAS/OMP threads pinned to 1 before numpy loads).  The engine
side is `truthsim bench` (its own draws from Philox streams; same work).

Both report worker*prompt*slot updates per second; R(T)/T of both is
printed as a sanity check that they play the same game (equal in
expectation, not in bits: different random streams).

Usage: bench_numpy.py TRUTHSIM [R]
"""
import os
import re
import subprocess
import sys
import time

ENGINE_ENV = dict(os.environ)  # the engine keeps all threads
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
import numpy as np  # noqa: E402

N, M, T = 50, 20, 2000


def numpy_game(R, seed=1):
    rng = np.random.default_rng(seed)
    alpha = (2.0 / 3.0) * np.sqrt(2.0 * np.log(N) / T)
    lo = np.empty(N)
    lo[0] = 0.0
    i = np.arange(1, N)
    lo[1:] = 0.5 + 0.3 * (i - 1) / (N - 2) - 0.05
    lo = lo[None, :, None]
    logw = np.zeros((R, N))
    cum_l = np.zeros((R, N))
    cum_L = np.zeros(R)
    for _ in range(T):
        p = (rng.random((R, 1, M)) < 0.5).astype(np.float64)
        u = lo + 0.1 * rng.random((R, N, M))
        q = p + (1.0 - 2.0 * p) * u
        w = np.exp(logw - logw.max(axis=1, keepdims=True))
        A = np.einsum("rn,rnm->rm", w, q) / w.sum(axis=1)[:, None]
        L = ((A - p[:, 0, :]) ** 2).mean(axis=1)
        ell = ((q - p) ** 2).mean(axis=2)
        logw += np.log1p(-alpha * ell)
        cum_l += ell
        cum_L += L
    return float(((cum_L - cum_l.min(axis=1)) / T).mean())


def main():
    ts = sys.argv[1]
    R = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    t0 = time.process_time()
    w0 = time.monotonic()
    reg = numpy_game(R)
    cpu, wall = time.process_time() - t0, time.monotonic() - w0
    upd = float(N) * M * T * R
    print("numpy (ours, bands, N=%d, m=%d, T=%d, %d replicas, 1 thread): "
          "%.2f s CPU, %.2f s wall, %.3g updates/s per core (CPU), "
          "R(T)/T %.4f" % (N, M, T, R, cpu, wall, upd / cpu, reg))
    p = subprocess.run([ts, "bench", "-N", str(N), "-m", str(M), "-T", str(T),
                        "-r", str(R)], capture_output=True, text=True,
                       check=True, env=ENGINE_ENV)
    m = re.search(r"threads 1: ([0-9.]+) s, ([0-9.e+]+) updates/s", p.stdout)
    print(p.stdout.strip())
    if m:
        eng = float(m.group(2))
        print("engine / numpy, one core: %.1fx (numpy by CPU time, the "
              "engine by its best of 3 wall times: on a loaded machine "
              "this understates the engine)" % (eng / (upd / cpu)))


if __name__ == "__main__":
    main()
