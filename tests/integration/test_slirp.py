"""--network slirp4netns: user-mode networking (src/lib/net/slirp.c, src/engine/ctr_slirp.c), with real
traffic inside this machine: the container's tap0, the host's loopback through 10.0.2.2 (only when
allowed), published TCP and UDP ports, and slirp4netns's lifetime (gone after stop, rm, exit with
--rm, a killed monitor, and `system prune` for a stray one).  The rootless case (a network
namespace of an unprivileged user's user namespace) drives the library through tests/net/slirpctl
as user nobody."""
import contextlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import BUILD, PROBE
from test_cli_run import capsa, wait_for  # noqa: F401  (the fixture)

SLIRP = shutil.which("slirp4netns")
SLIRPCTL = BUILD / "tests" / "net" / "slirpctl"

pytestmark = pytest.mark.skipif(SLIRP is None, reason="slirp4netns is not installed (apt-get install slirp4netns)")


def _slirps(prefix):
    """pids of live slirp4netns processes that capsa started for a state dir under prefix."""
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{p}/comm") as f:
                if f.read().strip() != "slirp4netns":
                    continue
            with open(f"/proc/{p}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    continue
            with open(f"/proc/{p}/environ", "rb") as f:
                env = f.read().split(b"\0")
            if any(e.startswith(f"CAPSA_SLIRP_DIR={prefix}".encode()) for e in env):
                found.append(int(p))
    return found


def _gone(root):
    wait_for(lambda: not _slirps(root), timeout=5)
    with open("/proc/self/mountinfo") as f:
        assert not [l for l in f if str(root) in l and "netns" in l]


class _HostServer:
    """A TCP server on the host's 127.0.0.1 that greets every connection."""

    def __init__(self):
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen()
        self.port = self.s.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            self.accepted += 1
            c.sendall(b"hello-from-the-host\n")
            c.close()

    def close(self):
        self.s.close()


def _free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _http_get(port, path="/"):
    for _ in range(50):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
                s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
                if data:
                    return data.decode(errors="replace")
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"nothing answered on 127.0.0.1:{port}")


def test_slirp_tap_dns_and_host_loopback(capsa):
    """tap0 has 10.0.2.100/24 and a default route via 10.0.2.2, DNS is slirp's 10.0.2.3; the host's
    127.0.0.1 is reachable at 10.0.2.2 only with allow_host_loopback=true."""
    srv = _HostServer()
    try:
        p = capsa("run", "--rm", "--network", "slirp4netns", "busybox", "sh", "-c",
                  "ip -4 addr show tap0; ip route; cat /etc/resolv.conf; cat /etc/hosts; "
                  f"nc -w 3 10.0.2.2 {srv.port} </dev/null; echo nc=$?")
        out = p.stdout
        assert "inet 10.0.2.100/24" in out and "default via 10.0.2.2 dev tap0" in out, out
        assert "nameserver 10.0.2.3" in out and "10.0.2.100\t" in out, out
        assert "hello-from-the-host" not in out and srv.accepted == 0, out + p.stderr
        _gone(capsa.root)

        p = capsa("run", "--rm", "--network", "slirp4netns:allow_host_loopback=true,mtu=1500", "busybox", "sh",
                  "-c", f"nc -w 3 10.0.2.2 {srv.port} </dev/null; ip link show tap0; cat /etc/hosts")
        assert "hello-from-the-host" in p.stdout and srv.accepted == 1, p.stdout + p.stderr
        assert "mtu 1500" in p.stdout and "10.0.2.2\thost.containers.internal" in p.stdout, p.stdout
        _gone(capsa.root)

        p = capsa("run", "--rm", "--network", "slirp4netns:cidr=10.42.0.0/24", "busybox", "sh", "-c",
                  "ip -4 addr show tap0; cat /etc/resolv.conf")
        assert "inet 10.42.0.100/24" in p.stdout and "nameserver 10.42.0.3" in p.stdout, p.stdout
        _gone(capsa.root)
    finally:
        srv.close()


