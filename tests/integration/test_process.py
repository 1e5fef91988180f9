"""The container process: args, env, cwd, user, umask, rlimits, oomScoreAdj, sysctl, no_new_privs,
fds (preserve-fds, LISTEN_FDS, nothing of the runtime's), terminals."""
import array
import json
import os
import pty
import select
import socket
import subprocess
import time

import pytest

from conftest import new_id, state_left


def test_args_env_cwd(oci, bundle):
    bundle.args("/probe", "args", "a b", "", "ü")
    argv = oci.run_json(bundle)["argv"]  # the probe escapes every byte >= 0x80 as \u00XX
    assert [a.encode("latin-1").decode() for a in argv] == ["/probe", "args", "a b", "", "ü"]
    bundle.process["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY="]
    bundle.args("/probe", "env")
    env = oci.run_json(bundle)["env"]
    assert "FOO=bar baz" in env and "EMPTY=" in env and "PATH=/bin" in env
    bundle.process["cwd"] = "/tmp"
    bundle.args("/probe", "cwd")
    assert oci.run_json(bundle)["cwd"] == "/tmp"


def test_cwd_is_created_when_missing(oci, bundle):
    bundle.config["root"]["readonly"] = False
    bundle.process["cwd"] = "/work/dir"
    bundle.args("/probe", "cwd")
    assert oci.run_json(bundle)["cwd"] == "/work/dir"


def test_executable_found_in_path(oci, bundle):
    bundle.process["env"] = ["PATH=/nothing:/bin"]
    bundle.args("hostname")
    p = oci("run", "-b", bundle.write().path, new_id())
    assert p.stdout.strip() == "capsa-test"


def test_missing_executable_says_runc_words(oci, bundle, workdir):
    bundle.args("no-such-program")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0
    assert 'exec: "no-such-program": executable file not found in $PATH' in p.stderr
    bundle.args("/no/such/file")
    p = oci("create", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0
    assert "/no/such/file" in p.stderr and "no such file or directory" in p.stderr
    assert not state_left(workdir / "state")


def test_user_groups_umask(oci, bundle):
    bundle.process["user"] = {"uid": 1234, "gid": 5678, "additionalGids": [11, 22], "umask": 0o027}
    bundle.args("/probe", "id")
    out = oci.run_json(bundle)
    assert (out["uid"], out["euid"], out["gid"], out["egid"]) == (1234, 1234, 5678, 5678)
    assert sorted(out["groups"]) == [11, 22]
    assert out["umask"] == 0o027


def test_default_umask_is_022(oci, bundle):
    bundle.args("/probe", "id")
    assert oci.run_json(bundle)["umask"] == 0o022


def test_rlimits(oci, bundle):
    bundle.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654},
                                 {"type": "RLIMIT_NPROC", "soft": 100, "hard": 200},
                                 {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
    bundle.args("/probe", "rlimits")
    out = oci.run_json(bundle)
    assert out["RLIMIT_NOFILE"] == {"soft": 321, "hard": 654}
    assert out["RLIMIT_NPROC"] == {"soft": 100, "hard": 200}
    assert out["RLIMIT_CORE"] == {"soft": 0, "hard": 0}


def test_rlimit_above_the_hard_limit_is_a_clear_error(oci, bundle):
    bundle.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 10 ** 7, "hard": 10 ** 7}]
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0
    assert "rlimits" in p.stderr and "operation not permitted" in p.stderr


def test_oom_score_adj(oci, bundle):
    bundle.process["oomScoreAdj"] = 500
    bundle.args("/probe", "oom")
    assert oci.run_json(bundle)["oom_score_adj"] == 500


def test_sysctl(oci, bundle):
    # with /proc/sys among the read-only paths, as every real config has it
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789"}
    assert "/proc/sys" in bundle.config["linux"]["readonlyPaths"]
    bundle.args("/bin/cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shmmax")
    p = oci("run", "-b", bundle.write().path, new_id())
    assert p.stdout.split() == ["1", "123456789"]
    # the host's values are untouched (own net and ipc namespaces)
    assert open("/proc/sys/kernel/shmmax").read().strip() != "123456789"


def test_no_new_privileges(oci, bundle):
    bundle.args("/probe", "nnp")
    assert oci.run_json(bundle)["no_new_privs"] == 1
    bundle.process["noNewPrivileges"] = False
    assert oci.run_json(bundle)["no_new_privs"] == 0


def test_no_runtime_fd_reaches_the_container(oci, bundle):
    bundle.args("/probe", "fds")
    fds = oci.run_json(bundle)["fds"]
    assert sorted(int(fd) for fd in fds) == [0, 1, 2], fds


