"""Issue 14: what truthsim does with careless or hostile input (README
"Safety"): writes that never follow a planted link or replace a device,
one exit-code scheme for every command, Ctrl-C that leaves nothing
partial, memory bounded by what a file can hold, and the smaller edges
(BOM, subnormals, label digits, plot -o parents, --claims validated
first, integer axes past 4096 values, canonical text round trip)."""
import glob
import os
import resource
import signal
import subprocess
import time

import h5py

from tsutil import TRUTHSIM, main, run, tmpdir, write

D = tmpdir()

TINY = """name: tiny
population: bands
N: 3
m: 2
T: [10, 20]
mechanisms: [ours]
replicas: 2
seed: 1
"""

CSV = "slot,prompt,worker,report,truth\n" + "".join(
    "%d,0,%d,%s,1\n" % (t, w, "0.8" if w == 0 else "0.4")
    for t in range(3) for w in range(2))

DPO_CSV = "prompt,chosen,rejected,label\n" + "".join(
    '"Band %d energy readings: -%d dB. Is the band busy or idle? Answer:", '
    'BUSY, IDLE,%s\n' % (1 + i % 4, 60 + i % 17, "0.85" if i % 2 else "0.15")
    for i in range(48))


def leftovers(d):
    """Temporary files (.NAME.tmp.PID.RANDOM) left in d."""
    return [n for n in os.listdir(d) if ".tmp." in n]


def fresh():
    d = tmpdir()
    write(os.path.join(d, "tiny.yaml"), TINY)
    write(os.path.join(d, "r.csv"), CSV)
    write(os.path.join(d, "d.csv"), DPO_CSV)
    return d


# --- Item 2: safe writes -------------------------------------------------

def test_symlink_at_output_replaced_not_followed():
    d = fresh()
    victim = write(os.path.join(d, "victim"), "precious")
    for args, out in [(("run", "-q", os.path.join(d, "tiny.yaml")), "run.h5"),
                      (("replay", "--mechanism", "ours", os.path.join(d, "r.csv")), "rep.h5"),
                      (("best-response", "--mechanism", "ours", "--q", "0.3"), None)]:
        link = os.path.join(d, out or "br.h5")
        os.symlink(victim, link)
        flag = "-o" if out else "-O"
        run(*args, flag, link)
        assert open(victim).read() == "precious", args
        assert not os.path.islink(link) and h5py.is_hdf5(link), args
    # plot: symlinks planted at every picture name
    pics = os.path.join(d, "pics")
    os.mkdir(pics)
    for ext in ("tsv", "gp", "png", "svg"):
        os.symlink(victim, os.path.join(pics, "tiny_time_avg_regret." + ext))
    run("plot", os.path.join(d, "run.h5"), "-o", pics)
    assert open(victim).read() == "precious"
    assert not os.path.islink(os.path.join(pics, "tiny_time_avg_regret.tsv"))
    assert leftovers(d) == [] and leftovers(pics) == []


def test_planted_symlink_at_temporary_not_followed():
    # dpo's temporaries used to be OUT.tmp and MODEL.tmp: a link planted
    # there was opened with O_TRUNC and its target overwritten.
    d = fresh()
    victim = write(os.path.join(d, "victim"), "precious")
    for n in ("o.h5.tmp", "m.bin.tmp"):
        os.symlink(victim, os.path.join(d, n))
    run("dpo", "--train", "d.csv", "--epochs", "1", "-q", "-o", "o.h5", "-s", "m.bin",
        cwd=d)
    assert open(victim).read() == "precious"
    assert h5py.is_hdf5(os.path.join(d, "o.h5"))
    assert os.path.getsize(os.path.join(d, "m.bin")) > 1024


def test_device_output_refused():
    d = fresh()
    for args in [("run", "-q", os.path.join(d, "tiny.yaml"), "-o", "/dev/full"),
                 ("replay", "--mechanism", "ours", os.path.join(d, "r.csv"), "-o", "/dev/full"),
                 ("dpo", "--train", os.path.join(d, "d.csv"), "--epochs", "1", "-q",
                  "-o", "/dev/full")]:
        p = run(*args, check=False)
        assert p.returncode == 73, (args, p.returncode, p.stderr)
        assert "/dev/full: cannot create the output file: it exists and is not " \
               "a regular file" in p.stderr, p.stderr
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full")


