"""The escape battery: real attempts from inside a container that must fail.

Every test makes the attempt twice: with the protection in place (it must fail, for the reason
expected) and with that one protection deliberately turned off (it must then succeed), so no test
can pass because the attempt itself was broken.
"""
import hashlib
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import OCI, Runtime, needs_test_hooks, new_id, state_left

# Docker's default capability set (share/capabilities-default.json holds the same list)
DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
               "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
               "CAP_KILL", "CAP_AUDIT_WRITE"]


def with_caps(bundle, caps):
    bundle.process["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted")}


def attempt(oci, bundle, *args):
    """The probe's report of one `try` attempt."""
    bundle.args("/probe", "try", *map(str, args))
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def disk_device():
    """A block device the host's root may open (this sandbox forbids its own root disk)."""
    names = sorted(os.listdir("/sys/block"), key=lambda n: n.startswith("loop"))
    for name in names:
        try:
            os.close(os.open(f"/dev/{name}", os.O_RDONLY))
        except OSError:
            continue
        return tuple(map(int, open(f"/sys/block/{name}/dev").read().split(":")))
    pytest.skip("no block device in /sys/block that root may open here")


# ---- CVE-2019-5736: overwrite the runtime's binary through /proc/PID/exe --------------------------

def exe_attack(workdir, bundle, protected):
    """Container A is created (its init is the runtime, blocked before exec); container B shares
    A's pid namespace, holds /proc/1/exe and writes to it once A's init has exec'd."""
    victim = workdir / "capsa-oci-victim"
    shutil.copy2(OCI, victim)
    before = hashlib.sha256(victim.read_bytes()).hexdigest()
    rt = Runtime(workdir / "state")
    env = dict(os.environ)
    if not protected:
        env["CAPSA_UNSAFE_EXE_NO_COPY"] = "1"
    a = new_id()
    bundle.args("/probe", "sleep", "3").write()
    with open(workdir / "create.err", "w+") as errf:  # the container keeps its stdio: no pipe
        p = subprocess.run([str(victim), "--root", rt.root, "create", "-b", bundle.path, a], env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf, timeout=30)
        errf.seek(0)
        assert p.returncode == 0, errf.read()
    init = rt.state(a)["pid"]
    bdir = workdir / "attacker"
    shutil.copytree(bundle.path, bdir, symlinks=True)
    cfg = json.loads((bdir / "config.json").read_text())
    cfg["process"]["args"] = ["/probe", "exeattack", "1", "8"]
    cfg["linux"]["namespaces"] = [{"type": "pid", "path": f"/proc/{init}/ns/pid"}, {"type": "mount"}]
    cfg.pop("hostname")
    (bdir / "config.json").write_text(json.dumps(cfg))
    b = subprocess.Popen(rt.cmd("run", "-b", bdir, new_id()), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    assert b.stderr.readline().strip() == "ready"
    rt("start", a)
    out, err = b.communicate(timeout=30)
    rt("delete", "--force", a)
    after = hashlib.sha256(victim.read_bytes()).hexdigest()
    head = victim.read_bytes()[:11]
    return json.loads(out), before != after, head


def test_runtime_binary_cannot_be_overwritten(oci, bundle, workdir):
    report, changed, _ = exe_attack(workdir, bundle, protected=True)
    assert not changed, "the runtime's binary was modified from inside a container"
    assert report["written"] < 0, report


@needs_test_hooks
def test_runtime_binary_attack_works_without_the_sealed_copy(oci, bundle, workdir):
    report, changed, head = exe_attack(workdir, bundle, protected=False)
    assert report["written"] == 11 and changed and head == b"CAPSA-PWNED", report


# ---- CVE-2024-21626: a runtime fd (or cwd) leading back to the host -------------------------------

def test_no_runtime_fd_reaches_the_container(oci, bundle, workdir):
    secret = workdir / "host-dir"
    secret.mkdir()
    (secret / "secret").write_text("host data")
    fd = os.open(secret, os.O_RDONLY | os.O_DIRECTORY)

    def run(*extra):
        bundle.args("/probe", "try", "openat", "7", "secret")
        return subprocess.run(oci.cmd("run", *extra, "-b", bundle.write().path, new_id()), close_fds=False,
                              preexec_fn=lambda: os.dup2(fd, 7), capture_output=True, text=True, timeout=30)

    try:
        p = run()
        assert p.returncode == 0 and json.loads(p.stdout)["errname"] == "EBADF", (p.stdout, p.stderr)
        # a cwd through such an fd is refused too
        bundle.process["cwd"] = "/proc/self/fd/7"
        p = run()
        assert p.returncode != 0 and "cwd" in p.stderr, p.stderr
        bundle.process["cwd"] = "/"
        # control: handing the fd over on purpose (--preserve-fds) makes the host directory reachable
        p = run("--preserve-fds", "5")
        assert json.loads(p.stdout)["ok"] is True, p.stdout
    finally:
        os.close(fd)


# ---- mount destinations through symlinks (CVE-2021-30465 kind) ------------------------------------

def test_mount_over_symlinked_destination_stays_inside(oci, bundle, workdir):
    victim = workdir / "victim"
    victim.mkdir()
    bundle.config["root"]["readonly"] = False
    os.symlink(str(victim), bundle.rootfs / "evil")
    bundle.mount(destination="/evil", type="tmpfs", source="tmpfs", options=["size=1m"])
    bundle.args("/probe", "write", str(victim / "planted"), "x")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert json.loads(p.stdout)["ok"]
    assert not (victim / "planted").exists()  # written inside the container's tmpfs, not on the host
    # control: a deliberate bind mount of the same host directory does reach it
    bundle.config["mounts"][-1] = {"destination": "/evil2", "type": "bind", "source": str(victim),
                                   "options": ["bind"]}
    bundle.args("/probe", "write", "/evil2/planted", "x")
    oci("run", "-b", bundle.write().path, new_id())
    assert (victim / "planted").exists()


# ---- devices, /proc, capabilities, seccomp, ptrace ------------------------------------------------

def test_mknod_a_disk_gives_no_access(oci, bundle):
    major, minor = disk_device()
    with_caps(bundle, DOCKER_CAPS)  # CAP_MKNOD included, as in Docker: the device cgroup is the guard
    bundle.config["linux"]["resources"] = {"devices": [{"allow": False, "access": "rwm"},
                                                       {"allow": True, "type": "b", "access": "m"},
                                                       {"allow": True, "type": "c", "access": "m"}]}
    bundle.args("/bin/sh", "-c", f"mknod /dev/disk b {major} {minor} && /probe try open /dev/disk r")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert json.loads(p.stdout)["errname"] == "EPERM", (p.stdout, p.stderr)
    bundle.config["linux"]["resources"] = {"devices": [{"allow": True, "access": "rwm"}]}
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert json.loads(p.stdout)["ok"] is True, (p.stdout, p.stderr)


def test_proc_sys_is_read_only(oci, bundle):
    assert attempt(oci, bundle, "open", "/proc/sys/kernel/domainname", "w")["errname"] == "EROFS"
    bundle.config["linux"]["readonlyPaths"] = []
    assert attempt(oci, bundle, "open", "/proc/sys/kernel/domainname", "w")["ok"] is True


def test_sysrq_trigger_is_read_only(oci, bundle):
    if not os.path.exists("/proc/sysrq-trigger"):
        pytest.skip("this kernel has no /proc/sysrq-trigger (CONFIG_MAGIC_SYSRQ off)")
    assert attempt(oci, bundle, "open", "/proc/sysrq-trigger", "w")["errname"] in ("EROFS", "EACCES")


def test_kernel_memory_files_are_masked(oci, bundle):
    target = "/proc/kcore" if os.path.exists("/proc/kcore") else "/proc/timer_list"  # no kcore in this kernel
    masked = bundle.config["linux"]["maskedPaths"]
    if target not in masked:
        masked.append(target)
    bundle.args("/bin/sh", "-c", f"head -c 64 {target} | wc -c")
    assert oci("run", "-b", bundle.write().path, new_id()).stdout.strip() == "0"
    masked.remove(target)
    assert int(oci("run", "-b", bundle.write().path, new_id()).stdout.strip()) > 0


def test_loading_a_kernel_module_needs_cap_sys_module(oci, bundle):
    if not os.path.exists("/proc/modules"):
        pytest.skip("this kernel is built without module support (no /proc/modules): nothing to load")
    with_caps(bundle, DOCKER_CAPS)
    assert attempt(oci, bundle, "init_module")["errname"] == "EPERM"
    with_caps(bundle, DOCKER_CAPS + ["CAP_SYS_MODULE"])
    r = attempt(oci, bundle, "init_module")  # the junk image is refused for what it is, not for permission
    assert r["errname"] != "EPERM" and r["errno"] != 0, r


def test_dropped_capability_is_gone(oci, bundle):
    bundle.config["root"]["readonly"] = False
    caps = [c for c in DOCKER_CAPS if c != "CAP_CHOWN"]
    with_caps(bundle, caps)
    assert attempt(oci, bundle, "chown", "/tmp", 1234, 1234)["errname"] == "EPERM"
    bundle.args("/probe", "caps")
    status = oci.run_json(bundle)
    eff = int(status["CapEff"], 16)
    assert eff & (1 << 0) == 0 and eff & (1 << 21) == 0  # no CAP_CHOWN, no CAP_SYS_ADMIN
    with_caps(bundle, DOCKER_CAPS)
    assert attempt(oci, bundle, "chown", "/tmp", 1234, 1234)["ok"] is True


def test_capability_sets_land_as_configured(oci, bundle):
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.process["capabilities"] = {"bounding": ["CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_KILL"],
                                      "effective": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE",
                                                                                          "CAP_KILL"],
                                      "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}
    bundle.process["noNewPrivileges"] = False
    bundle.args("/probe", "caps")
    st = oci.run_json(bundle)
    bit = lambda *caps: sum(1 << c for c in caps)
    # after exec as uid 1000: ambient flows into permitted and effective
    assert int(st["CapBnd"], 16) == bit(0, 5, 10)
    assert int(st["CapAmb"], 16) == bit(10)
    assert int(st["CapInh"], 16) == bit(10)
    assert int(st["CapPrm"], 16) == bit(10) and int(st["CapEff"], 16) == bit(10)


def test_unknown_capability_is_a_clear_error(oci, bundle, workdir):
    with_caps(bundle, DOCKER_CAPS + ["CAP_FLY"])
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0 and "process.capabilities.bounding[14]: unknown capability `CAP_FLY`" in p.stderr
    assert not state_left(workdir / "state")


def test_syscall_denied_by_the_profile(oci, bundle):
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 99}]}
    r = attempt(oci, bundle, "mkdir", "/tmp/x")
    assert r["errno"] == 99, r
    bundle.args("/probe", "caps")
    assert oci.run_json(bundle)["Seccomp"] == "2"  # filter mode
    del bundle.config["linux"]["seccomp"]
    assert attempt(oci, bundle, "mkdir", "/tmp/x")["ok"] is True


