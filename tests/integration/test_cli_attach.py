"""Detached containers' stdio through their monitor (src/monitor): `run -dt` gets a pty held by the
monitor, `capsa attach` streams output, sends input and the window size and detaches on the detach
keys, `start -a` attaches before the container runs and exits with its code, several clients get
the same output, and the monitor stays small.  Terminals are real ptys (os.openpty)."""
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import termios
import time

from test_cli_run import CAPSA, capsa, wait_for  # noqa: F401  (the fixture)


def _winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Term:
    """`capsa ARGS` on the slave side of a fresh pty, as its controlling terminal (so that a
    resize reaches it as SIGWINCH); the test types and reads on the master side."""

    def __init__(self, capsa, *args, rows=33, cols=111):
        self.master, slave = os.openpty()
        _winsize(slave, rows, cols)

        def ctty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen([str(CAPSA), "--root", str(capsa.root), *args], stdin=slave, stdout=slave,
                                     stderr=slave, start_new_session=True, preexec_fn=ctty)
        os.close(slave)
        self.out = b""

    def type(self, data):
        os.write(self.master, data)

    def expect(self, *needles, timeout=10):
        deadline = time.time() + timeout
        while not all(n in self.out for n in needles):
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(f"never saw {needles} in {self.out!r}")
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    self.out += os.read(self.master, 4096)
                except OSError:  # EIO: the attach is gone
                    raise AssertionError(f"never saw {needles} in {self.out!r} (attach exited)")
        return self.out

    def resize(self, rows, cols):
        _winsize(self.master, rows, cols)

    def wait(self, timeout=10):
        rc = self.proc.wait(timeout=timeout)
        while select.select([self.master], [], [], 0.2)[0]:  # what it wrote last
            try:
                data = os.read(self.master, 4096)
            except OSError:
                break
            if not data:
                break
            self.out += data
        os.close(self.master)
        return rc


def test_detached_tty_and_its_log(capsa):
    """-dt: the container's stdio is a terminal (80x24 until someone attaches); logs still work."""
    capsa("run", "-dt", "--name", "t", "busybox", "sh", "-c",
          "tty; test -t 0 && test -t 1 && echo is-a-tty; stty size; echo done")
    assert capsa("wait", "t").stdout.strip() == "0"
    out = capsa("logs", "t").stdout
    lines = [l.rstrip("\r") for l in out.splitlines()]
    assert lines[0].startswith("/dev/pts/") and "is-a-tty" in lines and "24 80" in lines and "done" in lines, out
    capsa("rm", "t")
    capsa("run", "-d", "--name", "n", "busybox", "sh", "-c", "test -t 1 || echo not-a-tty")
    capsa("wait", "n")
    assert capsa("logs", "n").stdout == "not-a-tty\n"
    capsa("rm", "n")


def test_attach_input_window_size_and_detach(capsa):
    capsa("run", "-dit", "--name", "sh", "busybox", "sh")
    t = Term(capsa, "attach", "sh", rows=33, cols=111)
    time.sleep(0.3)
    t.type(b"stty size; echo hello-$((40+2))\n")
    t.expect(b"33 111", b"hello-42")
    t.resize(40, 120)  # SIGWINCH to the attach, which tells the monitor
    time.sleep(0.3)
    t.type(b"stty size\n")
    t.expect(b"40 120")
    t.type(b"\x10\x11")  # ctrl-p ctrl-q
    assert t.wait() == 0
    assert b"read escape sequence" in t.out
    assert capsa.state("sh")["Status"] == "running"
    # again, with other detach keys; ctrl-p alone now reaches the shell
    t = Term(capsa, "attach", "--detach-keys", "ctrl-a,x", "sh")
    time.sleep(0.3)
    t.type(b"echo again-$((1+1))\n")
    t.expect(b"again-2")
    t.type(b"\x01x")
    assert t.wait() == 0
    assert capsa.state("sh")["Status"] == "running"
    # exit from inside: attach returns the shell's code
    t = Term(capsa, "attach", "sh")
    time.sleep(0.3)
    t.type(b"exit 7\n")
    assert t.wait() == 7
    assert capsa.state("sh")["ExitCode"] == 7
    assert "hello-42" in capsa("logs", "sh").stdout
    capsa("rm", "sh")


