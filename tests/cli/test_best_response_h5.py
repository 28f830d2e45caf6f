"""`truthsim best-response -O`: the file records every parameter value each
mechanism used (params/<mechanism>/<name>, over the swept key when there is
one) and the provenance attributes of every truthsim file.

Known answers: at the defaults N = 5, T = 500, ours' alpha and hedge's eta
are (2/3) sqrt(2 ln N / T) (Thm. 1, SPEC §2) = 0.0534904...; a swept eta
is recorded as the values given; median declares no parameter, so it has
no group.  Usage: test_best_response_h5.py TRUTHSIM."""
import math
import os
import subprocess
import sys
import tempfile

import h5py

TRUTHSIM = os.path.abspath(sys.argv[1])
D = tempfile.mkdtemp(prefix="truthsim-test-")
PROVENANCE = ("program", "version", "git_commit", "command_line", "compiler",
              "hdf5_version", "gsl_version", "openmp")


def best_response(out, *args):
    subprocess.run([TRUTHSIM, "best-response", *args, "-q", "0.3,0.7",
                    "-O", out], check=True, capture_output=True, text=True)
    return h5py.File(out, "r")


def main():
    alpha = 2.0 / 3.0 * math.sqrt(2 * math.log(5) / 500)
    with best_response(os.path.join(D, "a.h5"), "--mechanism",
                       "ours,hedge,median") as f:
        assert f["params/ours/alpha"].shape == ()
        assert abs(f["params/ours/alpha"][()] - alpha) < 1e-15
        assert abs(f["params/hedge/eta"][()] - alpha) < 1e-15
        assert "median" not in f["params"]
        for a in PROVENANCE:
            assert a in f.attrs, a
        assert f.attrs["program"] == "truthsim"
        assert "best-response" in f.attrs["command_line"]
    with best_response(os.path.join(D, "b.h5"), "--mechanism", "hedge",
                       "--sweep", "eta=0.05,0.5,3") as f:
        eta = f["params/hedge/eta"]
        assert eta.shape == (3,) and list(eta[...]) == [0.05, 0.5, 3.0]
        assert eta.dims[0][0].name == "/eta"
    print("ok   best-response params and provenance")


if __name__ == "__main__":
    main()
