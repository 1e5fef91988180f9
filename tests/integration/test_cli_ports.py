"""Published ports (-p, -P): every host port is reserved by a bound socket for the container's life
(a port a host program or another container has is refused, clearly, and nothing is left behind),
ephemeral host ports (`-p 8095`), and where they show: `port`, `ps`, `inspect`.  Traffic only to
127.0.0.1."""
import json
import os
import socket
import subprocess

from test_cli_run import _get, capsa, wait_for  # noqa: F401  (the fixture)

BASE = 18501  # 18501-18509: this file's host ports


def _nft_has_port(port):
    p = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True)
    return f"dport {port} " in p.stdout


def _can_bind(port, kind=socket.SOCK_STREAM, ip="127.0.0.1"):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _listener(port, kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as python's http.server does
    s.bind(("127.0.0.1", port))
    if kind == socket.SOCK_STREAM:
        s.listen(4)
    return s


def test_port_a_host_program_listens_on_is_refused(capsa):
    """`python3 -m http.server PORT` on the host, then `run -d -p PORT:80`: refused, naming the
    port and that another program has it; no container, no nft rule left; foreground run too, UDP
    too, an explicit address too."""
    tcp, udp = BASE, BASE + 1
    with _listener(tcp), _listener(udp, socket.SOCK_DGRAM):
        p = capsa("run", "-d", "--name", "w", "-p", f"{tcp}:80", "busybox", "sleep", "30", check=False)
        assert p.returncode == 125, p.stderr
        assert f"port {tcp}/tcp on 0.0.0.0 is already in use by another program" in p.stderr, p.stderr
        assert capsa.ps() == [] and not _nft_has_port(tcp)
        p = capsa("run", "-d", "-p", f"127.0.0.1:{tcp}:80", "busybox", "sleep", "30", check=False)
        assert p.returncode == 125 and f"port {tcp}/tcp on 127.0.0.1 is already in use" in p.stderr, p.stderr
        p = capsa("run", "--rm", "-p", f"{udp}:53/udp", "busybox", "true", check=False)
        assert p.returncode == 125 and f"port {udp}/udp on 0.0.0.0 is already in use" in p.stderr, p.stderr
        assert capsa.ps() == [] and not _nft_has_port(tcp) and not _nft_has_port(udp)
    try:
        # the program gone, the port is the container's, held for its life, and free after rm
        capsa("run", "-d", "--name", "w", "-p", f"{tcp}:80", "-p", f"{udp}:53/udp", "busybox", "sleep", "30")
        assert not _can_bind(tcp) and not _can_bind(udp, socket.SOCK_DGRAM)
        # the reserving sockets are the monitor's, never the container's
        pid = capsa.inspect("w")["State"]["Pid"]
        fds = [os.readlink(f"/proc/{pid}/fd/{f}") for f in os.listdir(f"/proc/{pid}/fd")]
        assert not [f for f in fds if f.startswith("socket:")], fds
        capsa("rm", "-f", "w")
        assert _can_bind(tcp) and _can_bind(udp, socket.SOCK_DGRAM) and not _nft_has_port(tcp)
    finally:
        capsa("rm", "-f", "w", check=False)
        capsa("network", "rm", "-f", "bridge", check=False)


def test_two_containers_cannot_publish_one_port(capsa):
    port = BASE + 2
    try:
        capsa("run", "-d", "--name", "first", "-p", f"127.0.0.1:{port}:80", "busybox", "sleep", "30")
        p = capsa("run", "-d", "--name", "second", "-p", f"{port}:80", "busybox", "sleep", "30", check=False)
        assert p.returncode == 125, p.stderr
        assert f"port {port}/tcp on 0.0.0.0 is already allocated by container first" in p.stderr, p.stderr
        assert [c["Names"] for c in capsa.ps()] == ["first"]
        capsa("stop", "-t", "0", "first")
        assert _can_bind(port)  # released at stop
        capsa("run", "-d", "--name", "second", "-p", f"{port}:80", "busybox", "sleep", "30")
        p = capsa("start", "first", check=False)
        assert p.returncode != 0 and "already allocated by container second" in p.stderr, p.stderr
    finally:
        capsa("rm", "-f", "first", "second", check=False)
        capsa("network", "rm", "-f", "bridge", check=False)


def test_ephemeral_port_reachable_and_shown(capsa):
    """`-p 8095`: a free host port the kernel picks (reserved), served from the container, shown by
    `port` (with a filter), the ps PORTS column and JSON, and inspect's NetworkSettings.Ports."""
    www = capsa.tmp / "www"
    www.mkdir()
    (www / "index.html").write_text("ephemeral\n")
    try:
        capsa("run", "-d", "--name", "eph", "-p", "8095", "-p", f"127.0.0.1:{BASE + 3}:8096/udp",
              "-v", f"{www}:/www:ro", "busybox", "httpd", "-f", "-p", "8095", "-h", "/www")
        out = capsa("port", "eph", "8095").stdout.split()
        assert out and out[0].startswith("0.0.0.0:"), out
        host = int(out[0].rsplit(":", 1)[1])
        assert host != 8095 and not _can_bind(host)
        assert capsa("port", "eph", "8095/tcp").stdout.split() == out
        assert capsa("port", "eph").stdout.splitlines() == [f"8095/tcp -> 0.0.0.0:{host}",
                                                            f"8096/udp -> 127.0.0.1:{BASE + 3}"]
        p = capsa("port", "eph", "9999", check=False)
        assert p.returncode != 0 and "9999/tcp" in p.stderr
        assert wait_for(lambda: _get(f"http://127.0.0.1:{host}/")) == b"ephemeral\n"
        text = f"0.0.0.0:{host}->8095/tcp, 127.0.0.1:{BASE + 3}->8096/udp"
        assert [c["Ports"] for c in capsa.ps()] == [text]
        assert text in capsa("ps").stdout.splitlines()[1]
        ports = capsa.inspect("eph")["NetworkSettings"]["Ports"]
        assert ports == {"8095/tcp": [{"HostIp": "0.0.0.0", "HostPort": str(host)}],
                         "8096/udp": [{"HostIp": "127.0.0.1", "HostPort": str(BASE + 3)}]}, ports
        capsa("stop", "-t", "0", "eph")
        assert capsa.inspect("eph")["NetworkSettings"]["Ports"] == {}
        assert capsa("port", "eph").stdout == "" and capsa.ps()[0]["Ports"] == ""
    finally:
        capsa("rm", "-f", "eph", check=False)
        capsa("network", "rm", "-f", "bridge", check=False)


def test_foreground_run_reserves_its_ports(capsa):
    port = BASE + 4
    run = capsa.popen("run", "--name", "fg", "-p", f"{port}:80", "busybox", "sleep", "30",
                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: capsa.ps() and capsa.ps()[0]["State"] == "running")
        assert not _can_bind(port)
        assert capsa("port", "fg").stdout.strip() == f"80/tcp -> 0.0.0.0:{port}"
    finally:
        capsa("rm", "-f", "fg", check=False)
        run.wait(timeout=20)
        capsa("network", "rm", "-f", "bridge", check=False)
    assert _can_bind(port)


def test_ports_stay_reserved_across_restarts(capsa):
    """--restart: the monitor keeps the ports' sockets from one run to the next (the ephemeral port
    too: the same one), and lets them go when the container is removed."""
    port = BASE + 5
    try:
        capsa("run", "-d", "--name", "rs", "--restart", "always", "-p", f"{port}:80", "-p", "81", "busybox",
              "sh", "-c", "sleep 0.2; exit 1")
        eph = capsa("port", "rs", "81").stdout.split()[0]
        wait_for(lambda: capsa.inspect("rs")["RestartCount"] >= 2, timeout=20)
        assert not _can_bind(port) and not _can_bind(int(eph.rsplit(":", 1)[1]))
        wait_for(lambda: capsa.inspect("rs")["State"]["Running"])
        assert capsa("port", "rs", "81").stdout.split()[0] == eph
        capsa("rm", "-f", "rs")
        assert _can_bind(port) and _can_bind(int(eph.rsplit(":", 1)[1]))
    finally:
        capsa("rm", "-f", "rs", check=False)
        capsa("network", "rm", "-f", "bridge", check=False)


def test_network_connect_refuses_a_taken_port(capsa):
    port = BASE + 6
    capsa("network", "create", "--subnet", "10.99.31.0/24", "pnet")
    try:
        capsa("run", "-d", "--name", "nc1", "busybox", "sleep", "30")
        with _listener(port):
            p = capsa("network", "connect", "-p", f"{port}:80", "pnet", "nc1", check=False)
            assert p.returncode == 125 and f"port {port}/tcp on 0.0.0.0 is already in use" in p.stderr, p.stderr
            assert not _nft_has_port(port)
    finally:
        capsa("rm", "-f", "nc1", check=False)
        capsa("network", "rm", "-f", "pnet", check=False)
        capsa("network", "rm", "-f", "bridge", check=False)


def test_network_connect_holds_its_ports(capsa):
    """`network connect -p`: the port's socket goes to the container's monitor, held while the
    container runs: another container publishing it is refused (docker's "already allocated"), and
    it is free again after `network disconnect` and after rm."""
    port = BASE + 7
    capsa("network", "create", "--subnet", "10.99.32.0/24", "hnet")
    try:
        capsa("run", "-d", "--name", "nh1", "busybox", "sleep", "60")
        capsa("network", "connect", "-p", f"{port}:80", "hnet", "nh1")
        assert not _can_bind(port)
        p = capsa("run", "-d", "--name", "nh2", "-p", f"{port}:80", "busybox", "sleep", "30", check=False)
        assert p.returncode == 125, p.stderr
        assert f"port {port}/tcp on 0.0.0.0 is already allocated by container nh1" in p.stderr, p.stderr
        # held by the monitor, never by the container
        pid = capsa.inspect("nh1")["State"]["Pid"]
        socks = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        assert not any(s.startswith("socket:") for s in socks), socks
        capsa("network", "disconnect", "hnet", "nh1")
        assert _can_bind(port)
        capsa("network", "connect", "-p", f"{port}:80", "hnet", "nh1")
        assert not _can_bind(port)
        capsa("rm", "-f", "nh1")
        assert _can_bind(port) and not _nft_has_port(port)
    finally:
        capsa("rm", "-f", "nh1", "nh2", check=False)
        capsa("network", "rm", "-f", "hnet", check=False)
        capsa("network", "rm", "-f", "bridge", check=False)
