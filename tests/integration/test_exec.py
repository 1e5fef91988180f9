"""capsa-oci exec: a new process really inside a running container, as podman, conmon and
containerd's shim call it (--process FILE, -t, -d, --pid-file, --console-socket)."""
import json
import os
import pty
import socket
import subprocess
import time

from conftest import default_config, new_id
from test_process import read_until, recv_fd


def running(oci, bundle, cid=None, **cfg):
    bundle.args("/probe", "sleep", "60")
    for k, v in cfg.items():
        bundle.config["linux"][k] = v
    cid = cid or new_id()
    oci.detach(bundle, cid)
    return cid, oci.state(cid)["pid"]


def ns_of(pid):
    return {n: os.stat(f"/proc/{pid}/ns/{n}").st_ino for n in ("pid", "net", "mnt", "ipc", "uts", "user", "cgroup",
                                                                "time")}


def test_exec_enters_every_namespace_and_the_cgroup(oci, bundle):
    bundle.config = default_config(userns=True)
    bundle.chown_rootfs(100000, 100000)
    cid, init = running(oci, bundle, cgroupsPath=f"/capsa-it-{os.getpid()}/{new_id()}")
    out = json.loads(oci("exec", cid, "/probe", "ns").stdout)
    assert out["ns"] == {**ns_of(init), "pid_for_children": ns_of(init)["pid"],
                         "time_for_children": ns_of(init)["time"]}
    assert out["pid"] > 1 and out["ppid"] == 0  # really inside the pid namespace, not its init
    cg = json.loads(oci("exec", cid, "/probe", "cgroup").stdout)["cgroups"]
    assert all(l.endswith(":/") for l in cg), cg  # in the container's cgroup, seen through its namespace
    ids = json.loads(oci("exec", cid, "/probe", "id").stdout)
    assert ids["uid"] == 0
    pids = json.loads(oci("ps", "--format", "json", cid).stdout)
    assert pids == [init]  # the exec'd process is gone and reaped
    oci("delete", "--force", cid)


def test_exec_exit_codes_and_errors(oci, bundle):
    cid, _ = running(oci, bundle)
    assert oci("exec", cid, "/probe", "exit", "7", check=False).returncode == 7
    p = oci("exec", cid, "nosuch", check=False)
    assert p.returncode != 0 and 'exec: "nosuch": executable file not found in $PATH' in p.stderr
    p = oci("exec", "nope", "/probe", "ns", check=False)
    assert p.returncode != 0 and "does not exist" in p.stderr
    p = oci("exec", cid, check=False)
    assert p.returncode != 0 and "command" in p.stderr
    oci("pause", cid)
    p = oci("exec", cid, "/probe", "ns", check=False)
    assert p.returncode != 0 and "cannot exec in a paused container" in p.stderr
    oci("resume", cid)
    oci("kill", cid, "KILL")
    for _ in range(100):
        if oci.state(cid)["status"] == "stopped":
            break
        time.sleep(0.02)
    p = oci("exec", cid, "/probe", "ns", check=False)
    assert p.returncode != 0 and "cannot exec in a stopped container" in p.stderr
    oci("delete", cid)


def test_exec_flags(oci, bundle):
    cid, _ = running(oci, bundle)
    out = json.loads(oci("exec", "-u", "1000:1001", "-g", "5", "-g", "6", cid, "/probe", "id").stdout)
    assert (out["uid"], out["gid"], sorted(out["groups"])) == (1000, 1001, [5, 6])
    env = json.loads(oci("exec", "-e", "FOO=bar", "-e", "X=1", cid, "/probe", "env").stdout)["env"]
    assert "FOO=bar" in env and "X=1" in env and "HOME=/root" in env  # the container's env too
    assert json.loads(oci("exec", "--cwd", "/tmp", cid, "/probe", "cwd").stdout)["cwd"] == "/tmp"
    bundle.process["noNewPrivileges"] = False
    caps = json.loads(oci("exec", "--cap", "CAP_SYS_TIME", cid, "/probe", "caps").stdout)
    assert int(caps["CapEff"], 16) & (1 << 25)
    assert json.loads(oci("exec", "--no-new-privs", cid, "/probe", "nnp").stdout)["no_new_privs"] == 1
    oci("delete", "--force", cid)


