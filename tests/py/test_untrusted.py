"""Untrusted result files (issue 14, item 6): truncated, bit-flipped and
crafted HDF5 given to `truthsim plot` and `truthsim merge` end in one line
on stderr and the command's exit code for bad input -- never a signal, a
core file, a hang or an output file.

tests/results/bad-h5/ holds files the fuzzer (fuzz/, and a mutation loop
over a result and a point file of the experiment below) found to crash or
hang libhdf5 1.10.8 itself: abort-free.h5 (glibc's "free(): invalid
pointer", SIGABRT), segv.h5 (SIGSEGV), hang.h5 (one byte changed in a
result file: libhdf5 loops forever), point-segv.h5 (a point file, SIGSEGV).
Read in-process they kill `plot` and `merge` (fuzz/fuzz_result_direct
shows it); through the limited child of src/cli/sandbox.c they are
refused."""
import glob
import os
import random
import shutil
import subprocess
import time

from tsutil import TRUTHSIM, SOURCE, main, run, tmpdir, write

BAD = os.path.join(SOURCE, "tests", "results", "bad-h5")

TINY = """name: tiny
description: "tiny"
feedback: full
population: bands
N: 3
m: 4
T: [5, 10]
epsilon: 0
mechanisms: [ours]
strategy: truthful
trajectory: true
replicas: 2
seed: 1
"""

_made = {}

# Under AddressSanitizer (GCC links libasan dynamically) the child reports
# a fault itself and exits 1 rather than dying of the signal.
ASAN = b"libasan" in subprocess.run(["ldd", TRUTHSIM], capture_output=True).stdout
CRASHED = ("not a readable truthsim result file (" if ASAN else
           "not a readable truthsim result file (the HDF5 library crashed on it: ")


def result():
    """A small result file and its point files, made once."""
    if not _made:
        d = tmpdir()
        y = write(os.path.join(d, "tiny.yaml"), TINY)
        out = os.path.join(d, "tiny.h5")
        run("run", y, "-o", out)
        _made["h5"] = open(out, "rb").read()
        _made["points"] = os.path.join(out + ".points")
    return _made


def bad_input_code(cmd):
    """The exit code the command gives a plain text file: its code for bad
    input, which every refusal here must match."""
    d = tmpdir()
    if cmd == "plot":
        f = write(os.path.join(d, "text.h5"), "not HDF5 at all\n" * 8)
        p = run("plot", f, "--no-render", "-o", os.path.join(d, "o"), check=False)
    else:
        os.makedirs(os.path.join(d, "p"))
        write(os.path.join(d, "p", "point-000000.h5"), "not HDF5 at all\n" * 8)
        p = run("merge", os.path.join(d, "p"), "-o", os.path.join(d, "m.h5"),
                check=False)
    assert 0 < p.returncode < 128, p
    return p.returncode


def refused(p, cmd, name, code, why=None):
    """p ended cleanly with one line naming the file."""
    assert p.returncode == code, (name, p.returncode, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1, (name, p.stderr)
    assert lines[0].startswith("truthsim %s: %s" % (cmd, name)), (name, p.stderr)
    if why:
        assert why in lines[0], (name, p.stderr)


def plot(path, code, why=None, env=None):
    d = tmpdir()
    out = os.path.join(d, "out")
    t0 = time.time()
    p = run("plot", path, "--no-render", "-o", out, check=False, env=env,
            timeout=120)
    refused(p, "plot", path, code, why)
    assert not os.path.exists(out) or not os.listdir(out), os.listdir(out)
    assert not glob.glob(os.path.join(d, "core*"))
    return time.time() - t0


def merge_with(point_bytes, code, why=None, env=None):
    d = tmpdir()
    pts = os.path.join(d, "tiny.h5.points")
    shutil.copytree(result()["points"], pts)
    bad = os.path.join(pts, "point-000000.h5")
    with open(bad, "wb") as f:
        f.write(point_bytes)
    out = os.path.join(d, "merged.h5")
    p = run("merge", pts, "-o", out, check=False, env=env, timeout=120)
    refused(p, "merge", bad, code, why)
    assert not os.path.exists(out)


def test_truncated_result_files_are_refused():
    h5 = result()["h5"]
    code = bad_input_code("plot")
    d = tmpdir()
    for n in [0, 7, 8, 47, 48, 100, 512, 2048, len(h5) // 2, len(h5) - 1]:
        f = os.path.join(d, "trunc-%d.h5" % n)
        with open(f, "wb") as g:
            g.write(h5[:n])
        plot(f, code)


def test_not_a_file_or_not_hdf5_is_refused_before_libhdf5():
    code = bad_input_code("plot")
    d = tmpdir()
    plot(d, code, "not a regular file")
    f = write(os.path.join(d, "x.h5"), "x" * 100)
    plot(f, code, "no HDF5 signature")


def test_bit_flipped_result_files_never_kill_plot():
    """Forty files with 1 to 8 random bits flipped (fixed seed): each is
    drawn (exit 0) or refused in one line -- never a signal."""
    h5 = result()["h5"]
    code = bad_input_code("plot")
    rnd = random.Random(14)
    d = tmpdir()
    outcomes = {}
    env = dict(os.environ, TRUTHSIM_READ_TIMEOUT="5")
    for k in range(40):
        b = bytearray(h5)
        for _ in range(rnd.choice([1, 2, 4, 8])):
            b[rnd.randrange(len(b))] ^= 1 << rnd.randrange(8)
        f = os.path.join(d, "flip-%02d.h5" % k)
        with open(f, "wb") as g:
            g.write(b)
        p = run("plot", f, "--no-render", "-o", os.path.join(d, "o%02d" % k),
                check=False, env=env, timeout=120)
        assert p.returncode in (0, code), (f, p.returncode, p.stderr)
        if p.returncode:
            refused(p, "plot", f, code)
        outcomes[p.returncode] = outcomes.get(p.returncode, 0) + 1
    assert outcomes.get(code, 0) > 0, outcomes


def test_files_that_crash_libhdf5_are_refused_by_plot():
    code = bad_input_code("plot")
    for name in ["abort-free.h5", "segv.h5"]:
        plot(os.path.join(BAD, name), code, CRASHED)


def test_file_that_hangs_libhdf5_is_refused_in_time():
    code = bad_input_code("plot")
    env = dict(os.environ, TRUTHSIM_READ_TIMEOUT="2")
    took = plot(os.path.join(BAD, "hang.h5"), code,
                "(reading took longer than 2 s)", env=env)
    assert took < 30, took


def test_point_file_that_crashes_libhdf5_is_refused_by_merge():
    code = bad_input_code("merge")
    with open(os.path.join(BAD, "point-segv.h5"), "rb") as f:
        merge_with(f.read(), code, CRASHED)


def test_truncated_point_file_is_refused_by_merge():
    code = bad_input_code("merge")
    with open(os.path.join(result()["points"], "point-000000.h5"), "rb") as f:
        b = f.read()
    for n in [10, 1000, len(b) // 2]:
        merge_with(b[:n], code)


def test_good_files_still_plot_and_merge():
    d = tmpdir()
    f = os.path.join(d, "tiny.h5")
    with open(f, "wb") as g:
        g.write(result()["h5"])
    p = run("plot", f, "--no-render", "-o", os.path.join(d, "o"))
    assert p.stdout.count(".gp") == 7, p.stdout  # regret, shares, trajectories
    p = run("merge", result()["points"], "-o", os.path.join(d, "m.h5"))
    assert "2 points merged" in p.stdout


main(globals())
