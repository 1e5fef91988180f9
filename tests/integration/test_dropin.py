"""capsa-oci as a drop-in runc: what real engines send (issue 13).

dockerd's zero cpu shares and blkio weight ("not set"), update all or nothing, ambient capabilities
the kernel refuses (the config `runc spec` writes), HOME from the container's passwd, loopback up in
every new network namespace, and `runc spec`'s own config run as it is."""
import json
import os
import pty
import shutil
import subprocess

import pytest

from conftest import new_id
from test_cgroups import cgpath, detached, read, version  # noqa: F401 (cgpath is a fixture)
from test_process import read_until
from test_cli_run import capsa  # noqa: F401 (a fixture)

CAP_KILL = 5


def caps_of(status_text, name):
    for line in status_text.splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1], 16)
    raise AssertionError(f"{name} not in {status_text!r}")


# ---- item 1: dockerd's zeros, update all or nothing ----

def test_zero_cpu_shares_and_blkio_weight_are_unset(oci, bundle, cgpath):
    """dockerd sends both in every config; runc writes neither (this host has no blkio.weight)."""
    cid = detached(oci, bundle, cgpath, {"cpu": {"shares": 0}, "blockIO": {"weight": 0},
                                         "memory": {"limit": 64 << 20}})
    mem = "memory.limit_in_bytes" if version("memory") == 1 else "memory.max"
    assert read("memory", cgpath, mem) == str(64 << 20)
    oci("update", "--resources", "-", cid, input=json.dumps({"cpu": {"shares": 0}, "blockIO": {"weight": 0},
                                                             "memory": {"limit": 96 << 20}}))
    assert read("memory", cgpath, mem) == str(96 << 20)
    oci("delete", "--force", cid)


def test_update_fails_before_writing_anything(oci, bundle, cgpath):
    """A key this host lacks fails the whole update, the memory limit written before it included."""
    if version("blkio") == 1 and os.path.exists("/sys/fs/cgroup/blkio/blkio.weight"):
        pytest.skip("this host has blkio.weight (CFQ/BFQ): the missing-file case needs one without")
    cid = detached(oci, bundle, cgpath, {"memory": {"limit": 64 << 20}, "pids": {"limit": 10}})
    mem = "memory.limit_in_bytes" if version("memory") == 1 else "memory.max"
    p = oci("update", "--memory", "128m", "--pids-limit", "20", "--blkio-weight", "500", cid, check=False)
    assert p.returncode != 0 and "blockIO.weight" in p.stderr
    assert read("memory", cgpath, mem) == str(64 << 20)
    assert read("pids", cgpath, "pids.max") == "10"
    oci("delete", "--force", cid)


def test_update_rolls_back_a_write_the_kernel_refuses(oci, bundle, cgpath):
    """pids.max and the period are written, then the kernel refuses a quota below 1ms: both come back."""
    cid = detached(oci, bundle, cgpath, {"pids": {"limit": 10}})
    period = "cpu.cfs_period_us" if version("cpu") == 1 else "cpu.max"
    before = read("cpu", cgpath, period)
    p = oci("update", "--resources", "-", cid, check=False,
            input=json.dumps({"pids": {"limit": 20}, "cpu": {"quota": 500, "period": 50000}}))
    assert p.returncode != 0 and "cpu.quota" in p.stderr
    assert read("pids", cgpath, "pids.max") == "10"
    assert read("cpu", cgpath, period) == before
    oci("delete", "--force", cid)


# ---- item 3: ambient capabilities the kernel refuses ----

RUNC_SPEC_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]


def test_ambient_not_inheritable_is_skipped_with_a_warning(oci, bundle, workdir):
    bundle.process["capabilities"] = {k: RUNC_SPEC_CAPS for k in ("bounding", "effective", "permitted", "ambient")}
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.args("/bin/cat", "/proc/self/status")
    log = workdir / "log.json"
    p = oci("run", "-b", bundle.write().path, new_id(), globals_=["--log", log, "--log-format", "json"])
    assert caps_of(p.stdout, "CapAmb") == 0
    assert caps_of(p.stdout, "CapBnd") == sum(1 << c for c in (29, 5, 10))
    lines = [json.loads(l) for l in log.read_text().splitlines()]
    warn = [l["msg"] for l in lines if l["level"] == "warning"]
    assert any("ambient" in w and "cap_kill" in w for w in warn), lines


def test_ambient_raised_when_inheritable(oci, bundle):
    bundle.process["capabilities"] = {k: ["CAP_KILL"] for k in ("bounding", "effective", "permitted",
                                                                 "inheritable", "ambient")}
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.args("/bin/cat", "/proc/self/status")
    p = oci("run", "-b", bundle.write().path, new_id())
    assert caps_of(p.stdout, "CapAmb") == 1 << CAP_KILL


def test_exec_ambient_not_inheritable_is_skipped(oci, bundle, workdir):
    bundle.args("/probe", "sleep", "60")
    cid = new_id()
    oci.detach(bundle, cid)
    proc = dict(bundle.process, args=["/bin/cat", "/proc/self/status"], user={"uid": 0, "gid": 0},
                capabilities={k: RUNC_SPEC_CAPS + ["CAP_NET_ADMIN"]
                              for k in ("bounding", "effective", "permitted", "ambient")})
    f = workdir / "process.json"
    f.write_text(json.dumps(proc))
    p = oci("exec", "--process", f, cid)
    assert caps_of(p.stdout, "CapAmb") == 0 and caps_of(p.stdout, "CapEff") & (1 << 12)  # CAP_NET_ADMIN
    assert "ambient" in p.stderr  # no --log: the warning goes to stderr
    oci("delete", "--force", cid)


