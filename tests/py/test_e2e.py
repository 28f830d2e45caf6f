"""The end-to-end experiment through `truthsim run` (kind: e2e; src/e2e,
paper Sec. VII-B) at a tiny size: the file's layout and named axes, the
same bytes in every dataset for 1 and 2 threads, the committed figure files
load, bad input is refused with file:line and no output file, and the
plot kinds draw."""
import os

import h5py
import numpy as np

from tsutil import EXPERIMENTS, main, run, tmpdir, write

TINY = """kind: e2e
name: tiny
mechanisms: [ours, median]
strategies: [truthful, best_response]
best_response: {qgrid: 4, grid: 11, refresh: 5}
N: 5
m: 8
m_test: 8
rounds: 3
replicas: 2
dpo: {epochs: 1}
"""


def test_layout_and_threads():
    d = tmpdir()
    exp = write(os.path.join(d, "tiny.yaml"), TINY)
    out = []
    for j in (1, 2):
        o = os.path.join(d, "t%d.h5" % j)
        run("run", exp, "-o", o, "-j", j, "-q")
        out.append(o)
    with h5py.File(out[0]) as a, h5py.File(out[1]) as b:
        assert a.attrs["kind"] == "e2e"
        assert [m.decode() for m in a["mechanism"][:]] == ["ours", "median"]
        assert list(a["round"][:]) == [1, 2, 3]
        for k in ("win_rate", "test_accuracy", "reference_accuracy",
                  "label_accuracy", "label_mse", "dpo_loss"):
            assert a[k].shape == (2, 2, 1, 1, 3), k
            assert a[k + "_ci"].shape == (2, 2, 1, 1, 3), k
            assert np.array_equal(a[k][:], b[k][:], equal_nan=True), k
        w, acc = a["win_rate"][:], a["test_accuracy"][:]
        assert np.all((w >= 0) & (w <= acc + 1e-12))
        # common random numbers: one reference model per replica
        ref = a["reference_accuracy"][:]
        assert np.all(ref == ref[0, 0])


def test_refusals():
    d = tmpdir()
    exp = write(os.path.join(d, "bad.yaml"), TINY + "bogus: 3\n")
    o = os.path.join(d, "bad.h5")
    p = run("run", exp, "-o", o, check=False)
    assert p.returncode != 0
    assert "bad.yaml:12:" in p.stderr and "bogus" in p.stderr, p.stderr
    assert not os.path.exists(o)
    exp = write(os.path.join(d, "bad2.yaml"), TINY.replace("N: 5", "N: 5\npreset: huge"))
    p = run("run", exp, "-o", o, check=False)
    assert p.returncode != 0 and "huge" in p.stderr, p.stderr
    assert not os.path.exists(o)


def test_committed_files_load_and_plot():
    d = tmpdir()
    for f in range(11, 17):
        o = os.path.join(d, "f%d.h5" % f)
        run("run", os.path.join(EXPERIMENTS, "fig%d.yaml" % f), "-o", o, "-q",
            "--set", "replicas=1", "--set", "m=4", "--set", "m_test=4",
            "--set", "dpo.epochs=1",
            "--set", "mechanisms=[median, ours]")
    p = run("plot", os.path.join(d, "f12.h5"), "-o", d)
    assert os.path.exists(os.path.join(d, "fig12_win_rate.tsv"))
    assert os.path.exists(os.path.join(d, "fig12_win_rate_size.tsv"))


if __name__ == "__main__":
    main(globals())
