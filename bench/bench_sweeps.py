"""Sweep costs (issue "sweeps", item 8), printed, never asserted:
  - a point's file and hashing as a share of its simulation time at N = 20,
    T = 1000, 100 replicas (goal: under 5 %);
  - merging 1000 point files (goal: under 10 s)."""
import os
import subprocess
import sys
import tempfile
import time

ts = sys.argv[1]
d = tempfile.mkdtemp(prefix="truthsim-bench-")


def write(name, text):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write(text)
    return p


ovh = write("ovh.yaml", "name: ovh\npopulation: bands\nN: 20\nm: 20\nT: 1000\n"
            "epsilon: [0, 0.01, 0.02, 0.05]\nmechanisms: [ours]\nreplicas: 100\n")
p = subprocess.run([ts, "run", "-q", "--timing", ovh, "-o", os.path.join(d, "ovh.h5")],
                   capture_output=True, text=True, check=True)
print("per-point overhead (goal < 5 % of simulation):", p.stderr.strip())

k = write("k.yaml", "name: thousand\npopulation: bands\nN: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\n"
          "m: 2\nT: [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]\n"
          "epsilon: [0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09]\n"
          "mechanisms: [ours, hedge]\nreplicas: 4\n")
out = os.path.join(d, "k.h5")
subprocess.run([ts, "run", "-q", k, "-o", out], check=True)
t0 = time.monotonic()
subprocess.run([ts, "merge", out + ".points", "-o", os.path.join(d, "k2.h5")],
               check=True, capture_output=True)
print("merge of 1000 point files: %.2f s (goal < 10 s)" % (time.monotonic() - t0))