def test_ptrace_of_a_host_process(oci, bundle):
    victim = subprocess.Popen(["sleep", "30"])
    try:
        r = attempt(oci, bundle, "ptrace", victim.pid)
        assert r["errname"] == "ESRCH", r  # the host's processes do not exist in the container's pid namespace
        with_caps(bundle, DOCKER_CAPS)
        bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"]
                                                if n["type"] != "pid"]
        assert attempt(oci, bundle, "ptrace", victim.pid)["errname"] == "EPERM"  # no CAP_SYS_PTRACE
        with_caps(bundle, DOCKER_CAPS + ["CAP_SYS_PTRACE"])
        assert attempt(oci, bundle, "ptrace", victim.pid)["ok"] is True  # both guards off: it works
    finally:
        victim.kill()
        victim.wait()


def test_seccomp_listener_gets_the_notify_fd(oci, bundle, workdir):
    """SCMP_ACT_NOTIFY: the runtime hands the listener fd to listenerPath with the state; once the
    agent has closed it, a notifying syscall fails with ENOSYS (nobody to answer)."""
    import array
    import socket
    import threading
    path = str(workdir / "agent.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    got = {}

    def agent():
        conn, _ = srv.accept()
        fds = array.array("i")
        msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(fds.itemsize))
        for level, typ, data in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds.frombytes(data[:fds.itemsize])
        got["state"] = json.loads(msg)
        got["fd_target"] = os.readlink(f"/proc/self/fd/{fds[0]}")
        os.close(fds[0])
        conn.close()

    t = threading.Thread(target=agent)
    t.start()
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": path, "listenerMetadata": "hello-agent",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}
    bundle.args("/bin/sh", "-c", "sleep 0.3; /probe try mkdir /tmp/x")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    t.join(timeout=10)
    srv.close()
    assert got["state"]["fds"] == ["seccompFd"] and got["state"]["metadata"] == "hello-agent", got
    assert got["state"]["pid"] > 0 and got["state"]["state"]["bundle"] == str(bundle.path)
    assert "seccomp" in got["fd_target"], got
    assert json.loads(p.stdout)["errname"] == "ENOSYS", (p.stdout, p.stderr)
    # a notify rule without a listener is refused up front
    del bundle.config["linux"]["seccomp"]["listenerPath"]
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0 and "SCMP_ACT_NOTIFY needs a listenerPath" in p.stderr