def test_attach_streams_output_to_several_clients(capsa):
    capsa("run", "-d", "--name", "tick", "busybox", "sh", "-c",
          "sleep 1; i=0; while [ $i -lt 8 ]; do echo tick $i; echo err $i >&2; i=$((i+1)); sleep 0.1; done; exit 5")
    a = capsa.popen("attach", "--no-stdin", "tick", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    stdin=subprocess.DEVNULL)
    b = capsa.popen("attach", "tick", stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    outs = [p.communicate(timeout=20) for p in (a, b)]
    for p, (out, err) in zip((a, b), outs):
        assert p.returncode == 5
        assert b"tick 7\n" in out and b"err" not in out, out
        assert b"err 7\n" in err and b"tick" not in err, err
    capsa("rm", "tick")
    p = capsa("attach", "tick", check=False)
    assert p.returncode == 125 and "no such container" in p.stderr


def test_attach_passes_signals_on(capsa):
    """docker's --sig-proxy (default true, without -t): what attach gets, the container gets."""
    capsa("run", "-d", "--network", "none", "--name", "trap", "busybox", "sh", "-c",
          "trap 'echo got-usr1' USR1; trap 'echo got-term; exit 9' TERM; echo ready; "
          "while true; do sleep 0.1; done")
    wait_for(lambda: "ready" in capsa("logs", "trap").stdout)
    a = capsa.popen("attach", "--no-stdin", "trap", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    stdin=subprocess.DEVNULL)
    time.sleep(0.5)
    a.send_signal(signal.SIGUSR1)
    wait_for(lambda: "got-usr1" in capsa("logs", "trap").stdout)
    a.send_signal(signal.SIGTERM)
    out, _ = a.communicate(timeout=20)
    assert a.returncode == 9 and b"got-term" in out, out
    # --sig-proxy=false: a signal ends the attach, the container runs on
    capsa("start", "trap")
    wait_for(lambda: capsa.state("trap")["Status"] == "running")
    b = capsa.popen("attach", "--no-stdin", "--sig-proxy=false", "trap", stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    time.sleep(0.5)
    b.send_signal(signal.SIGTERM)
    b.communicate(timeout=20)
    assert capsa.state("trap")["Status"] == "running"
    capsa("rm", "-f", "trap")


def test_attach_to_a_stopped_container_fails(capsa):
    capsa("run", "-d", "--name", "done", "busybox", "true")
    capsa("wait", "done")
    p = capsa("attach", "done", check=False)
    assert p.returncode == 125 and "start -a" in p.stderr, p.stderr
    capsa("rm", "done")


def test_start_attach_exit_code_and_stdin(capsa):
    capsa("create", "--name", "s", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    p = capsa("start", "-a", "s", check=False)
    assert (p.returncode, p.stdout, p.stderr) == (3, "out\n", "err\n")
    # a stopped container: started again (a new monitor), attached before it runs
    p = capsa("start", "-a", "s", check=False)
    assert (p.returncode, p.stdout, p.stderr) == (3, "out\n", "err\n")
    assert capsa("logs", "s").stdout == "out\nout\n"
    capsa("rm", "s")
    capsa("create", "-i", "--name", "rd", "busybox", "sh", "-c", "read x; echo got-$x")
    p = capsa("start", "-a", "-i", "rd", input="abc\n", stdin=None, check=False)
    assert (p.returncode, p.stdout) == (0, "got-abc\n"), p.stderr
    capsa("rm", "rd")
    # with a pty
    capsa("create", "-it", "--name", "pt", "busybox", "sh", "-c", "read x; echo got-$x; stty size; exit 4")
    t = Term(capsa, "start", "-a", "-i", "pt", rows=21, cols=77)
    time.sleep(0.3)
    t.type(b"xyz\r")
    t.expect(b"got-xyz", b"21 77")
    assert t.wait() == 4
    capsa("rm", "pt")


def _rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def test_monitor_is_small(capsa):
    """The monitor links only libc, statically: no shared library (jansson, curl, the capsa
    library...) is mapped.  Against musl (the default where musl-gcc is, as the build's packages
    have it: meson_options.txt, monitor_libc) its RSS is bound by 300 KiB (~170 measured); a glibc
    build (monitor_libc=glibc) by 1.5 MiB (~0.9 MiB), still under conmon's ~1.9 MiB (bench/cli.py)."""
    capsa("run", "-dit", "--name", "m", "busybox", "sh", "-c", "yes | head -c 300000; sleep 100")
    cid = capsa.inspect("m")["Id"]
    run = json.loads((capsa.root / "containers" / cid / "run.json").read_text())
    pid = run["MonitorPid"]
    with open(f"/proc/{pid}/comm") as f:
        assert f.read().strip() == "capsa-monitor"
    assert os.readlink(f"/proc/{pid}/exe").endswith("/capsa-monitor")
    wait_for(lambda: len(capsa("logs", "m").stdout) >= 300000)
    with open(f"/proc/{pid}/maps") as f:
        libs = {l.split()[-1] for l in f if ".so" in l}
    assert not libs, libs
    rss = _rss_kib(pid)
    print(f"capsa-monitor VmRSS {rss} KiB")
    glibc = b"Fatal glibc error" in CAPSA.with_name("capsa-monitor").read_bytes()
    assert rss < (1536 if glibc else 300), rss
    capsa("rm", "-f", "m")
