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
