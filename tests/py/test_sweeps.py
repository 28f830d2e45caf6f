"""Sweeps (issue "N/T/eps sweeps"): a point file per grid point, resume
after an interruption, truthsim merge, refusal of another experiment's
points, and -- when truthsim-mpi is built (third argument) -- the same
results for mpirun -np 1, 2, 3 and after an interrupted MPI run."""
import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np

from tsutil import TRUTHSIM, datasets, main, run, tmpdir, write

D = tmpdir()
MPI = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else None

# Two short points first, then two long ones, so an interruption after a
# moment finds some points finished and some not.
GRID = """name: grid
population: bands
N: [4, 5]
m: 10
T: [200, 1500000]
epsilon: [0, 0.1]
mechanisms: [ours]
replicas: 2
seed: 5
"""



def full_result():
    exp = write(os.path.join(D, "grid.yaml"), GRID)
    out = os.path.join(D, "full.h5")
    if not os.path.exists(out):
        run("run", "-q", exp, "-o", out)
    return exp, out


def test_interrupt_resume_merge_equal_uninterrupted():
    exp, full = full_result()
    part = os.path.join(D, "part.h5")
    p = subprocess.Popen([TRUTHSIM, "run", "-q", exp, "-o", part, "--threads", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Wait for the two short points' files, then interrupt a long one.
    pts = part + ".points"
    for _ in range(400):
        if os.path.isdir(pts) and len([f for f in os.listdir(pts) if f.endswith(".h5")]) >= 2:
            break
        time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 130, (p.returncode, err)
    with h5py.File(part, "r") as f:
        done = f["completed"][...].ravel()
    assert 1 <= done.sum() < 4, done
    # Rerunning the same command completes the rest.
    r = run("run", exp, "-o", part)
    assert "resuming" in r.stderr
    assert datasets(part) == datasets(full)
    # truthsim merge rebuilds the same file from the point files.
    merged = os.path.join(D, "merged.h5")
    run("merge", pts, "-o", merged)
    assert datasets(merged) == datasets(full)


def test_merge_of_a_partial_directory_has_nan_and_mask():
    exp, full = full_result()
    pts = full + ".points"
    sub = os.path.join(D, "sub.points")
    os.makedirs(sub, exist_ok=True)
    for name in sorted(os.listdir(pts))[:3]:
        with open(os.path.join(pts, name), "rb") as a, open(os.path.join(sub, name), "wb") as b:
            b.write(a.read())
    out = os.path.join(D, "sub.h5")
    run("merge", sub, "-o", out)
    with h5py.File(out, "r") as f:
        done = f["completed"][...]
        tar = f["time_avg_regret"][0]
        assert done.sum() == 3
        assert np.all(np.isnan(tar[done == 0])) and np.all(np.isfinite(tar[done == 1]))


def test_other_experiment_refused_unless_force():
    exp, full = full_result()
    other = write(os.path.join(D, "other.yaml"), GRID.replace("replicas: 2", "replicas: 3"))
    p = run("run", "-q", other, "-o", full, check=False)
    assert p.returncode == 65, p.stderr
    assert "different experiment" in p.stderr and "--force" in p.stderr
    # --force discards the old points (quick: shorten the horizon).
    short = write(os.path.join(D, "short.yaml"), GRID.replace("1500000", "300"))
    forced = os.path.join(D, "forced.h5")
    run("run", "-q", exp, "-o", forced)  # fill with the first experiment
    p = run("run", "-q", short, "-o", forced, "--force")
    with h5py.File(forced, "r") as f:
        assert list(f["T"][...]) == [200, 300]


def mpirun(np_, *args, timeout=600):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")
    return subprocess.run(["mpirun", "--oversubscribe", "-np", str(np_), MPI, "run", *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


def test_mpi_runs_a_plugin():
    # Every rank loads the plugin itself: same bits as one process, and the
    # file names the plugin (tests/game/plugin_fixture.c: uniform, oracle,
    # halfway; the uniform mechanism's loss is 0.0625 T exactly).
    plug = os.environ.get("TS_FIXTURE_OK")
    if not MPI or not plug:
        print("skip: truthsim-mpi or the fixture plugin not built")
        return
    exp = write(os.path.join(D, "plugin.yaml"),
                "name: plugin\npopulation: oracle\nstrategy: halfway\n"
                "mechanisms: [uniform, ours]\nN: 3\nm: 2\nT: [40, 60]\n"
                "replicas: 8\nseed: 2\n")
    one = os.path.join(D, "plugin-one.h5")
    run("run", "-q", "--plugin", plug, exp, "-o", one)
    out = os.path.join(D, "plugin-mpi.h5")
    p = mpirun(2, "-q", "--plugin", plug, exp, "-o", out, "--threads", "1")
    assert p.returncode == 0, p.stderr
    with h5py.File(one, "r") as a, h5py.File(out, "r") as b:
        assert np.array_equal(a["regret"][...], b["regret"][...])
        assert np.array_equal(a["platform_loss"][...], b["platform_loss"][...])
        assert b.attrs["plugins"].startswith(plug + " sha256:")


def test_mpi_ranks_give_the_same_bits():
    if not MPI:
        print("skip: truthsim-mpi not built")
        return
    exp = write(os.path.join(D, "mpi.yaml"), GRID.replace("1500000", "20000"))
    ref = os.path.join(D, "mpi-ref.h5")
    run("run", "-q", exp, "-o", ref)
    for np_ in (1, 2, 3):
        out = os.path.join(D, "mpi-%d.h5" % np_)
        p = mpirun(np_, "-q", exp, "-o", out, "--threads", "1")
        assert p.returncode == 0, p.stderr
        assert datasets(out) == datasets(ref), np_


def test_mpi_interrupted_then_resumed_equals_uninterrupted():
    if not MPI:
        print("skip: truthsim-mpi not built")
        return
    exp, full = full_result()
    out = os.path.join(D, "mpi-int.h5")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    p = subprocess.Popen(["mpirun", "--oversubscribe", "-np", "3", MPI, "run", "-q",
                          exp, "-o", out, "--threads", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    pts = out + ".points"
    # Largest points go first: wait until one is done, then interrupt.
    for _ in range(1500):
        if os.path.isdir(pts) and any(f.endswith(".h5") for f in os.listdir(pts)):
            break
        time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=300)
    done = [f for f in os.listdir(pts) if f.endswith(".h5")]
    assert 1 <= len(done) < 8, done
    q = mpirun(3, "-q", exp, "-o", out, "--threads", "1")
    assert q.returncode == 0, q.stderr
    assert datasets(out) == datasets(full)


if __name__ == "__main__":
    main(globals())
