"""Restart across reboots: `capsa start --all-restart` (the boot hook, contrib/systemd/capsa-restart.service)
brings back the containers whose restart policy is always, or unless-stopped and not stopped by the user,
after a simulated reboot; and `capsa start` of any container works after one.

What a reboot loses, for capsa as root (its store and runtime state, ROOT and ROOT/oci, are on disk
and stay, with pids that are now stale), and what the test takes away the same way:
  - every process: the containers' and their monitors' (SIGKILL: nobody records anything);
  - every mount: the containers' overlay roots, their netns bind mounts;
  - the cgroups (/sys/fs/cgroup is rebuilt at boot): capsa/ID in every hierarchy;
  - the network devices and rules: the networks' bridges (the veths go with the netns), capsa's
    nftables table;
and a port that some other program took meanwhile (so one start fails, saying why)."""
import contextlib
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import procs_mentioning
from test_cli_rootless import rl, user  # noqa: F401  (the fixtures)
from test_cli_run import CAPSA, capsa, wait_for  # noqa: F401  (the fixture)

PORT = 18291  # the web container's published port
TAKEN = 18292  # a port another program has after the reboot


def _get(url):
    with contextlib.suppress(OSError):
        with urllib.request.urlopen(url, timeout=1) as r:
            return r.read()
    return None


def _cgroup_dirs(cid):
    return [d for d in pathlib.Path("/sys/fs/cgroup").glob(f"*/capsa/{cid}")] + \
        [d for d in pathlib.Path("/sys/fs/cgroup").glob(f"capsa/{cid}")]


def _kill_cgroup(d):
    """SIGKILL every process of a cgroup directory until it is empty."""
    for _ in range(200):
        procs = (d / "cgroup.procs").read_text().split() if (d / "cgroup.procs").exists() else []
        if not procs:
            return
        for p in procs:
            with contextlib.suppress(OSError):
                os.kill(int(p), signal.SIGKILL)
        time.sleep(0.02)


def reboot(capsa, ids, bridges):
    """What a reboot does to capsa's containers (see the module's docstring)."""
    for pid in procs_mentioning(str(capsa.root)):  # the monitors first: none may restart anything
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for cid in ids:
        for d in _cgroup_dirs(cid):
            _kill_cgroup(d)
    wait_for(lambda: not procs_mentioning(str(capsa.root)))
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f if str(capsa.tmp) in line.split()[4]]
    for m in sorted(mounts, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)
    for cid in ids:
        for d in _cgroup_dirs(cid):
            for _ in range(100):
                with contextlib.suppress(OSError):
                    d.rmdir()
                if not d.exists():
                    break
                time.sleep(0.02)
    for b in bridges:
        subprocess.run(["ip", "link", "del", b], capture_output=True)
    subprocess.run(["nft", "delete", "table", "inet", "capsa"], capture_output=True)


