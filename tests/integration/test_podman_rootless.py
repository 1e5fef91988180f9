"""Rootless podman (issue 13, item 2): an ordinary user made here with subordinate id ranges runs
podman with its own storage (vfs) and `--runtime` set to capsa-oci, copied where that user can
reach it.  podman runs the runtime as uid 0 in its user namespace with XDG_RUNTIME_DIR set and no
--root: capsa-oci must take $XDG_RUNTIME_DIR/capsa-oci as runc does.  Each step runs with runc
first, so a failure that belongs to the machine shows as such.  The user, its ranges, its
processes and files go afterwards."""
import contextlib
import os
import pathlib
import pty
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import OCI
from test_process import read_until

USER = "capsa-podman-it"
IMAGE = "localhost/capsa-rootless:latest"
RUNC = "/usr/sbin/runc"


def need(*tools):
    for t in tools:
        if shutil.which(t) is None and not os.path.exists(t):
            pytest.skip(f"{t} is not installed")


def kill_user_procs(uid):
    """podman leaves a pause process holding its user namespace, and conmon: end them by pid."""
    for _ in range(3):
        found = False
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            with contextlib.suppress(OSError):
                st = os.stat(f"/proc/{p}")
                if st.st_uid == uid:
                    found = True
                    os.kill(int(p), signal.SIGKILL)
        if not found:
            return
        time.sleep(0.2)


def drop_ranges(user):
    for f in ("/etc/subuid", "/etc/subgid"):
        lines = open(f).read().splitlines(True)
        keep = [l for l in lines if not l.startswith(user + ":")]
        if keep != lines:
            with open(f, "w") as out:
                out.writelines(keep)


@pytest.fixture(scope="module")
def rootless(rootfs_template):
    need("podman", "conmon", "newuidmap", "runuser", RUNC)
    with contextlib.suppress(KeyError):
        pwd.getpwnam(USER)
        pytest.skip(f"user {USER} exists already (left by another run?)")
    top = pathlib.Path(tempfile.mkdtemp(prefix="capsa-podman-"))
    os.chmod(top, 0o755)
    home = top / "home"
    subprocess.run(["useradd", "--no-create-home", "--home-dir", str(home), "--shell", "/bin/sh", USER],
                   check=True)
    pw = pwd.getpwnam(USER)
    try:
        drop_ranges(USER)  # (useradd may add ranges of its own: ours are known not to clash)
        for f in ("/etc/subuid", "/etc/subgid"):
            with open(f, "a") as out:
                out.write(f"{USER}:500000:65536\n")
        home.mkdir()
        xdg = home / "xdg"
        xdg.mkdir(mode=0o700)
        (home / "containers.conf").write_text(
            '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
            '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
        subprocess.run(["tar", "-C", str(rootfs_template), "-cf", str(home / "rootfs.tar"), "."], check=True)
        bindir = top / "bin"  # the user must reach the runtime: a 0755 copy of the build's
        bindir.mkdir(mode=0o755)
        shutil.copy2(OCI, bindir / "capsa-oci")
        os.chmod(bindir / "capsa-oci", 0o755)
        subprocess.run(["chown", "-R", f"{pw.pw_uid}:{pw.pw_gid}", str(home)], check=True)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(home), "USER": USER, "LOGNAME": USER,
               "XDG_RUNTIME_DIR": str(xdg), "CONTAINERS_CONF": str(home / "containers.conf")}
        base = ["runuser", "-u", USER, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()),
                "podman", "--root", str(home / "storage"), "--runroot", str(home / "run"),
                "--tmpdir", str(home / "tmp"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
                "--events-backend", "file"]

        def p(*args, check=True, **kw):
            kw.setdefault("capture_output", True)
            kw.setdefault("text", True)
            r = subprocess.run(base + list(map(str, args)), timeout=120, cwd=str(home), **kw)
            if check and r.returncode != 0:
                raise AssertionError(f"podman {' '.join(map(str, args))} exited {r.returncode}: {r.stderr}")
            return r

        p.cmd = lambda *a: base + list(map(str, a))
        p.uid = pw.pw_uid
        p.runtimes = {"runc": RUNC, "capsa-oci": str(bindir / "capsa-oci")}
        p.home = home
        p("import", home / "rootfs.tar", IMAGE)
        yield p
        p("rm", "-af", "-t", "0", check=False)
        p("system", "reset", "-f", check=False)
    finally:
        kill_user_procs(pw.pw_uid)
        subprocess.run(["userdel", USER], check=False)
        drop_ranges(USER)
        shutil.rmtree(top, ignore_errors=True)