def test_yaml_name_cannot_escape():
    d = fresh()
    tag = os.path.basename(d)  # unique: no earlier run's file can interfere
    for name in ("../../" + tag, "/tmp/%s-abs" % tag, ".hidden"):
        y = write(os.path.join(d, "esc.yaml"), TINY.replace("name: tiny", "name: " + name))
        p = run("run", "-q", y, check=False, cwd=d)
        assert p.returncode == 65, (name, p.returncode, p.stderr)
        assert p.stderr.startswith("truthsim run: %s:1:1: name '%s' must be a plain "
                                   "file name" % (y, name)), p.stderr
    assert not os.path.exists("/tmp/%s-abs.h5" % tag)
    assert not os.path.exists(os.path.join(d, "..", "..", tag + ".h5"))


# --- Item 8: one exit-code scheme ----------------------------------------

def test_exit_codes_every_command():
    d = fresh()
    y, r, dc = (os.path.join(d, n) for n in ("tiny.yaml", "r.csv", "d.csv"))
    run("run", "-q", y, "-o", os.path.join(d, "ok.h5"))
    notdata = write(os.path.join(d, "not.h5"), "not hdf5")
    bad_yaml = write(os.path.join(d, "bad.yaml"), TINY.replace("N: 3", "N: 1"))
    bad_csv = write(os.path.join(d, "bad.csv"), "slot,prompt\n1,2\n")
    bad_dpo = write(os.path.join(d, "bad_dpo.csv"), "prompt,chosen,rejected,label\n"
                    '"a", b, c,1.5\n')
    nowhere = os.path.join(d, "no", "such", "out.h5")
    filedir = os.path.join(notdata, "sub")  # a directory under a regular file
    nopoints = os.path.join(d, "empty.points")
    os.mkdir(nopoints)
    cases = {
        "run": ([y], ["nofile.yaml"], [bad_yaml], ["-q", y, "-o", nowhere]),
        "replay": (["--mechanism", "ours", r], ["--mechanism", "ours", "nofile.csv", "-o", "x.h5"],
                   ["--mechanism", "ours", bad_csv, "-o", os.path.join(d, "x.h5")],
                   ["--mechanism", "ours", r, "-o", nowhere]),
        "plot": ([os.path.join(d, "ok.h5")], ["nofile.h5"], [notdata],
                 [os.path.join(d, "ok.h5"), "-o", filedir]),
        "merge": ([os.path.join(d, "ok.h5.points")], ["nodir", "-o", os.path.join(d, "m.h5")],
                  [nopoints, "-o", os.path.join(d, "m.h5")],
                  [os.path.join(d, "ok.h5.points"), "-o", nowhere]),
        "dpo": (["--train", dc], ["--train", "nofile.csv", "-o", os.path.join(d, "x.h5")],
                ["--train", bad_dpo, "-q", "-o", os.path.join(d, "x.h5")],
                ["--train", dc, "--epochs", "1", "-q", "-o", nowhere]),
        "best-response": (["--mechanism", "ours"], None,
                          ["--mechanism", "no-such"],
                          ["--mechanism", "ours", "--q", "0.3", "-O", nowhere]),
        "check": (["--claims", "prop1"], None, ["--claims", "bogus"],
                  ["--claims", "prop1", "-o", nowhere]),
        "overtake": ([], None, ["--mechanisms", "bogus", "-o", "x.h5"],
                     ["--replicas", "10", "-o", nowhere]),
    }
    for cmd, (ok_args, missing, bad, unwritable) in cases.items():
        p = run(cmd, *ok_args, "--no-such-option", check=False)
        assert p.returncode == 64, (cmd, "option", p.returncode, p.stderr)
        if missing:
            p = run(cmd, *missing, check=False, cwd=d)
            assert p.returncode == 66, (cmd, "missing", p.returncode, p.stderr)
        p = run(cmd, *bad, check=False, cwd=d)
        assert p.returncode == 65, (cmd, "bad data", p.returncode, p.stderr)
        t0 = time.time()
        p = run(cmd, *unwritable, check=False, cwd=d)
        assert p.returncode == 73, (cmd, "unwritable", p.returncode, p.stderr)
        assert time.time() - t0 < 5, (cmd, "work done before a doomed write")
        h = run(cmd, "--help")
        assert "Exit status: 0 ok;" in h.stdout and "130 interrupted" in h.stdout, cmd
    assert not os.path.exists(os.path.join(d, "no"))


