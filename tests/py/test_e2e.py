"""The end-to-end experiment through `truthsim run` (kind: e2e; src/e2e,
paper Sec. VII-B) at a tiny size: the file's layout and named axes, the
same bytes in every dataset for 1 and 2 threads, the committed figure files
load, bad input is refused with file:line and no output file, the plot
kinds draw, and fig11 runs on a directory of DeepSense files (population
deepsense, `data: DIR`) with the one command the README gives."""
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


def write_deepsense(d, names, n_win=3, amp=2.0):
    """DeepSense files MASK_dayD.bin: complex noise of power 1 a sample plus
    a tone of amplitude amp on each bin of every busy channel, as float32
    I/Q little-endian (games/spectrum.h)."""
    rng = np.random.default_rng(4)
    n = np.arange(32)
    for name in names:
        x = (rng.normal(size=(n_win, 32)) + 1j * rng.normal(size=(n_win, 32))) / np.sqrt(2)
        for c in range(4):
            if name[c] == "1":
                for b in range(8):
                    k = (8 * c + b + 16) % 32
                    x += amp * np.exp(2j * np.pi * (k * n / 32 + 0.1 * b))
        iq = np.empty((n_win, 64), dtype="<f4")
        iq[:, 0::2], iq[:, 1::2] = x.real, x.imag
        iq.tofile(os.path.join(d, name))


def test_deepsense_data():
    d = tmpdir()
    data = os.path.join(d, "deepsense")
    os.mkdir(data)
    write_deepsense(data, ["1010_day1.bin", "0101_day1.bin", "0000_day2.bin",
                           "1101_day2.bin"])
    o = os.path.join(d, "fig11_deepsense.h5")
    run("run", os.path.join(EXPERIMENTS, "fig11.yaml"), "-o", o, "-q",
        "--set", "population=deepsense", "--set", "data=" + data,
        "--set", "replicas=1", "--set", "m=8", "--set", "m_test=8",
        "--set", "rounds=2", "--set", "dpo.epochs=1",
        "--set", "mechanisms=[median, ours]")
    with h5py.File(o) as f:
        assert "data=" + data in f.attrs["experiment"]
        # truthful SUs hear 21 dB tones: every label on its file's mask
        assert np.all(f["label_accuracy"][:, 0] == 1.0)
    # refusals, each with the file's position and no output
    base = TINY + "population: deepsense\n"
    cases = [(base + "data: %s\n" % d, "bad.yaml:13:", "no DeepSense file"),
             (base, "bad.yaml:12:", "'population' = deepsense needs 'data: DIR'"),
             (TINY + "population: bands\n", "bad.yaml:12:",
              "a population without prompt texts"),
             (TINY + "data: %s\n" % data, "bad.yaml:12:",
              "is for population deepsense only")]
    for text, where, what in cases:
        exp = write(os.path.join(d, "bad.yaml"), text)
        p = run("run", exp, "-o", os.path.join(d, "bad.h5"), check=False)
        assert p.returncode != 0, text
        assert where in p.stderr and what in p.stderr, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert not os.path.exists(os.path.join(d, "bad.h5"))


if __name__ == "__main__":
    main(globals())
