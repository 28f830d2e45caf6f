"""The installed library as a user outside the tree meets it (issue 16):
`meson install --destdir` into a temporary directory, then, with
pkg-config pointed there, build examples/plugin_mech.c and run its
mechanism through run (--plugin and the experiment's `plugins:` key),
best-response and check; refuse a plugin of another API version; build
examples/run_experiment.c and run an experiment from C; and compile a
program that includes <err.h> beside <truthsim/...>.

Arguments: the meson command, the build root, the source root."""
import hashlib
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np

MESON, BUILD, SOURCE = sys.argv[1:4]
DEST = os.path.join(BUILD, "test-installed", "dest")
WORK = os.path.join(BUILD, "test-installed", "work")
failed = []


def sh(cmd, env=None, check=True, cwd=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (" ".join(cmd), p.returncode,
                                                     p.stdout, p.stderr))
    return p


def find(root, name):
    for d, _, files in os.walk(root):
        if name in files:
            return os.path.join(d, name)
    raise AssertionError("%s not installed under %s" % (name, root))


def main():
    subprocess.run(["rm", "-rf", DEST, WORK], check=True)
    os.makedirs(WORK)
    sh([MESON, "install", "-C", BUILD, "--destdir", DEST, "--no-rebuild", "--quiet"])
    pc = find(DEST, "truthsim.pc")
    prefix = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(pc))))
    if os.path.basename(os.path.dirname(os.path.dirname(pc))) == "lib":
        prefix = os.path.dirname(os.path.dirname(os.path.dirname(pc)))
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pc))
    pkg = ["pkg-config", "--define-variable=prefix=" + prefix, "truthsim"]
    cflags = sh(pkg + ["--cflags"], env).stdout.split()
    libs = sh(pkg + ["--libs"], env).stdout.split()
    libdir = os.path.dirname(find(DEST, "libtruthsim.so.0"))
    run_env = dict(env, LD_LIBRARY_PATH=libdir, OMP_NUM_THREADS="2")
    exe = find(DEST, "truthsim")
    cc = ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror"]
    # A library built under ASan/UBSan needs its runtime first in the
    # program that links it (scripts/test's sanitizer pass).
    if b"libasan" in subprocess.run(["ldd", exe], capture_output=True).stdout:
        cc += ["-fsanitize=address,undefined"]
    return env, run_env, exe, cc, cflags, libs, libdir


def check(name, fn):
    try:
        fn()
        print("ok   %s" % name)
    except Exception as ex:  # report every failure, then exit non-zero
        failed.append(name)
        print("FAIL %s: %s" % (name, ex))


env, run_env, exe, cc, cflags, libs, libdir = main()
ex = os.path.join(SOURCE, "examples")
plug = os.path.join(WORK, "damped.so")


def truthsim(*args, check=True):
    return sh([exe, *args], run_env, check=check, cwd=WORK)


def t_layout():
    # Cflags name include/, not include/truthsim; the soname is versioned.
    assert not any(f.endswith("/include/truthsim") for f in cflags), cflags
    so = os.readlink(os.path.join(libdir, "libtruthsim.so.0"))
    assert so.startswith("libtruthsim.so.0."), so
    dyn = sh(["readelf", "-d", os.path.join(libdir, "libtruthsim.so")]).stdout
    assert "[libtruthsim.so.0]" in dyn, dyn
    # The man page, from every --help (built when help2man is installed).
    if shutil.which("help2man"):
        man = open(find(DEST, "truthsim.1")).read()
        for c in ("run", "best-response", "check", "list"):
            assert '.SS "truthsim %s"' % c in man, c
        assert "\\-\\-plugin" in man or "--plugin" in man