RUNTIMES = ["runc", "capsa-oci"]  # runc first: the machine's own failures show there


@pytest.mark.parametrize("rt", RUNTIMES)
def test_rootless_run(rootless, rt):
    r = rootless("run", "--rm", "--network", "none", "--runtime", rootless.runtimes[rt], IMAGE,
                 "sh", "-c", "id -u; cat /proc/self/uid_map; exit 3", check=False)
    assert r.returncode == 3, r.stderr
    lines = r.stdout.split("\n")
    assert lines[0] == "0"
    assert lines[1].split() == ["0", str(rootless.uid), "1"], r.stdout


@pytest.mark.parametrize("rt", RUNTIMES)
def test_rootless_exec(rootless, rt):
    name = f"ex-{rt}"
    rootless("run", "-d", "--name", name, "--network", "none", "--runtime", rootless.runtimes[rt], IMAGE,
             "sleep", "60")
    try:
        assert rootless("exec", name, "sh", "-c", "echo in-$HOSTNAME >/dev/null; echo ok").stdout == "ok\n"
        assert rootless("exec", name, "sh", "-c", "exit 5", check=False).returncode == 5
    finally:
        rootless("rm", "-f", "-t", "0", name, check=False)


@pytest.mark.parametrize("rt", RUNTIMES)
def test_rootless_run_it_through_a_pty(rootless, rt):
    pid, master = pty.fork()
    if pid == 0:
        cmd = rootless.cmd("run", "--rm", "-it", "--network", "none", "--runtime", rootless.runtimes[rt], IMAGE,
                           "sh", "-c", "tty; read l; echo got:$l; exit 6")
        os.execvp(cmd[0], cmd)
    try:
        out = read_until(master, b"/dev/pts/", timeout=60)
        os.write(master, b"abc\n")
        out += read_until(master, b"got:abc", timeout=30)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(master)
    assert b"got:abc" in out and os.WEXITSTATUS(status) == 6, out


@pytest.mark.parametrize("rt", RUNTIMES)
def test_rootless_userns_keep_id(rootless, rt):
    r = rootless("run", "--rm", "--network", "none", "--userns=keep-id", "--runtime", rootless.runtimes[rt],
                 IMAGE, "id", "-u")
    assert r.stdout.strip() == str(rootless.uid), r


def test_default_root_follows_runcs_xdg_rule(tmp_path):
    """runc's shouldHonorXDGRuntimeDir: uid 0 in a user namespace that is not the initial one,
    with XDG_RUNTIME_DIR set, keeps its state in $XDG_RUNTIME_DIR (unless USER=root); the host's
    root keeps /run/capsa-oci whatever XDG_RUNTIME_DIR says."""
    need("unshare")
    xdg = tmp_path / "xdg"
    xdg.mkdir()

    def root_of(*prefix, user):
        env = {"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(xdg), "USER": user}
        p = subprocess.run([*prefix, str(OCI), "--debug", "list"], env=env, capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 0, p.stderr
        return p.stderr.split("(root ", 1)[1].split(")", 1)[0]

    assert root_of("unshare", "-U", "-r", user=USER) == f"{xdg}/capsa-oci"
    assert root_of("unshare", "-U", "-r", user="root") == "/run/capsa-oci"
    assert root_of(user=USER) == "/run/capsa-oci"