def test_slirp_dns_flags_and_add_host(capsa):
    """--dns, --dns-search, --dns-option and --add-host (host-gateway: slirp4netns's gateway) reach the
    container's resolv.conf and hosts on slirp4netns as on a bridge; without them slirp's forwarder."""
    p = capsa("run", "--rm", "--network", "slirp4netns", "--dns", "192.0.2.53", "--dns", "192.0.2.54",
              "--dns-search", "a.example", "--dns-search", "b.example", "--dns-option", "ndots:2",
              "--add-host", "db:192.0.2.9", "--add-host", "gw:host-gateway", "busybox", "sh", "-c",
              "cat /etc/resolv.conf; echo ---; cat /etc/hosts")
    resolv, hosts = p.stdout.split("---\n")
    assert resolv.splitlines()[:4] == ["nameserver 192.0.2.53", "nameserver 192.0.2.54",
                                       "search a.example b.example", "options ndots:2"], resolv
    assert "10.0.2.3" not in resolv and resolv.count("search") == 1, resolv
    assert "192.0.2.9\tdb\n" in hosts and "10.0.2.2\tgw\n" in hosts, hosts
    p = capsa("run", "--rm", "--network", "slirp4netns", "--dns-search", ".", "busybox", "cat", "/etc/resolv.conf")
    assert p.stdout.startswith("nameserver 10.0.2.3\n") and "search" not in p.stdout, p.stdout
    _gone(capsa.root)


def test_slirp_bad_options(capsa):
    for mode, why in (("slirp4netns:mtu=abc", "mtu=abc"), ("slirp4netns:cidr=10.0.0.0/30", "prefix"),
                      ("slirp4netns:port_handler=rootlesskit", "port_handler"),
                      ("slirp4netns:nosuch=1", "unknown option"), ("slirp4netns:allow_host_loopback", "needs a value")):
        p = capsa("run", "--rm", "--network", mode, "busybox", "true", check=False)
        assert p.returncode == 125 and why in p.stderr, (mode, p.stderr)
    assert capsa.ps() == []


def test_slirp_published_tcp_and_udp_ports(capsa):
    """-p 127.0.0.1:H:80 to busybox httpd and -p 127.0.0.1:U:5353/udp to the probe, answered on the
    host; slirp4netns is gone once the container has exited on its own."""
    www = capsa.tmp / "www"
    www.mkdir()
    (www / "index.html").write_text("served-through-slirp\n")
    tport, uport = _free_port(), _free_port(socket.SOCK_DGRAM)
    capsa("run", "-d", "--name", "web", "--network", "slirp4netns", "-p", f"127.0.0.1:{tport}:80", "-p",
          f"127.0.0.1:{uport}:5353/udp", "-v", f"{www}:/www:ro", "-v", f"{PROBE}:/probe:ro", "busybox", "sh", "-c",
          "httpd -p 80 -h /www && exec /probe udprecv 5353")
    try:
        assert len(_slirps(capsa.root)) == 1
        ports = capsa("port", "web").stdout
        assert f"80/tcp -> 127.0.0.1:{tport}" in ports and f"5353/udp -> 127.0.0.1:{uport}" in ports, ports
        assert "served-through-slirp" in _http_get(tport)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        got = None
        for _ in range(50):  # until the probe listens
            s.sendto(b"hello-udp", ("127.0.0.1", uport))
            time.sleep(0.1)
            logs = capsa("logs", "web").stdout
            if "received" in logs:
                got = json.loads(logs.strip().splitlines()[-1])
                break
        s.close()
        assert got == {"received": "hello-udp"}, capsa("logs", "web").stdout
        # the probe exits after one datagram: the container stops, and slirp4netns with it
        wait_for(lambda: capsa.state("web")["Status"] == "exited")
        _gone(capsa.root)
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", tport), timeout=2).close()
    finally:
        capsa("rm", "-f", "web", check=False)
    _gone(capsa.root)


def _inet_ports_of(pid):
    """the ports of the IPv4 TCP sockets process pid holds (copied with pidfd_getfd: it is stopped)"""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    ports = []
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if not os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                    continue
                n = libc.syscall(438, pidfd, int(fd), 0)  # pidfd_getfd
                if n < 0:
                    continue
                s = socket.socket(fileno=n)
                if s.family == socket.AF_INET and s.type == socket.SOCK_STREAM:
                    ports.append(s.getsockname()[1])
                s.close()
    finally:
        os.close(pidfd)
    return ports


