"""Helpers for truthsim's end-to-end tests (Debian's /usr/bin/python3 with
python3-h5py, python3-numpy, python3-xarray, python3-h5netcdf).

Each test file calls main(globals()): it runs every function named test_*,
prints one line per test and exits non-zero if any failed, so meson sees a
failure.  The program is passed as the first argument, the source root as
the second."""
import os
import subprocess
import sys
import tempfile
import traceback

TRUTHSIM = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "truthsim"
SOURCE = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
EXPERIMENTS = os.path.join(SOURCE, "experiments")
FLU = os.path.join(SOURCE, "..", "shared", "data", "flusight_2024_25", "reports.csv")


def run(*args, check=True, env=None, timeout=900, cwd=None):
    """Run truthsim with args; return the CompletedProcess."""
    p = subprocess.run([TRUTHSIM, *map(str, args)], capture_output=True,
                       text=True, env=env, timeout=timeout, cwd=cwd)
    if check and p.returncode != 0:
        raise AssertionError("truthsim %s exited %d:\n%s%s" % (
            " ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
    return p


def tmpdir():
    return tempfile.mkdtemp(prefix="truthsim-test-")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def datasets(path):
    """Every dataset's bytes, by name (attributes are provenance): equal
    dicts mean bitwise-equal results."""
    import h5py
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                v = obj[...]
                # Variable-length strings hold pointers: compare their text.
                out[name] = (repr(v.tolist()).encode() if v.dtype == object
                             else v.tobytes())
        f.visititems(visit)
    return out


def main(ns):
    tests = sorted((k, v) for k, v in ns.items()
                   if k.startswith("test_") and callable(v))
    only = os.environ.get("TS_TEST_ONLY")
    failed = 0
    for name, fn in tests:
        if only and only not in name:
            continue
        try:
            fn()
            print("ok   %s" % name, flush=True)
        except Exception:
            failed += 1
            print("FAIL %s" % name, flush=True)
            traceback.print_exc()
    print("%d passed, %d failed" % (len(tests) - failed, failed))
    sys.exit(1 if failed else 0)