def test_preserve_fds_and_listen_fds(oci, bundle, workdir):
    f1 = open(workdir / "one", "w")
    f2 = open(workdir / "two", "w")
    bundle.args("/probe", "fds")
    bundle.write()
    env = dict(os.environ, LISTEN_FDS="1")
    p = subprocess.run(oci.cmd("run", "--preserve-fds", "1", "-b", bundle.path, new_id()),
                       close_fds=False, capture_output=True, text=True, env=env,
                       preexec_fn=lambda: (os.dup2(f1.fileno(), 3), os.dup2(f2.fileno(), 4)))
    assert p.returncode == 0, p.stderr
    fds = json.loads(p.stdout)["fds"]
    # LISTEN_FDS=1 passes fd 3, --preserve-fds 1 one more: fd 4
    assert fds["3"].endswith("/one") and fds["4"].endswith("/two"), fds
    bundle.args("/probe", "env")
    p = subprocess.run(oci.cmd("run", "-b", bundle.write().path, new_id()), close_fds=False,
                       capture_output=True, text=True, env=env, preexec_fn=lambda: os.dup2(f1.fileno(), 3))
    env_in = json.loads(p.stdout)["env"]
    assert "LISTEN_FDS=1" in env_in and "LISTEN_PID=1" in env_in
    f1.close()
    f2.close()


def recv_fd(conn):
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    return fds[0]


def read_until(fd, needle, timeout=10):
    buf = b""
    deadline = time.time() + timeout
    while needle not in buf and time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    return buf


def test_console_socket_receives_the_pty_master(oci, bundle, workdir):
    sock_path = str(workdir / "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    bundle.process["terminal"] = True
    bundle.process["consoleSize"] = {"height": 33, "width": 111}
    bundle.args("/bin/sh", "-c", "tty; stty size; echo done")
    cid = new_id()
    oci("create", "-b", bundle.write().path, "--console-socket", sock_path, cid)
    conn, _ = srv.accept()
    master = recv_fd(conn)
    conn.close()
    srv.close()
    oci("start", cid)
    out = read_until(master, b"done")
    os.close(master)
    assert b"/dev/pts/0" in out
    assert b"33 111" in out
    for _ in range(100):
        if oci.state(cid)["status"] == "stopped":
            break
        time.sleep(0.05)
    oci("delete", "--force", cid)


def test_terminal_in_the_foreground_is_proxied(oci, bundle):
    bundle.process["terminal"] = True
    bundle.args("/bin/sh", "-c", "tty; read line; echo got:$line; exit 5")
    pid, master = pty.fork()
    if pid == 0:
        os.execv(oci.cmd()[0], oci.cmd("run", "-b", bundle.write().path, new_id()))
    out = read_until(master, b"/dev/pts/")
    os.write(master, b"hello\n")
    out += read_until(master, b"got:hello")
    _, status = os.waitpid(pid, 0)
    os.close(master)
    assert b"/dev/pts/0" in out
    assert b"got:hello" in out
    assert os.WEXITSTATUS(status) == 5


def test_terminal_flag_consistency_errors(oci, bundle, workdir):
    bundle.process["terminal"] = True
    p = oci("run", "-d", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0
    assert "cannot allocate tty if runc will detach without setting console socket" in p.stderr
    bundle.process["terminal"] = False
    p = oci("create", "-b", bundle.write().path, "--console-socket", workdir / "x.sock", new_id(), check=False)
    assert p.returncode != 0
    assert "cannot use console socket if runc will not detach or allocate tty" in p.stderr


def test_session_keyring(oci, bundle):
    bundle.args("/probe", "keyring")
    a = oci.run_json(bundle)["session_keyring"]
    b = oci.run_json(bundle)["session_keyring"]
    assert a != b  # each container joins a keyring of its own
    p = oci("run", "--no-new-keyring", "-b", bundle.write().path, new_id())
    c = json.loads(p.stdout)["session_keyring"]
    p = oci("run", "--no-new-keyring", "-b", bundle.write().path, new_id())
    assert json.loads(p.stdout)["session_keyring"] == c  # the caller's
    assert c not in (a, b)


def test_terminal_window_size_follows_the_callers(oci, bundle):
    """The proxied pty starts with the caller's size and follows it on SIGWINCH; the caller's
    terminal modes are restored afterwards."""
    import fcntl
    import struct
    import termios
    bundle.process["terminal"] = True
    bundle.args("/bin/sh", "-c", "stty size; read l; stty size; echo bye")
    pid, master = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        os.execv(oci.cmd()[0], oci.cmd("run", "-b", bundle.write().path, new_id()))
    out = read_until(master, b"30 100")
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    time.sleep(0.2)  # the kernel sends SIGWINCH to the runtime, the foreground of that terminal
    os.write(master, b"\n")
    out += read_until(master, b"bye")
    _, status = os.waitpid(pid, 0)
    os.close(master)
    assert b"30 100" in out and b"40 120" in out, out
    assert os.WEXITSTATUS(status) == 0
