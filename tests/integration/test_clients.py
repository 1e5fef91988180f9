"""The real callers: podman (with conmon) and containerd (ctr with its runc shim) drive capsa-oci
for run, exec (-it too), stop, kill, rm, pause/unpause and top.  Each gets private storage and
state under a temporary directory, started and stopped here; nothing is left behind."""
import contextlib
import json
import os
import pty
import shutil
import signal
import subprocess
import time

import pytest

from conftest import OCI
from test_process import read_until

IMAGE = "localhost/capsa-test:latest"


def need(*tools):
    for t in tools:
        if shutil.which(t) is None:
            pytest.skip(f"{t} is not installed (apt-get install {t}); see .ci/packages-test.txt")


def umount_under(path):
    for line in reversed(open("/proc/self/mountinfo").read().splitlines()):
        mp = line.split()[4]
        if mp.startswith(str(path)):
            subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)


def kill_procs_mentioning(text):
    for p in os.listdir("/proc"):
        if p.isdigit():
            with contextlib.suppress(OSError):
                if text in open(f"/proc/{p}/cmdline").read():
                    os.kill(int(p), signal.SIGKILL)


def image_tar(rootfs_template, dest):
    subprocess.run(["tar", "-C", str(rootfs_template), "-cf", str(dest), "."], check=True)
    return dest


