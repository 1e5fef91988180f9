"""The hijacked streams of capsa's Docker API service (src/service/hijack.c, api_attach.c,
api_exec.c), driven by the real clients: the docker 20.10 CLI (DOCKER_HOST=unix://SOCK) and the
python docker SDK.  attach (docker attach, docker start -a / -ai, the detach keys in a pty), exec
(output and exit code, stderr apart, stdin piped, -it in a pty with its size, -d), and the raw API
(200 without Upgrade, docker's frames, the errors).

One service per module on its own --root (service_fixtures.py); containers are made with the capsa
CLI on that store."""
import fcntl
import json
import os
import select
import socket
import struct
import subprocess
import termios
import time

import pytest

from service_fixtures import DOCKER, needs_docker, needs_service, service_running
from test_cli_run import wait_for

pytestmark = [needs_service, needs_docker]


@pytest.fixture(scope="module")
def svc():
    with service_running() as s:
        s.capsa("run", "-d", "--name", "box", "busybox", "sleep", "1000")
        yield s


@pytest.fixture
def cli(svc):
    """The docker CLI's view of the service: what it exits with is the test's to check."""
    return svc.unchecked()


class Term:
    """A docker CLI command on the slave of a fresh pty (its controlling terminal)."""

    def __init__(self, svc, *args, rows=33, cols=111):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen([str(DOCKER), *args], stdin=slave, stdout=slave, stderr=slave, env=svc.env(),
                                     start_new_session=True,
                                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.out = b""

    def type(self, data):
        os.write(self.master, data)

    def expect(self, needle, timeout=10):
        deadline = time.time() + timeout
        while needle not in self.out:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(f"never saw {needle!r} in {self.out!r}")
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.out += os.read(self.master, 4096)
                except OSError:
                    raise AssertionError(f"never saw {needle!r} in {self.out!r} (the client exited)")

    def resize(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def close(self, timeout=10):
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self.master)


# ---- exec through the docker CLI -------------------------------------------------------------

def test_exec_output_exit_code_and_stderr(cli):
    p = cli.docker("exec", "box", "echo", "hi")
    assert (p.returncode, p.stdout, p.stderr) == (0, "hi\n", "")
    assert cli.docker("exec", "box", "sh", "-c", "exit 3").returncode == 3
    p = cli.docker("exec", "box", "sh", "-c", "echo e >&2; echo o")
    assert (p.returncode, p.stdout, p.stderr) == (0, "o\n", "e\n")
    p = cli.docker("exec", "-u", "nobody", "-w", "/tmp", "-e", "A=b", "box", "sh", "-c", 'id -u; pwd; echo "$A"')
    assert p.stdout == "65534\n/tmp\nb\n", p.stderr
    p = cli.docker("exec", "box", "/no/such")
    assert p.returncode == 127 and "no such file" in p.stderr, p


def test_exec_stdin_piped(cli):
    p = cli.docker("exec", "-i", "box", "cat", input="piped in\nand more\n")
    assert (p.returncode, p.stdout) == (0, "piped in\nand more\n"), p.stderr
    big = "x" * 300000 + "\n"  # more than the pipes hold: input and output flow at once
    p = cli.docker("exec", "-i", "box", "cat", input=big)
    assert p.returncode == 0 and p.stdout == big


def shell_in_a_pty(t):
    """A shell on Term t: its terminal has t's size (33x111) and follows a resize; `exit 4` ends it,
    and the docker CLI exits with that code."""
    t.expect(b"# ")
    t.type(b"stty size; tty; echo $((6*7))\r")
    t.expect(b"42")
    assert b"33 111" in t.out and b"/dev/pts/" in t.out
    assert b"\r\r\n" not in t.out  # one terminal's worth of newline translation
    t.resize(40, 100)
    time.sleep(0.3)
    t.type(b"stty size\r")
    t.expect(b"40 100")
    t.type(b"exit 4\r")
    assert t.close() == 4


def test_exec_tty_in_a_pty(cli):
    shell_in_a_pty(Term(cli, "exec", "-it", "box", "sh"))


def test_exec_detached(cli):
    p = cli.docker("exec", "-d", "box", "sh", "-c", "echo done > /tmp/detached")
    assert (p.returncode, p.stdout) == (0, "")
    wait_for(lambda: cli.docker("exec", "box", "cat", "/tmp/detached").stdout == "done\n")


# ---- attach through the docker CLI -----------------------------------------------------------

def test_start_attach_exit_code_stderr_and_stdin(cli):
    cli.capsa("create", "--name", "once", "busybox", "sh", "-c", "echo hello; echo oops >&2; exit 5")
    p = cli.docker("start", "-a", "once")
    assert (p.returncode, p.stdout, p.stderr) == (5, "hello\n", "oops\n")
    cli.capsa("create", "-i", "--name", "reader", "busybox", "sh", "-c", 'read x; echo "got $x"')
    p = cli.docker("start", "-ai", "reader", input="line\n")
    assert (p.returncode, p.stdout) == (0, "got line\n"), p.stderr
    cli.capsa("rm", "once", "reader")


def test_start_attach_stdin_once(cli):
    """docker's StdinOnce (what `docker run -i` and `create -i` set): the client's end of input is
    the container's, so `echo x | docker run -i busybox cat` ends."""
    cid = cli.capsa("create", "-i", "--name", "once-in", "busybox", "cat").stdout.strip()
    meta = cli.root / "containers" / cid / "container.json"
    j = json.loads(meta.read_text())
    if not j["Config"].get("StdinOnce"):  # (capsa create -i does not record it: docker run -i's does)
        j["Config"]["StdinOnce"] = True
        meta.write_text(json.dumps(j))
    p = cli.docker("start", "-ai", "once-in", input="through cat\n", timeout=20)
    assert (p.returncode, p.stdout) == (0, "through cat\n"), p.stderr
    cli.capsa("rm", "once-in")


def test_attach_tty_and_detach_keys(cli):
    cli.capsa("run", "-dit", "--name", "shell", "busybox", "sh")
    t = Term(cli, "attach", "shell")
    time.sleep(0.5)
    t.type(b"stty size; echo $((6*7))\r")
    t.expect(b"42")
    assert b"33 111" in t.out  # the CLI's resize, through the monitor
    t.type(b"\x10\x11")  # ctrl-p ctrl-q
    t.close()
    assert cli.capsa("inspect", "-f", "{{.State.Running}}", "shell").stdout.strip() == "true"
    cli.capsa("rm", "-f", "shell")


def test_attach_follows_output_until_exit(cli):
    cli.capsa("run", "-d", "--name", "ticker", "busybox", "sh", "-c", "sleep 0.5; echo one; echo two >&2; exit 6")
    p = cli.docker("attach", "ticker")
    assert (p.returncode, p.stdout, p.stderr) == (6, "one\n", "two\n")
    cli.capsa("rm", "ticker")


# ---- the python SDK --------------------------------------------------------------------------

def test_sdk_exec(svc):
    import docker
    c = docker.DockerClient(base_url=f"unix://{svc.sock}", version="1.41")
    api = c.api
    eid = api.exec_create("box", ["sh", "-c", "echo out; echo err >&2; exit 2"])["Id"]
    assert api.exec_start(eid) == b"out\nerr\n"
    info = api.exec_inspect(eid)
    assert (info["ExitCode"], info["Running"], info["ProcessConfig"]["entrypoint"]) == (2, False, "sh")
    eid = api.exec_create("box", ["sh", "-c", "echo out; echo err >&2"])["Id"]
    assert api.exec_start(eid, demux=True) == (b"out\n", b"err\n")
    eid = api.exec_create("box", ["sh", "-c", "echo a; sleep 0.2; echo b"], tty=True)["Id"]
    assert api.exec_start(eid, tty=True) == b"a\r\nb\r\n"
    box = c.containers.get("box")
    assert tuple(box.exec_run(["echo", "hi"])) == (0, b"hi\n")
    assert tuple(box.exec_run(["sh", "-c", "echo o; echo e >&2; exit 1"], demux=True)) == (1, (b"o\n", b"e\n"))
    c.close()


# ---- the raw API -----------------------------------------------------------------------------

def _raw_stream(svc, path, body=None, upgrade=True):
    """The whole answer of a hijacking request, read until the service closes it."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(svc.sock))
    data = json.dumps(body or {}).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    if upgrade:
        head += "Connection: Upgrade\r\nUpgrade: tcp\r\n"
    s.sendall(head.encode() + b"\r\n" + data)
    s.settimeout(20)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.split(b"\r\n\r\n", 1)


def test_raw_exec_frames_and_old_clients(svc):
    status, body = svc.http("POST", "/v1.41/containers/box/exec",
                            {"Cmd": ["sh", "-c", "echo hi; echo err >&2"], "AttachStdout": True, "AttachStderr": True})
    assert status == 201
    eid = json.loads(body)["Id"]
    assert len(eid) == 64
    head, stream = _raw_stream(svc, f"/v1.41/exec/{eid}/start", upgrade=False)
    assert head.startswith(b"HTTP/1.0 200") and b"application/vnd.docker.raw-stream" in head
    assert stream == b"\x01\0\0\0\0\0\0\x03hi\n\x02\0\0\0\0\0\0\x04err\n"
    status, body = svc.http("POST", f"/v1.41/exec/{eid}/start", {})
    assert status == 409
    status, body = svc.http("POST", "/v1.41/containers/box/exec", {"Cmd": ["cat"], "AttachStdout": True})
    eid = json.loads(body)["Id"]
    head, stream = _raw_stream(svc, f"/v1.41/exec/{eid}/start")
    assert head.startswith(b"HTTP/1.1 101") and b"Upgrade: tcp" in head and stream == b""


def test_raw_errors(svc):
    assert svc.http("GET", "/v1.41/exec/" + "0" * 64 + "/json")[0] == 404
    assert svc.http("POST", "/v1.41/exec/" + "0" * 64 + "/start", {})[0] == 404
    assert svc.http("POST", "/v1.41/containers/nosuch/exec", {"Cmd": ["true"]})[0] == 404
    assert svc.http("POST", "/v1.41/containers/box/exec", {"Cmd": []})[0] == 400
    svc.capsa("create", "--name", "idle", "busybox", "true")
    status, body = svc.http("POST", "/v1.41/containers/idle/exec", {"Cmd": ["true"]})
    assert status == 409 and b"is not running" in body
    # (a created one's resize is taken: its monitor holds its terminal from creation, and the docker
    # CLI resizes right after start, before the record may say running; dockerd answers 409)
    assert svc.http("POST", "/v1.41/containers/idle/resize?h=10&w=20")[0] == 200
    assert svc.http("POST", "/v1.41/containers/box/resize?h=10&w=20")[0] == 200
    assert svc.http("POST", "/v1.41/containers/box/resize?h=x")[0] == 400
    svc.capsa("rm", "idle")


def test_raw_attach_detach_keys(svc):
    """A client that is not the docker CLI: the service catches the detach keys itself."""
    svc.capsa("run", "-di", "--name", "catter", "busybox", "cat")
    s = socket.socket(socket.AF_UNIX)
    s.connect(str(svc.sock))
    s.sendall(b"POST /v1.41/containers/catter/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-x HTTP/1.1\r\n"
              b"Host: x\r\nContent-Length: 0\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
    s.settimeout(10)
    out = b""
    while b"\r\n\r\n" not in out:
        out += s.recv(4096)
    s.sendall(b"ping\n")
    while b"ping\n" not in out:
        out += s.recv(4096)
    assert b"\x01\0\0\0\0\0\0\x05ping\n" in out
    s.sendall(b"\x18")
    while s.recv(4096):
        pass
    s.close()
    assert svc.capsa("inspect", "-f", "{{.State.Running}}", "catter").stdout.strip() == "true"
    svc.capsa("rm", "-f", "catter")


def test_run_it_in_a_pty(cli):
    """docker run -it: the container's terminal is this pty's size, follows its resizes, and the
    exit code comes back; --rm leaves nothing."""
    before = cli.docker("ps", "-a", "--format", "{{.Names}}").stdout.split()
    shell_in_a_pty(Term(cli, "run", "-it", "--rm", "--network", "none", "busybox", "sh"))
    wait_for(lambda: cli.docker("ps", "-a", "--format", "{{.Names}}").stdout.split() == before)