def _stopped(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"


def test_slirp_ephemeral_port_is_held_until_bound(capsa):
    """-p 80 (a random host port): the port chosen is held by a socket until slirp4netns has bound it;
    should another program bind it all the same (with SO_REUSEADDR, beside the holder), another port
    is tried."""
    www = capsa.tmp / "www"
    www.mkdir()
    (www / "index.html").write_text("ephemeral-through-slirp\n")
    env = dict(os.environ, CAPSA_FAULT_STOP="cli:slirp:port-chosen")
    proc = capsa.popen("run", "--name", "eph", "--network", "slirp4netns", "-p", "80", "-v", f"{www}:/www:ro",
                       "busybox", "httpd", "-f", "-p", "80", "-h", "/www", env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    thief = socket.socket()
    try:
        wait_for(lambda: _stopped(proc.pid), timeout=20)
        held = _inet_ports_of(proc.pid)
        assert len(held) == 1, held
        thief.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        thief.bind(("0.0.0.0", held[0]))  # nothing but SO_REUSEADDR gets beside the holder
        thief.listen()
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("0.0.0.0", held[0]))

        def published():
            if _stopped(proc.pid):  # the next try stops at the fault point too
                os.kill(proc.pid, signal.SIGCONT)
            return "80/tcp" in capsa("port", "eph", check=False).stdout
        wait_for(published, timeout=20)
        got = int(capsa("port", "eph", "80").stdout.strip().rsplit(":", 1)[1])
        assert got != held[0]
        assert "ephemeral-through-slirp" in _http_get(got)
    finally:
        thief.close()
        if _stopped(proc.pid):
            os.kill(proc.pid, signal.SIGCONT)
        capsa("rm", "-f", "eph", check=False)
        proc.wait(timeout=20)
    _gone(capsa.root)


def test_slirp_gone_after_stop_rm_and_exit_with_rm(capsa):
    capsa("run", "-d", "--name", "s1", "--network", "slirp4netns", "busybox", "sleep", "100")
    first = _slirps(capsa.root)
    assert len(first) == 1
    capsa("stop", "-t", "1", "s1")
    _gone(capsa.root)
    capsa("start", "s1")
    again = _slirps(capsa.root)
    assert len(again) == 1 and again != first
    p = capsa("exec", "s1", "ip", "-4", "addr", "show", "tap0")
    assert "10.0.2.100/24" in p.stdout
    capsa("rm", "-f", "s1")
    _gone(capsa.root)

    # exits on its own, removed by --rm (the monitor takes slirp4netns down first)
    capsa("run", "-d", "--rm", "--name", "s2", "--network", "slirp4netns", "busybox", "sleep", "1")
    assert len(_slirps(capsa.root)) == 1
    wait_for(lambda: capsa.ps() == [], timeout=15)
    _gone(capsa.root)


def test_slirp_monitor_killed_then_rm_and_prune(capsa):
    """A SIGKILLed monitor takes slirp4netns along (its exit fd closes); rm -f cleans the rest.  A
    stray slirp4netns (its exit fd held elsewhere) whose container is gone is killed by `system prune`."""
    capsa("run", "-d", "--name", "k", "--network", "slirp4netns", "busybox", "sleep", "100")
    run = json.loads((capsa.root / "containers" / capsa.inspect("k")["Id"] / "run.json").read_text())
    assert len(_slirps(capsa.root)) == 1
    os.kill(run["MonitorPid"], signal.SIGKILL)
    wait_for(lambda: not _slirps(capsa.root), timeout=5)
    capsa("rm", "-f", "k")
    _gone(capsa.root)

    # a stray: as if something else still held the exit fd of a container that is gone
    state = capsa.root / "containers" / ("0" * 64)
    state.mkdir(parents=True)
    ns = state / "netns"
    ns.touch()
    subprocess.run(["unshare", f"--net={ns}", "true"], check=True)
    r, w = os.pipe()
    stray = subprocess.Popen([SLIRP, "--configure", "--exit-fd", str(r), "--netns-type=path", str(ns), "tap0"],
                             pass_fds=(r,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, CAPSA_SLIRP_DIR=str(state)))
    os.close(r)
    try:
        wait_for(lambda: _slirps(capsa.root) == [stray.pid])
        subprocess.run(["umount", str(ns)], check=True)
        shutil.rmtree(state)
        p = capsa("system", "prune", "-f")
        assert "Stopped 1 stray slirp4netns process" in p.stdout, p.stdout
        assert stray.wait(timeout=5) == -signal.SIGKILL
        _gone(capsa.root)
    finally:
        os.close(w)
        with contextlib.suppress(Exception):
            stray.kill()
            stray.wait(timeout=5)
        subprocess.run(["umount", str(ns)], capture_output=True)


def _nobody_can_userns():
    if shutil.which("setpriv") is None or shutil.which("unshare") is None:
        return "setpriv/unshare missing (util-linux)"
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "unshare", "-U", "-r", "-n",
                        "true"], capture_output=True, text=True)
    if p.returncode != 0:
        return f"unprivileged user namespaces are off here: {p.stderr.strip()}"
    return None


