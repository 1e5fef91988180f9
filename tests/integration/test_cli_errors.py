"""capsa CLI: update kept across restarts, --privileged host devices, and errors that say what,
where and why in the user's terms (issue 14 items 10, 17, 19)."""
import pytest

from test_cli_run import capsa  # noqa: F401  (the fixture)

MEMLIM = "/sys/fs/cgroup/memory/memory.limit_in_bytes"


def _limit_inside(capsa, name):
    return int(capsa("exec", name, "cat", MEMLIM).stdout.strip())


def test_update_persisted(capsa):
    capsa("run", "-d", "--name", "u", "-m", "64m", "busybox", "sleep", "1000")
    try:
        capsa("update", "--memory", "96m", "--pids-limit", "77", "u")
        hc = capsa.inspect("u")["HostConfig"]
        assert hc["Memory"] == 96 << 20 and hc["PidsLimit"] == 77, hc
        assert _limit_inside(capsa, "u") == 96 << 20
        capsa("stop", "-t", "0", "u")
        capsa("start", "u")
        assert _limit_inside(capsa, "u") == 96 << 20
        # a stopped container can be updated too (docker): kept for its next start
        capsa("stop", "-t", "0", "u")
        capsa("update", "-m", "80m", "u")
        assert capsa.inspect("u")["HostConfig"]["Memory"] == 80 << 20
        capsa("start", "u")
        assert _limit_inside(capsa, "u") == 80 << 20
    finally:
        capsa("rm", "-f", "u", check=False)


def test_privileged_host_devices(capsa):
    import os
    host = [d for d in ("loop-control", "kmsg", "fuse", "net/tun", "loop0") if os.path.exists(f"/dev/{d}")]
    if not host:
        pytest.skip("the host has none of the devices looked for")
    out = capsa("run", "--rm", "--privileged", "busybox", "sh", "-c",
                "ls /dev /dev/net 2>/dev/null; readlink /dev/ptmx").stdout.split()
    for d in host:
        assert d.rsplit("/", 1)[-1] in out, (d, out)
    assert "pts/ptmx" in out  # still the container's own pty multiplexer
    plain = capsa("run", "--rm", "busybox", "ls", "/dev").stdout.split()
    assert not set(h.rsplit("/", 1)[-1] for h in host) & set(plain), plain


@pytest.mark.parametrize("args, want", [
    (("--ulimit", "bogus=1"), "--ulimit `bogus=1`: unknown limit `bogus` (one of: as, core"),
    (("-m", "1k"), "below what a container needs to start; the minimum is 6MiB"),
    (("-v", "/x:relative"), "-v `/x:relative`: the container path `relative` must be absolute"),
    (("--security-opt", "seccomp=/nonexist"), "opening seccomp profile /nonexist: no such file or directory"),
])
def test_run_flag_errors(capsa, args, want):
    p = capsa("run", "--rm", *args, "busybox", "true", check=False)
    assert p.returncode == 125 and want in p.stderr, p.stderr
    assert "bundle" not in p.stderr and "line -1" not in p.stderr and "signal 9" not in p.stderr


def test_cpus_beyond_host(capsa):
    import os
    n = len(os.sched_getaffinity(0))
    p = capsa("run", "--rm", "--cpus", "100", "busybox", "true", check=False)
    assert p.returncode == 125, p
    assert f"range of CPUs is from 0.01 to {n}.00, as there are only {n} CPUs available" in p.stderr
    capsa("run", "-d", "--name", "cu", "busybox", "sleep", "100")
    try:
        p = capsa("update", "--cpus", "100", "cu", check=False)
        assert p.returncode == 125 and "range of CPUs" in p.stderr
        p = capsa("update", "-m", "1k", "cu", check=False)
        assert p.returncode == 125 and "the minimum is 6MiB" in p.stderr
    finally:
        capsa("rm", "-f", "cu", check=False)


def test_malformed_image_reference(capsa):
    for ref in ("BusyBox", "busybox::"):
        p = capsa("run", "--rm", ref, "true", check=False)
        assert p.returncode == 125 and "invalid reference format" in p.stderr, p.stderr


def test_pause_not_running(capsa):
    capsa("create", "--name", "st", "busybox", "true")
    try:
        p = capsa("pause", "st", check=False)
        assert p.returncode == 125 and "container st is not running" in p.stderr, p.stderr
        p = capsa("unpause", "st", check=False)
        assert p.returncode == 125 and "container st is not paused" in p.stderr, p.stderr
    finally:
        capsa("rm", "-f", "st", check=False)


def test_inspect_some_missing(capsa):
    import json
    capsa("create", "--name", "ctr", "busybox", "true")
    try:
        p = capsa("inspect", "ctr", "nosuch", "busybox", check=False)
        assert p.returncode == 1, p
        assert "no such object: nosuch" in p.stderr and "no such image: ctr" not in p.stderr, p.stderr
        found = json.loads(p.stdout)
        assert [o.get("Name") for o in found][0] == "/ctr" and "RepoTags" in found[1], found
    finally:
        capsa("rm", "-f", "ctr", check=False)