# ---- item 7: HOME from the container's passwd ----

def test_home_from_passwd(oci, bundle, workdir):
    with open(bundle.rootfs / "etc" / "passwd", "a") as f:
        f.write("u:x:1000:1000:user:/home/u:/bin/sh\n")
    bundle.process["env"] = ["PATH=/bin"]
    bundle.args("/probe", "env")
    assert "HOME=/root" in oci.run_json(bundle)["env"]
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    assert "HOME=/home/u" in oci.run_json(bundle)["env"]
    bundle.process["user"] = {"uid": 4321, "gid": 4321}
    assert "HOME=/" in oci.run_json(bundle)["env"]
    bundle.process["env"] = ["PATH=/bin", "HOME=/given"]
    env = oci.run_json(bundle)["env"]
    assert "HOME=/given" in env and not [e for e in env if e.startswith("HOME=") and e != "HOME=/given"]


def test_exec_home_from_passwd(oci, bundle, workdir):
    with open(bundle.rootfs / "etc" / "passwd", "a") as f:
        f.write("u:x:1000:1000:user:/home/u:/bin/sh\n")
    bundle.args("/probe", "sleep", "60")
    cid = new_id()
    oci.detach(bundle, cid)
    proc = dict(bundle.process, args=["/probe", "env"], env=["PATH=/bin"], user={"uid": 1000, "gid": 1000})
    f = workdir / "process.json"
    f.write_text(json.dumps(proc))
    assert "HOME=/home/u" in json.loads(oci("exec", "--process", f, cid).stdout)["env"]
    assert "HOME=/root" in json.loads(oci("exec", "--env", "X=1", cid, "/probe", "env").stdout)["env"]
    oci("delete", "--force", cid)


def test_home_passwd_fifo_does_not_block(oci, bundle):
    os.unlink(bundle.rootfs / "etc" / "passwd")
    os.mkfifo(bundle.rootfs / "etc" / "passwd")
    bundle.process["env"] = ["PATH=/bin"]
    bundle.args("/probe", "env")
    assert "HOME=/" in oci.run_json(bundle, timeout=20)["env"]


# ---- item 8: loopback up ----

def lo_flags(oci, bundle):
    bundle.args("/bin/cat", "/sys/class/net/lo/flags")
    return int(oci("run", "-b", bundle.write().path, new_id()).stdout, 16)


# a listener on loopback, then "hello" sent to it until it is there (no fixed sleep: a loaded
# machine may start the listener late), then what it got
def loopback_echo(port):
    return (f"timeout 10 nc -l -p {port} > /tmp/got & for i in $(seq 100); do echo hello | nc 127.0.0.1 {port} && break;"
            " sleep 0.1; done; wait; cat /tmp/got")


def test_loopback_up_in_a_new_network_namespace(oci, bundle):
    assert lo_flags(oci, bundle) & 1  # IFF_UP
    bundle.args("/bin/sh", "-c", loopback_echo(5555))
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert "hello" in p.stdout, p.stderr


def test_loopback_up_with_a_user_namespace(oci, bundle):
    from conftest import default_config
    bundle.config = default_config(userns=True)
    bundle.chown_rootfs(100000, 100000)
    assert lo_flags(oci, bundle) & 1


# ---- `runc spec`'s config as it is, but for its rootfs ----

def test_runc_spec_config_runs(oci, bundle, workdir):
    runc = shutil.which("runc")
    if runc is None:
        pytest.skip("runc is not installed")
    subprocess.run([runc, "spec"], cwd=bundle.path, check=True)
    cfg = json.loads((bundle.path / "config.json").read_text())
    assert cfg["root"]["path"] == "rootfs" and cfg["process"]["terminal"] is True
    assert "CAP_KILL" in cfg["process"]["capabilities"]["ambient"]
    pid, master = pty.fork()
    if pid == 0:
        os.execv(oci.cmd()[0], oci.cmd("run", "-b", str(bundle.path), new_id()))
    read_until(master, b"#")
    os.write(master, b"echo home=$HOME; cat /sys/class/net/lo/flags; grep CapAmb /proc/self/status; exit 4\n")
    out = read_until(master, b"CapAmb:\t0000000000000000")
    _, status = os.waitpid(pid, 0)
    os.close(master)
    assert b"home=/root" in out and b"0x9" in out, out
    assert os.WEXITSTATUS(status) == 4


# ---- the CLI goes through the same library (issue 14 items 6 and 7) ----

def test_cli_home_and_loopback(capsa):
    assert capsa("run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo $HOME").stdout.strip() == "/root"
    assert capsa("run", "--rm", "--network", "none", "-u", "4321", "busybox", "sh", "-c",
                 "echo $HOME").stdout.strip() == "/"
    p = capsa("run", "--rm", "--network", "none", "busybox", "sh", "-c",
              loopback_echo(8080),
              check=False)
    assert "hello" in p.stdout, p.stderr