# --- Item 3: Ctrl-C ------------------------------------------------------

def _catches_sigint(pid):
    """True once the process has installed its SIGINT handler."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return int(line.split()[1], 16) & (1 << (signal.SIGINT - 1))
    except OSError:
        pass
    return False


def interrupted(args, cwd, sig=signal.SIGINT, after=None, delay=0.0,
                timeout=120):
    """Run truthsim, send sig as soon as it handles it (and, given after, a
    path relative to cwd, once that exists; then delay seconds more);
    (status, stderr)."""
    p = subprocess.Popen([TRUTHSIM, *args], cwd=cwd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not _catches_sigint(p.pid) and time.time() - t0 < 10:
        time.sleep(0.001)
    while after and not os.path.exists(os.path.join(cwd, after)) and \
            p.poll() is None and time.time() - t0 < 60:
        time.sleep(0.005)
    time.sleep(delay)
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        return None, err
    return p.returncode, err


def test_every_command_stops_on_sigint():
    d = fresh()
    run("run", "-q", os.path.join(d, "tiny.yaml"), "-o", os.path.join(d, "ok.h5"))
    big = "slot,prompt,worker,report,truth\n" + "".join(
        "%d,0,%d,0.%d,1\n" % (t, w, 3 + w) for t in range(20000) for w in range(2))
    write(os.path.join(d, "big.csv"), big)
    cases = [
        (["dpo", "--train", "d.csv", "--epochs", "1000", "-q", "-o", "o.h5",
          "-s", "o.bin"], ["o.h5", "o.bin"]),
        (["replay", "--mechanism", "ours", "big.csv", "-o", "o.h5"], ["o.h5"]),
        (["merge", "ok.h5.points", "-o", "o.h5"], ["o.h5"]),
        (["plot", "ok.h5", "-o", "pics"], ["pics"]),
        # enough work (~5 s) that the signal lands before the last poll on
        # an idle machine too (the default table takes 0.1 s)
        (["best-response", "--mechanism", "ours,hedge,median,em", "--m", "20",
          "--budget", "0", "--samples", "200000", "--sweep", "epsilon=0,0.1,0.2",
          "-O", "o.h5"], ["o.h5"]),
        (["overtake", "--replicas", "50", "-o", "o.h5"], ["o.h5"]),
        # prop1 takes 0.1 s: thm1 at 100 times its replicas (~4 s, polled
        # by the engine) so that here too the signal lands before the
        # last poll
        (["check", "--claims", "prop1,thm1", "--scale", "100", "-o", "o.h5"],
         ["o.h5"]),
    ]
    for sig in (signal.SIGINT, signal.SIGTERM):
        for args, outs in cases:
            rc, err = interrupted(args, d, sig)
            assert rc == 130, (args, sig, rc, err)
            for o in outs:
                assert not os.path.exists(os.path.join(d, o)), (args, o)
            assert leftovers(d) == [], (args, leftovers(d))


# --- Item 5: memory on hostile input -------------------------------------

def limited(mb):
    def f():
        resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))
    return f


def run_limited(args, mb=600, cwd=None):
    p = subprocess.run([TRUTHSIM, *args], capture_output=True, text=True,
                       preexec_fn=limited(mb), timeout=60, cwd=cwd)
    if "AddressSanitizer" in p.stderr and "ulimit -v" in p.stderr:
        # A sanitizer build cannot start under an address-space limit: run
        # it unlimited; ASan still reports any oversized allocation.
        env = dict(os.environ, ASAN_OPTIONS="allocator_may_return_null=0:"
                   "max_allocation_size_mb=%d" % mb)
        p = subprocess.run([TRUTHSIM, *args], capture_output=True, text=True,
                           timeout=60, cwd=cwd, env=env)
    return p


def test_hostile_replay_csv_refused_in_little_memory():
    d = fresh()
    for text, want in [
            ("slot,prompt,worker,report,truth\n14999,14999,14999,0.5,1\n",
             "slot 0 has no rows"),
            ("slot,prompt,worker,report,truth\n0,14999,14999,0.5,1\n",
             "missing rows: 15000 workers on 15000 prompts need 225000000 rows, "
             "the file has 1"),
            ("slot,prompt,worker,report,truth\n99999999,0,1,0.5,1\n",
             "slot indices reach 99999999 but the file has only 1 rows")]:
        c = write(os.path.join(d, "h.csv"), text)
        assert len(text) < 80
        p = run_limited(["replay", "--mechanism", "ours", c, "-o", os.path.join(d, "h.h5")])
        assert p.returncode == 65, (text, p.returncode, p.stderr)
        assert want in p.stderr, p.stderr


def test_hostile_tokenizer_header_refused():
    d = fresh()
    import struct
    hdr = [0] * 256
    hdr[0], hdr[1], hdr[2], hdr[3] = 20240328, 2, 1 << 24, 0
    tok = os.path.join(d, "tok.bin")
    with open(tok, "wb") as f:
        f.write(struct.pack("<256i", *hdr))
        f.write(b"\x01a" * 8)
    p = run_limited(["dpo", "--train", os.path.join(d, "d.csv"), "--tokenizer", tok,
                     "-q", "-o", os.path.join(d, "x.h5")], mb=900)
    assert p.returncode == 65, (p.returncode, p.stderr)
    assert "16777216 tokens need at least 33554432 bytes after the header, " \
           "the file has 16" in p.stderr, p.stderr


def test_huge_grid_refused_before_loading():
    d = fresh()
    vals = ", ".join(str(v) for v in range(2, 402))
    y = write(os.path.join(d, "grid.yaml"), TINY.replace("N: 3", "N: [%s]" % vals)
              .replace("m: 2", "m: [%s]" % vals).replace(
                  "T: [10, 20]", "T: [%s]" % ", ".join(str(t) for t in range(10, 110, 10))))
    assert os.path.getsize(y) < 8000
    t0 = time.time()
    p = run_limited(["run", "-q", y, "-o", os.path.join(d, "g.h5")], mb=900)
    assert p.returncode == 65, (p.returncode, p.stderr)
    # 1.6e6 points * 8 B * (12 + 2 * 401 workers + 2 replicas + 2 * 16 params)
    # = 10.85e9 B
    assert "the grid's 1600000 points would need at least 10.9 GB of results" \
        in p.stderr, p.stderr
    assert time.time() - t0 < 10


def test_sigterm_while_a_big_grid_loads():
    # 55 KB of YAML, 4000 x 4000 = 1.6e7 points inside both caps: resolving
    # them all at load took ~30 s of CPU without looking at the stop flag,
    # and then the run wrote a 2.3 GB file of empty points.
    d = fresh()
    ts = ", ".join(str(t) for t in range(10, 4010))
    eps = ", ".join("0.%04d" % k for k in range(4000))
    write(os.path.join(d, "big.yaml"), TINY.replace("T: [10, 20]", "T: [%s]" % ts)
          .replace("replicas: 2", "replicas: 1") + "epsilon: [%s]\n" % eps)
    assert os.path.getsize(os.path.join(d, "big.yaml")) < 100000
    for sig in (signal.SIGTERM, signal.SIGINT):
        t0 = time.time()
        # 0.3 s: past the parsing, inside the resolution of the points
        rc, err = interrupted(["run", "-q", "big.yaml", "-o", "big.h5"], d, sig,
                              delay=0.3, timeout=20)
        assert rc == 130, (sig, rc, err)
        assert time.time() - t0 < 10, time.time() - t0
        assert "big.yaml: interrupted while loading" in err, err
        assert sorted(os.listdir(d)) == ["big.yaml", "d.csv", "r.csv", "tiny.yaml"], \
            os.listdir(d)


# --- Item 7: wrong answers without an error ------------------------------

def test_integer_axis_longer_than_4096():
    d = fresh()
    y = write(os.path.join(d, "long.yaml"), TINY.replace(
        "T: [10, 20]", "T: [%s]" % ", ".join(str(t) for t in range(1, 4101))))
    # Signalled once the points directory exists, i.e. after loading (a
    # stop while loading writes nothing); the run keeps what it has.
    rc, err = interrupted(["run", "-q", "long.yaml", "-o", "long.h5"], d,
                          after="long.h5.points")
    assert rc == 130, (rc, err)
    with h5py.File(os.path.join(d, "long.h5"), "r") as f:
        T = f["T"][...]
    assert T.shape == (4100,) and T[0] == 1 and T[-1] == 4100, T.shape


def test_description_round_trips_through_merge():
    d = fresh()
    desc = "a\\rb\\u0085c\\x01d\\u2028e\\tf"
    y = write(os.path.join(d, "desc.yaml"), TINY + 'description: "%s"\n' % desc)
    run("run", "-q", y, "-o", os.path.join(d, "desc.h5"))
    p = run("merge", os.path.join(d, "desc.h5.points"), "-o", os.path.join(d, "m.h5"))
    assert "2 points merged" in p.stdout, p.stdout
    with h5py.File(os.path.join(d, "m.h5"), "r") as f:
        got = f.attrs["description"]
    got = got.decode() if isinstance(got, bytes) else got
    assert got == "a\rb\u0085c\x01d\u2028e\tf", repr(got)


# --- Item 9: smaller edges -----------------------------------------------

def test_stale_temporary_of_killed_run_removed():
    d = fresh()
    child = subprocess.Popen(["true"])
    child.wait()
    stale = write(os.path.join(d, ".s.h5.tmp.%d.0123456789abcdef" % child.pid), "x" * 1000)
    live = write(os.path.join(d, ".s.h5.tmp.%d.0123456789abcdef" % os.getpid()), "in use")
    os.mkdir(os.path.join(d, "s.h5.points"))
    stale_point = write(os.path.join(d, "s.h5.points", ".point-000001.h5.tmp.%d.0123456789abcdef"
                                     % child.pid), "x" * 1000)
    run("run", "-q", os.path.join(d, "tiny.yaml"), "-o", os.path.join(d, "s.h5"))
    assert not os.path.exists(stale) and not os.path.exists(stale_point)
    assert os.path.exists(live)


def test_replay_bom_and_subnormal():
    d = fresh()
    text = "\ufeff" + CSV.replace("0.4,1\n", "4.9e-324,1\n", 1)
    c = os.path.join(d, "bom.csv")
    with open(c, "w", encoding="utf-8") as f:
        f.write(text)
    p = run("replay", "--mechanism", "ours", c, "-o", os.path.join(d, "bom.h5"))
    assert "3 slots, 2 workers" in p.stdout, p.stdout


def test_label_printed_with_its_digits():
    d = fresh()
    c = write(os.path.join(d, "lab.csv"), "prompt,chosen,rejected,label\n"
              '"x", a, b,1.0000000001\n')
    p = run("dpo", "--train", c, "-q", "-o", os.path.join(d, "x.h5"), check=False)
    assert p.returncode == 65
    assert "label 1.0000000001 is outside [0, 1]" in p.stderr, p.stderr


def test_plot_creates_parent_directories():
    d = fresh()
    run("run", "-q", os.path.join(d, "tiny.yaml"), "-o", os.path.join(d, "t.h5"))
    run("plot", os.path.join(d, "t.h5"), "-o", os.path.join(d, "a", "b", "c"))
    assert glob.glob(os.path.join(d, "a", "b", "c", "tiny_time_avg_regret.tsv"))


def test_claims_list_validated_before_running():
    t0 = time.time()
    p = run("check", "--claims", "prop1,bogus", check=False)
    assert p.returncode == 65
    assert "unknown claim 'bogus'" in p.stderr
    assert "prop1 done" not in p.stderr and "prop1" not in p.stdout
    assert time.time() - t0 < 5


if __name__ == "__main__":
    main(globals())