@pytest.fixture(scope="module")
def podman(rootfs_template, tmp_path_factory):
    need("podman", "conmon")
    w = tmp_path_factory.mktemp("podman")
    (w / "containers.conf").write_text(
        '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
        '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
    base = ["podman", "--root", str(w / "storage"), "--runroot", str(w / "run"), "--tmpdir", str(w / "tmp"),
            "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--storage-driver", "overlay",
            "--runtime", str(OCI)]
    env = dict(os.environ, CONTAINERS_CONF=str(w / "containers.conf"))

    def p(*args, check=True, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        r = subprocess.run(base + list(map(str, args)), env=env, timeout=120, **kw)
        if check and r.returncode != 0:
            raise AssertionError(f"podman {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}")
        return r

    p.cmd = lambda *a: base + list(map(str, a))
    p.env = env
    p("import", image_tar(rootfs_template, w / "rootfs.tar"), IMAGE)
    yield p
    p("rm", "-af", "-t", "0", check=False)
    p("system", "reset", "-f", check=False)
    kill_procs_mentioning(str(w))
    umount_under(w)
    for ctrl in os.listdir("/sys/fs/cgroup"):
        d = f"/sys/fs/cgroup/{ctrl}/libpod_parent"
        if os.path.isdir(d):
            subprocess.run(["find", d, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"], stderr=subprocess.DEVNULL)


def test_podman_run(podman):
    p = podman("run", "--rm", "--network", "none", IMAGE, "/probe", "hostname")
    assert "hostname" in json.loads(p.stdout)
    assert podman("run", "--rm", "--network", "none", IMAGE, "sh", "-c", "exit 9", check=False).returncode == 9
    p = podman("run", "--rm", "--network", "none", IMAGE, "nosuch", check=False)
    assert p.returncode == 127 and "executable file not found" in p.stderr, p.stderr


def test_podman_lifecycle(podman):
    podman("run", "-d", "--name", "life", "--network", "none", IMAGE, "sh", "-c",
           "trap 'exit 0' TERM; while :; do sleep 0.1; done")
    try:
        ns = json.loads(podman("exec", "life", "/probe", "ns").stdout)
        assert ns["pid"] > 1
        assert podman("exec", "life", "sh", "-c", "exit 4", check=False).returncode == 4
        top = podman("top", "life").stdout
        assert "sh -c" in top or "sleep" in top, top
        podman("pause", "life")
        assert podman("inspect", "life", "--format", "{{.State.Status}}").stdout.strip() == "paused"
        podman("unpause", "life")
        assert podman("inspect", "life", "--format", "{{.State.Status}}").stdout.strip() == "running"
        podman("stop", "-t", "5", "life")
        state = json.loads(podman("inspect", "life").stdout)[0]["State"]
        assert state["Status"] == "exited" and state["ExitCode"] == 0, state
        podman("start", "life")
        podman("kill", "-s", "KILL", "life")
        podman("wait", "life")
        assert json.loads(podman("inspect", "life").stdout)[0]["State"]["ExitCode"] == 137
    finally:
        podman("rm", "-f", "-t", "0", "life", check=False)
    assert podman("ps", "-a", "-q").stdout.strip() == ""


def test_podman_exec_it_through_a_pty(podman):
    podman("run", "-d", "--name", "tty", "--network", "none", IMAGE, "sleep", "60")
    try:
        pid, master = pty.fork()
        if pid == 0:
            os.execvpe("podman", podman.cmd("exec", "-it", "tty", "sh", "-c", "tty; read l; echo got:$l; exit 6"),
                       podman.env)
        out = read_until(master, b"/dev/pts/")
        os.write(master, b"abc\n")
        out += read_until(master, b"got:abc")
        _, status = os.waitpid(pid, 0)
        os.close(master)
        assert b"got:abc" in out and os.WEXITSTATUS(status) == 6, out
    finally:
        podman("rm", "-f", "-t", "0", "tty", check=False)


@pytest.fixture(scope="module")
def ctr(podman, tmp_path_factory):
    need("containerd", "ctr")
    w = tmp_path_factory.mktemp("containerd")
    (w / "config.toml").write_text(f"""version = 2
root = "{w}/root"
state = "{w}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{w}/containerd.sock"
[ttrpc]
  address = "{w}/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
""")
    log = open(w / "containerd.log", "w")
    daemon = subprocess.Popen(["containerd", "--config", str(w / "config.toml")], stdout=log, stderr=log)
    base = ["ctr", "--address", f"{w}/containerd.sock", "-n", "capsatest"]

    def c(*args, check=True, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        r = subprocess.run(base + list(map(str, args)), timeout=120, **kw)
        if check and r.returncode != 0:
            raise AssertionError(f"ctr {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}")
        return r

    c.cmd = lambda *a: base + list(map(str, a))
    for _ in range(50):
        if c("version", check=False).returncode == 0:
            break
        time.sleep(0.1)
    podman("save", "--format", "oci-archive", "-o", w / "img.tar", IMAGE)
    c("image", "import", w / "img.tar")
    yield c
    for t in c("task", "ls", "-q", check=False).stdout.split():
        c("task", "kill", "-s", "KILL", t, check=False)
        time.sleep(0.2)
        c("task", "delete", t, check=False)
    for t in c("container", "ls", "-q", check=False).stdout.split():
        c("container", "delete", t, check=False)
    daemon.terminate()
    daemon.wait(timeout=10)
    kill_procs_mentioning(str(w))
    umount_under(w)


def test_containerd_run(ctr):
    p = ctr("run", "--rm", "--runc-binary", OCI, IMAGE, "c-run", "/probe", "hostname")
    assert "hostname" in json.loads(p.stdout)
    p = ctr("run", "--rm", "--runc-binary", OCI, IMAGE, "c-exit", "sh", "-c", "exit 3", check=False)
    assert p.returncode == 3


def test_containerd_task_lifecycle(ctr):
    ctr("run", "-d", "--runc-binary", OCI, IMAGE, "c-life", "sleep", "60")
    try:
        ns = json.loads(ctr("task", "exec", "--exec-id", "e1", "c-life", "/probe", "ns").stdout)
        assert ns["pid"] > 1
        assert ctr("task", "exec", "--exec-id", "e2", "c-life", "sh", "-c", "exit 5", check=False).returncode == 5
        assert len(ctr("task", "ps", "c-life").stdout.splitlines()) == 2
        ctr("task", "pause", "c-life")
        assert "PAUSED" in ctr("task", "ls").stdout
        ctr("task", "resume", "c-life")
        assert "RUNNING" in ctr("task", "ls").stdout
        pid, master = pty.fork()
        if pid == 0:
            os.execvp("ctr", ctr.cmd("task", "exec", "-t", "--exec-id", "e3", "c-life", "sh", "-c", "tty; echo t-ok"))
        out = read_until(master, b"t-ok")
        os.waitpid(pid, 0)
        os.close(master)
        assert b"/dev/pts/" in out and b"t-ok" in out, out
        ctr("task", "kill", "-s", "KILL", "c-life")
        for _ in range(50):
            if "STOPPED" in ctr("task", "ls").stdout:
                break
            time.sleep(0.1)
        assert "STOPPED" in ctr("task", "ls").stdout
    finally:
        ctr("task", "delete", "c-life", check=False)
        ctr("container", "delete", "c-life", check=False)
    assert ctr("container", "ls", "-q").stdout.strip() == ""
