"""`truthsim check` end to end: every claim passes on a clean build, the
table names each claim id, the HDF5 rows match the table, and a bad claim id
is refused."""
import os

import h5py

from tsutil import main, run, tmpdir

D = tmpdir()
IDS = ["prop1", "prop3a", "prop4", "lemma1", "lemma2", "lemma4", "wsu_ic",
       "eps_truthful", "thm1", "thm2", "prop2", "prop3b", "drift"]


def test_every_claim_passes_and_is_written():
    out = os.path.join(D, "check.h5")
    p = run("check", "-o", out)
    lines = p.stdout.splitlines()
    assert lines[0].split()[:3] == ["claim", "mechanism", "result"]
    for cid in IDS:
        assert any(l.startswith(cid + " ") for l in lines), cid
    assert "FAIL" not in p.stdout
    last = lines[-1]
    assert last.endswith("0 failed"), last
    # Freeman et al.'s WSU and WSU-UX beside ours: truthful under the share
    # utility, one slot (wsu_ic) and over the horizon (eps_truthful).
    for mech in ("wsu", "wsu(limited)"):
        rows = [l.split() for l in lines
                if l.startswith(("wsu_ic ", "eps_truthful ")) and l.split()[1] == mech]
        asserted = [r for r in rows if r[2] == "PASS"]
        assert len(asserted) >= 2, (mech, rows)
        assert any("share-utility" in " ".join(r) for r in asserted), mech
    with h5py.File(out, "r") as f:
        claims = [c.decode() if isinstance(c, bytes) else c for c in f["claim"][...]]
        assert set(claims) == set(IDS)
        assert len(claims) == len(lines) - 2
        assert all(v in (-1, 1) for v in f["pass"][...])


def test_bad_claim_id():
    p = run("check", "--claims", "prop1,nope", check=False)
    assert p.returncode == 65, p.returncode
    assert "unknown claim 'nope'" in p.stderr


if __name__ == "__main__":
    main(globals())
