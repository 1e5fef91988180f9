"""Names are claimed atomically (containers, networks, volumes), and a container whose `capsa run` or
`create` died half-way (a claimed name, a directory, a mounted overlay, no complete record) is seen
by `ps -a` as dead and removed fully by `rm`, `container prune` and `system prune` (issue 21 items 6
and 8, issue 14 item 4)."""
import json
import os
import pathlib
import subprocess

import pytest

from conftest import needs_test_hooks
from test_cli_run import capsa  # noqa: F401  (the fixture)


def faulty(point):
    return dict(os.environ, CAPSA_FAULT=point)


def concurrently(capsa, n, *args):
    procs = [capsa.popen(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(n)]
    return [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [l.split()[4] for l in f if str(path) in l.split()[4]]


def entries(capsa, sub):
    d = pathlib.Path(capsa.root) / sub
    return sorted(os.listdir(d)) if d.exists() else []


def assert_nothing_left(capsa):
    assert capsa.ps() == []
    assert entries(capsa, "containers") == []
    assert entries(capsa, "names") == []
    assert entries(capsa, "creating") == []
    assert mounts_under(pathlib.Path(capsa.root) / "containers") == []


def test_concurrent_runs_with_one_name_one_wins(capsa):
    results = concurrently(capsa, 8, "run", "-d", "--name", "same", "busybox", "sleep", "30")
    won = [r for r in results if r[0] == 0]
    assert len(won) == 1, results
    for code, _, err in results:
        assert code == 0 or (code == 125 and "already in use" in err), (code, err)
    rows = [r for r in capsa.ps() if r["Names"] == "same"]
    assert len(rows) == 1 and rows[0]["ID"] == won[0][1].strip(), rows
    capsa("rm", "-f", "same")
    assert_nothing_left(capsa)


@needs_test_hooks
@pytest.mark.parametrize("cmd", ["run", "create"])
@pytest.mark.parametrize("point", ["cli:claimed", "cli:mounted"])
def test_half_created_is_dead_then_removed(capsa, cmd, point):
    args = ["-d"] if cmd == "run" else []
    p = capsa(cmd, *args, "--name", "half", "busybox", "true", env=faulty(point), check=False)
    assert p.returncode == -9
    if point == "cli:mounted":  # its overlay is mounted, without any record
        assert mounts_under(pathlib.Path(capsa.root) / "containers"), "the fault point came too early"
    rows = capsa.ps()
    assert [(r["Names"], r["State"], r["Status"]) for r in rows] == [("half", "dead", "Dead")], rows
    assert capsa("ps", "-q").stdout == ""  # not running
    assert capsa.state("half")["Dead"] is True
    p = capsa("run", "--name", "half", "busybox", "true", check=False)
    assert p.returncode == 125 and "not fully created" in p.stderr and "capsa rm half" in p.stderr, p.stderr
    p = capsa("start", "half", check=False)
    assert p.returncode != 0 and "not fully created" in p.stderr, p.stderr
    capsa("rm", "half")  # no -f needed: nothing runs
    assert_nothing_left(capsa)
    assert capsa("run", "--rm", "--name", "half", "busybox", "echo", "ok").stdout == "ok\n"  # the name is free


@needs_test_hooks
@pytest.mark.parametrize("prune", [("container", "prune", "-f"), ("system", "prune", "-f")])
def test_prune_removes_half_created(capsa, prune):
    for i, point in enumerate(["cli:claimed", "cli:mounted"]):
        p = capsa("run", "-d", "--name", f"h{i}", "busybox", "true", env=faulty(point), check=False)
        assert p.returncode == -9
    # a running container stays (a created one goes too, as docker's prune removes whatever is not running)
    capsa("run", "-d", "--name", "keep", "busybox", "sleep", "100")
    assert sorted(r["Names"] for r in capsa.ps()) == ["h0", "h1", "keep"]
    capsa(*prune)
    assert [r["Names"] for r in capsa.ps()] == ["keep"]
    capsa("rm", "-f", "keep")
    assert_nothing_left(capsa)


def test_crafted_half_directory_is_listed_and_removed(capsa):
    cid = "ab" * 32
    d = pathlib.Path(capsa.root) / "containers" / cid
    d.mkdir(parents=True)
    (d / "container.json").write_text('{"Id": "' + cid)  # cut short
    (d / "upper").mkdir()
    rows = capsa.ps()
    assert [(r["ID"], r["State"]) for r in rows] == [(cid, "dead")], rows
    capsa("rm", cid[:12])
    assert not d.exists()
    assert_nothing_left(capsa)


def test_a_creation_in_progress_is_not_dead(capsa):
    """While a creation holds its lock, ps does not call it dead and rm/prune do not take it away."""
    import fcntl
    cid = "cd" * 32
    root = pathlib.Path(capsa.root)
    (root / "containers" / cid).mkdir(parents=True)
    (root / "creating").mkdir()
    (root / "names").mkdir(exist_ok=True)
    os.symlink(cid, root / "names" / "busy")
    with open(root / "creating" / cid, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert capsa.ps() == []
        p = capsa("rm", "-f", "busy", check=False)
        assert p.returncode != 0 and "being created" in p.stderr, p.stderr
        capsa("container", "prune", "-f")
        assert (root / "containers" / cid).exists()
        p = capsa("run", "--name", "busy", "busybox", "true", check=False)
        assert p.returncode == 125 and "being created" in p.stderr, p.stderr
    # its creator is gone (the lock is free): now it is dead, and rm takes it
    assert [r["State"] for r in capsa.ps()] == ["dead"]
    capsa("rm", "busy")
    assert_nothing_left(capsa)


def test_concurrent_network_create_one_wins(capsa):
    results = concurrently(capsa, 6, "network", "create", "samenet")
    try:
        assert [r[0] for r in results].count(0) == 1, results
        assert all(r[0] == 0 or "already exists" in r[2] for r in results), results
        nets = [n for n in capsa("network", "ls").stdout.split() if n == "samenet"]
        assert nets == ["samenet"]
    finally:
        capsa("network", "rm", "samenet", check=False)


def test_concurrent_volume_create_makes_one_volume(capsa):
    """docker's `volume create NAME` of an existing volume succeeds and returns it: all succeed,
    one volume.json is written whole (linked into place, never overwritten)."""
    results = concurrently(capsa, 8, "volume", "create", "samevol")
    assert all(r[0] == 0 and r[1] == "samevol\n" for r in results), results
    assert capsa("volume", "ls", "-q").stdout == "samevol\n"
    assert entries(capsa, "volumes/samevol") == ["_data", "volume.json"]
    meta = json.loads((pathlib.Path(capsa.root) / "volumes" / "samevol" / "volume.json").read_text())
    assert meta["Name"] == "samevol"
    capsa("volume", "rm", "samevol")