def _own_start():
    with open("/proc/self/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def _monitor_of_an_earlier_boot(capsa, cid):
    """Make cid's dead monitor's pid and start time a live process's (this one), as a reused pid
    after a boot would; its record still says which boot it was of (run.json's BootId)."""
    f = capsa.root / "containers" / cid / "run.json"
    run = json.loads(f.read_text())
    assert run["BootId"] == pathlib.Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    run.update(MonitorPid=os.getpid(), MonitorStart=_own_start(), BootId="00000000-0000-4000-8000-000000000000")
    f.write_text(json.dumps(run))


def _lease_owned_by_a_live_process(capsa, cid):
    """Give cid's lease on bootnet the pid and start time of a live process (this one)."""
    start = _own_start()
    for f in (capsa.root / "network").glob("*.json"):
        net = json.loads(f.read_text())
        if cid in net.get("leases", {}):
            net["leases"][cid].update(pid=os.getpid(), start=start)
            f.write_text(json.dumps(net))
            return
    raise AssertionError("no lease of the container")


def _running(capsa, name):
    return capsa.state(name)["Running"] is True


def test_all_restart_after_a_reboot(capsa):
    capsa("network", "create", "--subnet", "10.99.41.0/24", "bootnet")
    www = capsa.tmp / "www"
    www.mkdir()
    (www / "index.html").write_text("back-after-boot\n")
    try:
        run = lambda name, pol, *a: capsa("run", "-d", "--name", name, "--restart", pol, *a).stdout.strip()
        ids = [
            run("web", "always", "--network", "bootnet", "-p", f"127.0.0.1:{PORT}:80", "-v", f"{www}:/www:ro",
                "busybox", "httpd", "-f", "-p", "80", "-h", "/www"),
            run("keep", "unless-stopped", "--network", "none", "busybox", "sleep", "1000"),
            run("stopped", "unless-stopped", "--network", "none", "busybox", "sleep", "1000"),
            run("stopped-always", "always", "--network", "none", "busybox", "sleep", "1000"),
            run("plain", "no", "--network", "bootnet", "busybox", "sleep", "1000"),
            run("blocked", "always", "--network", "bootnet", "-p", f"127.0.0.1:{TAKEN}:80", "busybox", "sleep",
                "1000"),
        ]
        ids.append(capsa("create", "--name", "never", "--restart", "always", "--network", "none", "busybox",
                         "true").stdout.strip())
        assert wait_for(lambda: _get(f"http://127.0.0.1:{PORT}/")) == b"back-after-boot\n"
        capsa("stop", "-t", "1", "stopped", "stopped-always")
        # a monitor records itself for a systemd unit's PIDFile (`generate systemd`)
        cdir = capsa.root / "containers" / ids[0]
        mon = int((cdir / "monitor.pid").read_text())
        assert mon == json.loads((cdir / "run.json").read_text())["MonitorPid"] and os.path.exists(f"/proc/{mon}")

        bridge = json.loads(capsa("network", "inspect", "bootnet").stdout)[0]["bridge"]
        reboot(capsa, ids, [bridge])
        # pids are reused after a boot: a dead monitor's and a dead lease owner's may be live
        # processes now (the monitor's record says of which boot it was; the lease is dropped)
        _lease_owned_by_a_live_process(capsa, ids[4])
        _monitor_of_an_earlier_boot(capsa, ids[1])
        assert subprocess.run(["ip", "link", "show", bridge], capture_output=True).returncode != 0
        assert all(not _running(capsa, n) for n in ("web", "keep", "plain", "blocked"))

        # another program has the blocked container's port now: its start fails, the others go on
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", TAKEN))
            s.listen()
            p = capsa("start", "--all-restart", check=False)
        assert p.returncode == 125, p.stderr
        started = sorted(line.split(":")[0] for line in p.stdout.splitlines())
        assert started == ["keep", "stopped-always", "web"], p.stdout
        assert "web: started (restart policy always)" in p.stdout
        assert "keep: started (restart policy unless-stopped)" in p.stdout
        assert "blocked (restart policy always): not started" in p.stderr and str(TAKEN) in p.stderr, p.stderr
        # its network works again: the bridge, the address, the published port's DNAT
        assert wait_for(lambda: _get(f"http://127.0.0.1:{PORT}/")) == b"back-after-boot\n"
        assert _running(capsa, "keep") and _running(capsa, "stopped-always")
        assert not _running(capsa, "stopped") and not _running(capsa, "plain")
        assert capsa.state("never")["Status"] in ("created", "exited")  # never started: not brought back
        # a container that was running at the reboot and has no policy starts by hand: nothing of
        # its last run (lease, netns, root mount) is in the way, not even a lease whose dead
        # owner's pid a live process has now
        capsa("start", "plain")
        assert _running(capsa, "plain")
        assert capsa("exec", "plain", "sh", "-c", "ip -o -4 addr show eth0").stdout.count("inet 10.99.41.") == 1
        capsa("start", "blocked")  # its port is free again
        assert _running(capsa, "blocked")
        # a second --all-restart has nothing left to do
        p = capsa("start", "--all-restart")
        assert p.stdout == "" and p.returncode == 0
        p = capsa("start", "--all-restart", "web", check=False)
        assert p.returncode == 125 and "takes no container" in p.stderr
    finally:
        capsa("rm", "-f", *[n for n in ("web", "keep", "stopped", "stopped-always", "plain", "blocked", "never")],
              check=False)
        capsa("network", "rm", "bootnet", check=False)


def test_the_boot_unit(capsa):
    """contrib/systemd/capsa-restart.service, as the build configures it: a oneshot after the network,
    `capsa start --all-restart`; systemd-analyze accepts it."""
    from conftest import BUILD
    unit = BUILD / "contrib" / "capsa-restart.service"
    text = unit.read_text()
    keys = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    assert keys["Type"] == "oneshot" and keys["RemainAfterExit"] == "true"
    assert "network-online.target" in keys["After"] and keys["Wants"] == "network-online.target"
    assert keys["ExecStart"].endswith("/capsa start --all-restart")
    sa = subprocess.run(["which", "systemd-analyze"], capture_output=True, text=True).stdout.strip()
    if not sa:
        pytest.skip("systemd-analyze is not installed")
    # (the installed path of capsa does not exist here: point it at the build's)
    local = capsa.tmp / "capsa-restart.service"
    local.write_text(text.replace(keys["ExecStart"], f"{CAPSA} start --all-restart"))
    p = subprocess.run([sa, "verify", "--man=no", str(local)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_rootless_all_restart_after_a_reboot(rl, user):
    """Rootless, the runtime state is in $XDG_RUNTIME_DIR/capsa (a tmpfs, /run/user/UID): a reboot
    takes all of it (the runtime state, the pause process's pid file), with every process of the user
    (the pause process holding the shared user and mount namespaces, so the overlay roots too)."""
    from test_cli_rootless import _user_procs
    pw = user[0]
    rl.mkimage()
    rl("run", "-d", "--name", "up", "--restart", "always", "--network", "none", "busybox", "sleep", "1000")
    rl("run", "-d", "--name", "down", "--restart", "unless-stopped", "--network", "none", "busybox", "sleep",
       "1000")
    rl("stop", "-t", "1", "down")
    assert rl("inspect", "-f", "{{.State.Running}}", "up").stdout.strip() == "true"
    for _ in range(100):
        procs = _user_procs(pw.pw_uid)
        if not procs:
            break
        for p in procs:
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGKILL)
        time.sleep(0.05)
    assert not _user_procs(pw.pw_uid)
    shutil.rmtree(rl.rundir)
    assert rl("inspect", "-f", "{{.State.Running}}", "up").stdout.strip() == "false"
    p = rl("start", "--all-restart")
    assert p.stdout == "up: started (restart policy always)\n", p.stdout + p.stderr
    assert rl("inspect", "-f", "{{.State.Running}}", "up").stdout.strip() == "true"
    assert rl("exec", "up", "echo", "back").stdout == "back\n"
    assert rl("inspect", "-f", "{{.State.Running}}", "down").stdout.strip() == "false"
    rl("rm", "-f", "up", "down")