@pytest.mark.skipif(not SLIRPCTL.exists(), reason=f"build it first: {SLIRPCTL}")
def test_slirp_rootless_user_namespace():
    """The rootless case: user nobody's network namespace, owned by nobody's user namespace, served
    by a slirp4netns nobody starts through the library (which joins that user namespace); a port
    published by nobody reaches busybox httpd inside it."""
    why = _nobody_can_userns()
    if why:
        pytest.skip(why)
    d = tempfile.mkdtemp(prefix="capsa-slirp-rl-")
    os.chmod(d, 0o755)
    tun = os.stat("/dev/net/tun").st_mode
    holder = ctl = None
    try:
        os.makedirs(f"{d}/www")
        with open(f"{d}/www/index.html", "w") as f:
            f.write("rootless-slirp\n")
        os.makedirs(f"{d}/state")
        os.chown(f"{d}/state", 65534, 65534)
        shutil.copy(SLIRPCTL, f"{d}/slirpctl")  # the build tree may not be readable by nobody
        os.chmod(f"{d}/slirpctl", 0o755)
        # an unprivileged user opens /dev/net/tun: Debian's udev makes it 0666; this machine may not
        os.chmod("/dev/net/tun", stat.S_IMODE(tun) | 0o666)
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        holder = subprocess.Popen([*nobody, "unshare", "-U", "-r", "-n", "busybox", "httpd", "-f", "-p", "80", "-h",
                                   f"{d}/www"])
        port = _free_port()

        def netns_ready():
            with contextlib.suppress(OSError, IndexError):
                child = int(open(f"/proc/{holder.pid}/task/{holder.pid}/children").read().split()[0])
                return child if os.readlink(f"/proc/{child}/ns/user") != os.readlink("/proc/self/ns/user") else None
            # setpriv execs unshare, which unshares in place and execs busybox: same pid
            if os.readlink(f"/proc/{holder.pid}/ns/user") != os.readlink("/proc/self/ns/user"):
                return holder.pid
            return None
        pid = wait_for(netns_ready)
        ctl = subprocess.Popen([*nobody, f"{d}/slirpctl", f"/proc/{pid}/ns/net", f"{d}/state", "--publish",
                                f"127.0.0.1:{port}:80"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        line = ctl.stdout.readline()
        assert line.startswith("ready"), line + ctl.stderr.read()
        spid = int(line.split()[1])
        assert os.stat(f"/proc/{spid}").st_uid == 65534
        assert "--userns-path=" in open(f"/proc/{spid}/cmdline").read().replace("\0", " ")
        assert "rootless-slirp" in _http_get(port)
        out = subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", "-4", "addr", "show", "tap0"],
                             capture_output=True, text=True).stdout
        assert "10.0.2.100/24" in out, out
        ctl.stdin.close()
        assert ctl.wait(timeout=5) == 0
        wait_for(lambda: not os.path.exists(f"/proc/{spid}") or
                 open(f"/proc/{spid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z")
        assert sorted(os.listdir(f"{d}/state")) == ["slirp4netns.log"]
    finally:
        os.chmod("/dev/net/tun", stat.S_IMODE(tun))
        for p in (ctl, holder):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(d, ignore_errors=True)