def test_exec_process_file_like_containerd(oci, bundle, workdir):
    bundle.process["capabilities"] = {k: ["CAP_KILL"] for k in ("bounding", "effective", "permitted")}
    bundle.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77}]}
    cid, _ = running(oci, bundle)
    proc = {"args": ["/probe", "try", "mkdir", "/tmp/x"], "cwd": "/", "env": ["PATH=/bin"],
            "user": {"uid": 0, "gid": 0}, "terminal": False,
            "capabilities": {k: ["CAP_KILL"] for k in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 77, "hard": 77}]}
    (workdir / "process.json").write_text(json.dumps(proc))
    pidfile = workdir / "exec.pid"
    r = json.loads(oci("exec", "--process", workdir / "process.json", "--pid-file", pidfile, cid).stdout)
    assert r["errno"] == 77  # the container's seccomp filter applies to exec'd processes
    assert int(pidfile.read_text()) > 0
    proc["args"] = ["/probe", "rlimits"]
    p = oci("exec", "--process", "-", cid, input=json.dumps(proc))
    assert json.loads(p.stdout)["RLIMIT_NOFILE"] == {"soft": 77, "hard": 77}
    proc["args"] = ["/probe", "caps"]
    p = oci("exec", "-p", "-", cid, input=json.dumps(proc))
    assert int(json.loads(p.stdout)["CapBnd"], 16) == 1 << 5
    (workdir / "bad.json").write_text('{"args": ["/x"], "cwd": 5}')
    p = oci("exec", "-p", workdir / "bad.json", cid, check=False)
    assert p.returncode != 0 and "process.cwd" in p.stderr and "bad.json" in p.stderr
    oci("delete", "--force", cid)


def test_exec_detached_with_pid_file(oci, bundle, workdir):
    cid, init = running(oci, bundle)
    pidfile = workdir / "d.pid"
    oci("exec", "-d", "--pid-file", pidfile, cid, "/probe", "sleep", "30",
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, capture_output=False)
    pid = int(pidfile.read_text())
    assert os.stat(f"/proc/{pid}/ns/pid").st_ino == os.stat(f"/proc/{init}/ns/pid").st_ino
    assert pid in json.loads(oci("ps", "--format", "json", cid).stdout)
    oci("delete", "--force", cid)


def test_exec_tty_foreground_is_proxied(oci, bundle):
    cid, _ = running(oci, bundle)
    pid, master = pty.fork()
    if pid == 0:
        os.execv(oci.cmd()[0], oci.cmd("exec", "-t", cid, "/bin/sh", "-c", "tty; read l; echo got:$l; exit 3"))
    out = read_until(master, b"/dev/pts/")
    os.write(master, b"hi\n")
    out += read_until(master, b"got:hi")
    _, status = os.waitpid(pid, 0)
    os.close(master)
    assert b"/dev/pts/" in out and b"got:hi" in out
    assert os.WEXITSTATUS(status) == 3
    oci("delete", "--force", cid)


def test_exec_console_socket(oci, bundle, workdir):
    cid, _ = running(oci, bundle)
    path = str(workdir / "exec-console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    oci("exec", "-t", "-d", "--console-socket", path, cid, "/bin/sh", "-c", "tty; echo console-ok; sleep 1",
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, capture_output=False)
    conn, _ = srv.accept()
    master = recv_fd(conn)
    conn.close()
    srv.close()
    out = read_until(master, b"console-ok")
    os.close(master)
    assert b"/dev/pts/" in out and b"console-ok" in out
    p = oci("exec", "-t", "-d", cid, "/bin/true", check=False)
    assert "cannot allocate tty if runc will detach without setting console socket" in p.stderr
    p = oci("exec", "--console-socket", path, cid, "/bin/true", check=False)
    assert "cannot use console socket if runc will not detach or allocate tty" in p.stderr
    oci("delete", "--force", cid)


def test_exec_into_a_chroot_container_sees_its_root(oci, bundle):
    bundle.args("/probe", "sleep", "60")
    cid = new_id()
    oci("run", "-d", "--no-pivot", "-b", bundle.write().path, cid, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, capture_output=False)
    names = json.loads(oci("exec", cid, "/probe", "ls", "/").stdout)["entries"]
    assert "probe" in names and "work" not in names
    oci("delete", "--force", cid)
