"""`truthsim overtake` (Prop. 2): for `ours` the first slot where the better
newcomer's expected weight reaches the incumbent's is at most the bound
ceil(ln(w_k/w_i)/(alpha Delta)) at every grid point, and the picture is drawn
with the bound as its own curve."""
import glob
import os

import h5py
import numpy as np

from tsutil import main, run, tmpdir

D = tmpdir()


def test_overtaking_within_prop2_bound():
    out = os.path.join(D, "ot.h5")
    run("overtake", "-o", out, "--replicas", "20")
    with h5py.File(out, "r") as f:
        names = [m.decode() if isinstance(m, bytes) else m for m in f["mechanism"][...]]
        tau = f["overtake_time"][...]            # [mechanism][gap][ratio]
        bound = tau[names.index("bound (Prop. 2)")]
        ours = tau[names.index("ours")]
        assert np.all(np.isfinite(ours)) and np.all(ours <= bound), (ours, bound)
        # The bound is nearly tight for ours (App. H): within 1 %.
        assert np.all(ours >= 0.99 * bound - 1), (ours, bound)
        ratio = f["ratio"][...]
        assert np.all(np.diff(ours, axis=1) > 0)  # a larger head start takes longer
        assert list(f["gap"][...]) == [0.05, 0.1, 0.2] and ratio[0] == 1.5
    pd = os.path.join(D, "pics")
    run("plot", out, "-o", pd)
    assert glob.glob(os.path.join(pd, "overtake_overtake.png"))


if __name__ == "__main__":
    main(globals())
