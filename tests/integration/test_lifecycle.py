"""Lifecycle: create -> created -> start -> running -> stopped -> delete; kill, list, run."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import new_id


def wait_status(oci, cid, want, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = oci.state(cid)
        if st["status"] == want:
            return st
        time.sleep(0.02)
    raise AssertionError(f"{cid} never reached {want}: {oci.state(cid)}")


def test_states_through_a_lifecycle(oci, bundle, workdir):
    bundle.args("/probe", "sleep", "30").write()
    cid = new_id()
    pidfile = workdir / "init.pid"
    oci("create", "--bundle", bundle.path, "--pid-file", pidfile, cid,
        stdin=subprocess.DEVNULL, capture_output=False,
        stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))
    st = oci.state(cid)
    assert st["status"] == "created"
    assert st["id"] == cid
    assert st["pid"] == int(pidfile.read_text())
    assert st["bundle"] == str(bundle.path)
    assert st["rootfs"] == str(bundle.rootfs)
    assert st["ociVersion"].startswith("1.2")
    for k in ("created", "owner"):
        assert k in st
    # the init waits before execve: still the runtime's binary, not the probe
    assert os.readlink(f"/proc/{st['pid']}/exe") != str(bundle.rootfs / "probe")
    oci("start", cid)
    st = wait_status(oci, cid, "running")
    deadline = time.time() + 5
    while not os.readlink(f"/proc/{st['pid']}/exe").endswith("/probe") and time.time() < deadline:
        time.sleep(0.01)
    assert os.readlink(f"/proc/{st['pid']}/exe").endswith("/probe")
    p = oci("start", cid, check=False)
    assert p.returncode != 0 and "already running" in p.stderr
    p = oci("delete", cid, check=False)
    assert p.returncode != 0 and "not stopped" in p.stderr
    oci("kill", cid, "KILL")
    st = wait_status(oci, cid, "stopped")
    assert st["pid"] == 0
    p = oci("start", cid, check=False)
    assert p.returncode != 0 and "stopped" in p.stderr
    oci("delete", cid)
    p = oci("state", cid, check=False)
    assert p.returncode != 0 and "does not exist" in p.stderr


def test_create_returns_while_init_waits(oci, bundle):
    """create leaves the process blocked: nothing it would print appears before start."""
    bundle.args("/bin/sh", "-c", "echo started > /dev/shm/x; echo out").write()
    cid = new_id()
    r, w = os.pipe()
    oci("create", "-b", bundle.path, cid, stdout=w, stderr=w, capture_output=False)
    os.close(w)
    os.set_blocking(r, False)
    time.sleep(0.2)
    with pytest.raises(BlockingIOError):
        os.read(r, 100)
    oci("start", cid)
    os.set_blocking(r, True)
    assert os.read(r, 100) == b"out\n"
    os.close(r)
    wait_status(oci, cid, "stopped")
    oci("delete", cid)


def test_run_returns_the_exit_code(oci, bundle):
    bundle.args("/probe", "exit", "42")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode == 42
    assert oci.ids() == []


def test_run_killed_by_signal_is_128_plus(oci, bundle):
    # without a pid namespace the shell is not a pid 1, which ignores signals it has no handler for
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    bundle.args("/bin/sh", "-c", "kill -TERM $$")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode == 128 + signal.SIGTERM


def test_run_forwards_signals(oci, bundle):
    import subprocess
    bundle.args("/bin/sh", "-c", "trap 'echo got-term; exit 7' TERM; echo ready; while :; do sleep 0.05; done")
    cid = new_id()
    proc = subprocess.Popen(oci.cmd("run", "-b", bundle.write().path, cid), stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=10)
    assert "got-term" in out
    assert proc.returncode == 7


@pytest.mark.parametrize("sig", ["KILL", "SIGKILL", "9", "kill"])
def test_kill_signal_spellings(oci, bundle, sig):
    bundle.args("/probe", "sleep", "30")
    cid = new_id()
    oci.detach(bundle, cid)
    assert oci.state(cid)["status"] == "running"
    oci("kill", cid, sig)
    wait_status(oci, cid, "stopped")
    oci("delete", cid)


def test_kill_default_is_sigterm_and_bad_signal_is_refused(oci, bundle):
    bundle.args("/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done")
    cid = new_id()
    oci.detach(bundle, cid)
    p = oci("kill", cid, "NOPE", check=False)
    assert p.returncode != 0 and "NOPE" in p.stderr
    oci("kill", cid)
    wait_status(oci, cid, "stopped")
    p = oci("kill", cid, "KILL", check=False)
    assert p.returncode != 0 and "container not running" in p.stderr
    oci("delete", cid)


def test_kill_all_reaches_every_process(oci, bundle, workdir):
    # the init ignores TERM; its children do not, and it exits once they are gone
    bundle.args("/bin/sh", "-c", "trap '' TERM; (trap - TERM; exec sleep 30) & (trap - TERM; exec sleep 30) & wait")
    cid = new_id()
    oci.detach(bundle, cid)
    time.sleep(0.2)
    oci("kill", cid, "TERM")
    time.sleep(0.3)
    assert oci.state(cid)["status"] == "running"
    oci("kill", "--all", cid, "TERM")
    wait_status(oci, cid, "stopped")
    oci("delete", cid)


def test_delete_force_running_and_created(oci, bundle):
    bundle.args("/probe", "sleep", "30")
    running, created = new_id(), new_id()
    oci.detach(bundle, running)
    oci("create", "-b", bundle.path, created, stdin=subprocess.DEVNULL,
        stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"), capture_output=False)
    pids = [oci.state(c)["pid"] for c in (running, created)]
    oci("delete", "--force", running)
    oci("delete", created)  # a created container may be deleted without --force, like runc
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                assert f.read().rsplit(")", 1)[1].split()[0] in "ZX"
        except FileNotFoundError:
            pass
    assert oci.ids() == []


def test_delete_unknown_says_does_not_exist(oci):
    p = oci("delete", "nope", check=False)
    assert p.returncode != 0
    assert "does not exist" in p.stderr
    p = oci("kill", "nope", "KILL", check=False)
    assert p.returncode != 0 and "does not exist" in p.stderr


def test_delete_force_unknown_succeeds_quietly_like_runc(oci):
    # runc 1.1.5: `delete --force` of a container that does not exist exits 0 and prints nothing
    # (podman runs it after every failed create; an error here was a second, misleading one)
    p = oci("delete", "--force", "nope", check=False)
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")
    p = oci("delete", "--force", "bad/id", check=False)
    assert p.returncode != 0 and "invalid container id" in p.stderr


def test_duplicate_id_is_refused(oci, bundle):
    bundle.args("/probe", "sleep", "30")
    cid = new_id()
    oci.detach(bundle, cid)
    p = oci("run", "-d", "-b", bundle.path, cid, check=False)
    assert p.returncode != 0 and "exists" in p.stderr
    assert oci.state(cid)["status"] == "running"  # the first one is untouched
    oci("delete", "-f", cid)


def test_bad_ids_are_refused(oci, bundle):
    bundle.write()
    for bad in ["../x", "a/b", ".."]:
        p = oci("run", "-b", bundle.path, bad, check=False)
        assert p.returncode != 0 and "invalid" in p.stderr.lower(), p.stderr


def test_list_table_and_json(oci, bundle):
    bundle.args("/probe", "sleep", "30")
    a, b = new_id(), new_id()
    oci.detach(bundle, a)
    oci.detach(bundle, b)
    arr = json.loads(oci("list", "--format", "json").stdout)
    assert sorted(c["id"] for c in arr) == sorted([a, b])
    assert all(c["status"] == "running" and c["pid"] > 0 for c in arr)
    table = oci("list").stdout.splitlines()
    assert table[0].split()[:3] == ["ID", "PID", "STATUS"]
    assert {l.split()[0] for l in table[1:]} == {a, b}
    assert sorted(oci("list", "-q").stdout.split()) == sorted([a, b])
    for c in (a, b):
        oci("delete", "--force", c)
    assert json.loads(oci("list", "--format", "json").stdout) == []


def test_list_on_missing_root_is_empty(tmp_path):
    from conftest import Runtime
    rt = Runtime(tmp_path / "never-created")
    assert json.loads(rt("list", "--format", "json").stdout) == []


def test_state_survives_the_init_dying_on_its_own(oci, bundle):
    bundle.args("/probe", "exit", "3")
    cid = new_id()
    oci.detach(bundle, cid)
    wait_status(oci, cid, "stopped")
    oci("delete", cid)


def test_pid_reuse_is_not_mistaken_for_the_container(oci, bundle, workdir):
    """A stopped container whose pid now belongs to another process stays 'stopped'."""
    bundle.args("/probe", "exit", "0")
    cid = new_id()
    oci.detach(bundle, cid)
    wait_status(oci, cid, "stopped")
    statefile = workdir / "state" / cid / "state.json"
    raw = json.loads(statefile.read_text())
    # point the record at a live process (ourselves) with the recorded start time kept
    key = next(k for k in raw if k.lower() in ("pid", "init_pid"))
    raw[key] = os.getpid()
    statefile.write_text(json.dumps(raw))
    assert oci.state(cid)["status"] == "stopped"
    oci("delete", cid)
    assert os.path.exists(f"/proc/{os.getpid()}")


def notified_create(oci, bundle, path):
    """A container created with NOTIFY_SOCKET=path (a datagram socket bound here: host) whose
    process says READY=1 after 0.3 s: (host, env, id)."""
    import socket
    host = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    host.bind(str(path))
    host.settimeout(10)
    env = dict(os.environ, NOTIFY_SOCKET=str(path))
    bundle.args("/bin/sh", "-c", "sleep 0.3; /probe notify READY=1; sleep 30")
    cid = new_id()
    subprocess.run(oci.cmd("create", "-b", bundle.write().path, cid), env=env, check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return host, env, cid


def test_notify_socket_is_relayed(oci, bundle, workdir):
    """NOTIFY_SOCKET (systemd, podman --sdnotify=container): the container gets a socket of its own,
    start returns once it said READY=1, and the caller receives READY=1 with the init's pid."""
    host, env, cid = notified_create(oci, bundle, workdir / "host-notify.sock")
    t0 = time.time()
    subprocess.run(oci.cmd("start", cid), env=env, check=True, timeout=20)
    assert time.time() - t0 >= 0.25  # start waited for READY=1
    msg = host.recv(4096).decode()
    pid = oci.state(cid)["pid"]
    assert msg.split() == ["READY=1", f"MAINPID={pid}"], msg
    # run -d does the same in one go; and an env without NOTIFY_SOCKET changes nothing
    cid2 = new_id()
    subprocess.run(oci.cmd("run", "-d", "-b", bundle.path, cid2), env=env, check=True, timeout=20,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert host.recv(4096).decode().startswith("READY=1\nMAINPID=")
    host.close()
    oci("delete", "--force", cid)
    oci("delete", "--force", cid2)


def test_notify_socket_container_that_never_reports(oci, bundle, workdir):
    import socket
    host = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(workdir / "host-notify2.sock")
    host.bind(path)
    bundle.args("/probe", "exit", "0")
    cid = new_id()
    env = dict(os.environ, NOTIFY_SOCKET=path)
    subprocess.run(oci.cmd("create", "-b", bundle.write().path, cid), env=env, check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p = subprocess.run(oci.cmd("start", cid), env=env, capture_output=True, text=True, timeout=20)
    assert p.returncode != 0 and "ended before it sent READY=1" in p.stderr, p.stderr
    host.close()
    oci("delete", "--force", cid)


def test_notify_socket_out_of_other_users_reach(oci, bundle, workdir):
    """The runtime's state directories are traversable (0711): the notify socket sits below a 0700
    directory, so that no other host user can send READY=1 for a container (the container's own user
    reaches it through its bind mount)."""
    host, env, cid = notified_create(oci, bundle, workdir / "host-notify3.sock")
    subprocess.run(oci.cmd("start", cid), env=env, check=True, timeout=20)
    assert host.recv(4096).decode().startswith("READY=1")
    host.close()
    notify = os.path.join(oci.root, cid, "notify")
    assert os.stat(notify).st_mode & 0o777 == 0o700
    p = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "/bin/busybox", "ls",
                        f"{notify}/dir"], capture_output=True, text=True)
    assert p.returncode != 0 and "ermission denied" in p.stderr
    oci("delete", "--force", cid)
    assert not os.path.exists(notify)