def t_err_h():
    src = os.path.join(WORK, "errh.c")
    with open(src, "w") as f:
        f.write("#define _DEFAULT_SOURCE\n#include <err.h>\n#include <truthsim/game.h>\n"
                "#include <truthsim/truthsim.h>\n"
                "int main(int argc, char **argv) {\n"
                "    (void)argv; ts_shape g = {argc, 1, 1, TS_FULL};\n"
                "    if (g.N > 1) errx(3, \"%d\", g.N);\n    return 0;\n}\n")
    out = os.path.join(WORK, "errh")
    sh(cc + cflags + ["-o", out, src] + libs)
    p = sh([out, "x"], run_env, check=False)
    assert p.returncode == 3 and p.stderr.strip().endswith(": 2"), p


def t_plugin_run():
    sh(cc + cflags + ["-shared", "-fPIC", "-o", plug,
                      os.path.join(ex, "plugin_mech.c")] + libs)
    truthsim("run", "--plugin", plug, "-q", "-o", "p.h5",
             "--set", "mechanisms=[damped,hedge]", "--set", "N=5",
             "--set", "T=200", "--set", "replicas=16", "--set", "eta=[0.2,0.4]")
    sha = hashlib.sha256(open(plug, "rb").read()).hexdigest()
    with h5py.File(os.path.join(WORK, "p.h5"), "r") as f:
        mechs = [m.decode() if isinstance(m, bytes) else m for m in f["mechanism"][:]]
        assert mechs == ["damped", "hedge"], mechs
        assert f.attrs["plugins"] == "%s sha256:%s" % (plug, sha), f.attrs["plugins"]
        # --set eta swept the plugin's parameter (params/<mech> groups).
        assert np.array_equal(f["params/damped/eta"][()], [0.2, 0.4])
        assert f["regret"].shape == (2, 2), f["regret"].shape
        assert np.all(np.isfinite(f["regret"][()]))
    # merge needs the plugin too, and gives the run's numbers.
    truthsim("merge", "--plugin", plug, "p.h5.points", "-o", "pm.h5")
    with h5py.File(os.path.join(WORK, "p.h5"), "r") as a, \
            h5py.File(os.path.join(WORK, "pm.h5"), "r") as b:
        assert np.array_equal(a["regret"][()], b["regret"][()])
        assert b.attrs["plugins"] == a.attrs["plugins"]
    p = truthsim("merge", "p.h5.points", "-o", "nm.h5", check=False)
    assert p.returncode == 65 and "unknown full-feedback mechanism 'damped'" in p.stderr, p
    # The same from the experiment's own `plugins:` key, relative to it.
    os.makedirs(os.path.join(WORK, "exp"), exist_ok=True)
    os.link(plug, os.path.join(WORK, "exp", "d.so"))
    with open(os.path.join(WORK, "exp", "e.yaml"), "w") as f:
        f.write("name: e\nplugins: [d.so]\nmechanisms: [damped]\nN: 5\nm: 1\n"
                "T: 100\nreplicas: 8\nseed: 3\n")
    truthsim("run", "-q", "-o", "e.h5", "exp/e.yaml")
    with h5py.File(os.path.join(WORK, "e.h5"), "r") as f:
        assert "exp/d.so sha256:%s" % sha in f.attrs["plugins"], f.attrs["plugins"]
    # A parameter outside its range is refused as for a built-in.
    p = truthsim("run", "--plugin", plug, "-q", "-o", "bad.h5",
                 "--set", "mechanisms=[damped]", "--set", "eta=-1", check=False)
    assert p.returncode == 65 and "eta" in p.stderr, p
    assert not os.path.exists(os.path.join(WORK, "bad.h5"))


def t_plugin_br_check():
    # Absolute loss is not proper: r* is pushed away from q.
    p = truthsim("best-response", "--plugin", plug, "--mechanism", "damped",
                 "--q", "0.2,0.8", "-O", "br.h5")
    rows = [l.split() for l in p.stdout.splitlines()[1:]]
    assert len(rows) == 2 and all(abs(float(r[2])) > 0.1 for r in rows), p.stdout
    p = truthsim("check", "--plugin", plug, "--mechanism", "damped,ours",
                 "-o", "c.h5", check=False)
    assert p.returncode == 1, p
    fails = [l for l in p.stdout.splitlines() if l.startswith("truthful") and "FAIL" in l]
    passes = [l for l in p.stdout.splitlines() if l.startswith("truthful") and "PASS" in l]
    assert len(fails) == 2 and all("damped" in l for l in fails), p.stdout
    assert len(passes) == 2 and all("ours" in l for l in passes), p.stdout
    with h5py.File(os.path.join(WORK, "c.h5"), "r") as f:
        assert "damped.so sha256:" in f.attrs["plugins"]


def t_plugin_replay():
    with open(os.path.join(WORK, "reports.csv"), "w") as f:
        f.write("slot,prompt,worker,report,truth\n")
        for t in range(10):
            for i, r in enumerate((0.9, 0.6, 0.2)):
                f.write("%d,0,%d,%g,%d\n" % (t, i, r if t % 2 else 1 - r, t % 2))
    truthsim("replay", "--plugin", plug, "--mechanism", "damped", "--set", "eta=0.3",
             "reports.csv", "-o", "rp.h5")
    with h5py.File(os.path.join(WORK, "rp.h5"), "r") as f:
        assert "damped.so sha256:" in f.attrs["plugins"]
        # Worker 0 is always closest (|loss| 0.1): his share rises above 1/3.
        assert f["share"][-1, 0] > 1 / 3 > f["share"][-1, 2], f["share"][-1]
    p = truthsim("replay", "--plugin", plug, "--mechanism", "damped", "--set",
                 "zeta=1", "reports.csv", "-o", "rq.h5", check=False)
    assert p.returncode == 65 and "damped has no parameter 'zeta'" in p.stderr, p
    assert not os.path.exists(os.path.join(WORK, "rq.h5"))


def t_plugin_version():
    src = os.path.join(WORK, "old.c")
    with open(src, "w") as f:
        f.write("#include <truthsim/registry.h>\nconst ts_plugin_info ts_plugin = "
                "{.api_version = TS_PLUGIN_API_VERSION + 1};\n")
    so = os.path.join(WORK, "old.so")
    sh(cc + cflags + ["-shared", "-fPIC", "-o", so, src])
    p = truthsim("run", "--plugin", so, "-q", "-o", "old.h5", check=False)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 65 and len(lines) == 1, p
    # The plugin says one more than this truthsim's version, whatever it is.
    m = re.search(r"old\.so: plugin API version (\d+), this truthsim has (\d+)",
                  lines[0])
    assert m and int(m.group(1)) == int(m.group(2)) + 1, lines


def t_run_experiment():
    out = os.path.join(WORK, "run_experiment")
    sh(cc + cflags + ["-o", out, os.path.join(ex, "run_experiment.c")] + libs)
    with open(os.path.join(WORK, "small.yaml"), "w") as f:
        f.write("name: small\nmechanisms: [ours, hedge]\nN: 5\nm: 1\nT: [50, 100]\n"
                "replicas: 8\nseed: 1\n")
    sh([out, "small.yaml", "small.h5"], run_env, cwd=WORK)
    truthsim("run", "-q", "-o", "cli.h5", "small.yaml")
    with h5py.File(os.path.join(WORK, "small.h5"), "r") as a, \
            h5py.File(os.path.join(WORK, "cli.h5"), "r") as b:
        assert a["regret"].shape == (2, 2), a["regret"].shape
        # The library from C gives the CLI's numbers, bit for bit.
        assert np.array_equal(a["regret"][()], b["regret"][()])


for n, fn in [("layout", t_layout), ("err.h", t_err_h), ("plugin run", t_plugin_run),
              ("plugin best-response, check", t_plugin_br_check),
              ("plugin replay", t_plugin_replay),
              ("plugin API version", t_plugin_version),
              ("run_experiment.c", t_run_experiment)]:
    check(n, fn)
sys.exit(1 if failed else 0)
