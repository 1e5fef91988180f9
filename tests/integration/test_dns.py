"""The DNS server of a user network (src/lib/net/dns_server.c, `capsa __dns NET`, started by
src/engine/ctr_dns.c): containers resolve each other by name, alias and short id through it,
updated at once on run, stop, rm, rename, connect and disconnect, with no rewrite of a peer's
/etc/hosts; other names are forwarded to the host's resolvers (here a responder of the test's
own, named by CAPSA_DNS_RESOLV_CONF); it leaves with the network's last container.  And the run
flags --dns, --dns-search, --dns-option, --add-host, --ip, --ip6, --mac-address."""
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import procs_mentioning
from test_cli_run import capsa  # noqa: F401  (the fixture)

SUBNET = "10.99.51"


def lookup(capsa, who, name):
    """The IPv4 addresses busybox's nslookup in container who gets for name ([] for NXDOMAIN)."""
    p = capsa("exec", who, "nslookup", "-type=a", name, check=False)
    out = p.stdout + p.stderr
    if "NXDOMAIN" in out or "can't find" in out:
        return []
    assert p.returncode == 0, (out, dns_procs(capsa))
    tail = out.split("Name:", 1)[1] if "Name:" in out else ""
    return re.findall(r"Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)", tail)


def ip_of(capsa, name, net):
    """name's address on net, from the network's leases (inspect shows a container's first network only)."""
    cid = capsa("inspect", "-f", "{{.Id}}", name).stdout.strip()
    net = json.loads(capsa("network", "inspect", net).stdout)
    net = net[0] if isinstance(net, list) else net
    leases = net.get("leases") or {c["Id"] if "Id" in c else k: c for k, c in (net.get("Containers") or {}).items()}
    lease = leases.get(cid) or {}
    return (lease.get("ip") or lease.get("IPv4Address", "").split("/")[0])


def dns_procs(capsa):
    return [p for p in procs_mentioning(str(capsa.root)) if b"__dns" in open(f"/proc/{p}/cmdline", "rb").read()]


def listening(addr):
    out = subprocess.run(["ss", "-Hlun"], capture_output=True, text=True).stdout
    return f"{addr}:53" in out


def tcp_query(server, name):
    """name's A records asked of server over TCP (RFC 1035 4.2.2), from the host."""
    q = struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", 1, 1)
    with socket.create_connection((server, 53), timeout=3) as c:
        c.sendall(struct.pack("!H", len(q)) + q)
        n = struct.unpack("!H", c.recv(2))[0]
        a = b""
        while len(a) < n:
            a += c.recv(n - len(a))
    assert a[:2] == b"\x42\x42" and a[2] & 0x80
    count, off, out = struct.unpack("!H", a[6:8])[0], len(q), []
    for _ in range(count):
        rtype, rdlen = struct.unpack("!H", a[off + 2:off + 4])[0], struct.unpack("!H", a[off + 10:off + 12])[0]
        if rtype == 1:
            out.append(socket.inet_ntoa(a[off + 12:off + 16]))
        off += 12 + rdlen
    return out


class Responder:
    """A UDP DNS server on 127.0.0.77:53 answering `NAME.capsa-test` with 192.0.2.77, NXDOMAIN else."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.77", 53))
        self.sock.settimeout(0.2)
        self.names, self.stop = [], False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            try:
                q, addr = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            labels, i = [], 12
            while q[i]:
                labels.append(q[i + 1:i + 1 + q[i]].decode())
                i += 1 + q[i]
            name, qtype = ".".join(labels), struct.unpack("!H", q[i + 1:i + 3])[0]
            self.names.append(name)
            question = q[12:i + 5]
            ok = name.endswith(".capsa-test")
            an = b"" if not ok or qtype != 1 else b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("192.0.2.77")
            hdr = q[:2] + struct.pack("!HHHHH", 0x8180 | (0 if ok else 3), 1, 1 if an else 0, 0, 0)
            self.sock.sendto(hdr + question + an, addr)

    def close(self):
        self.stop = True
        self.t.join()
        self.sock.close()


@pytest.fixture
def dnsnet(capsa, tmp_path, monkeypatch):
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.77\n")
    monkeypatch.setenv("CAPSA_DNS_RESOLV_CONF", str(resolv))
    r = Responder()
    capsa("network", "create", "--subnet", f"{SUBNET}.0/24", "dnsnet")
    try:
        yield r
    finally:
        for n in ("d1", "d2", "d3", "d3new", "dx", "dip", "dip2"):
            capsa("rm", "-f", n, check=False)
        capsa("network", "rm", "-f", "dnsnet", check=False)
        r.close()


def test_names_aliases_and_updates(capsa, dnsnet):
    gw = f"{SUBNET}.1"
    capsa("run", "-d", "--name", "d1", "--network", "dnsnet", "busybox", "sleep", "120")
    capsa("run", "-d", "--name", "d2", "--network", "dnsnet", "--network-alias", "web", "busybox", "sleep", "120")
    assert len(dns_procs(capsa)) == 1, "one server for the network"
    assert listening(gw), "the server listens on the gateway"
    assert not listening("0.0.0.0"), "never on every address"
    ip1, ip2 = ip_of(capsa, "d1", "dnsnet"), ip_of(capsa, "d2", "dnsnet")
    assert capsa("exec", "d1", "cat", "/etc/resolv.conf").stdout.splitlines()[0] == f"nameserver {gw}"
    assert lookup(capsa, "d1", "d2") == [ip2]
    assert lookup(capsa, "d1", "web") == [ip2]
    assert lookup(capsa, "d2", "d1") == [ip1]
    cid = capsa("inspect", "-f", "{{.Id}}", "d2").stdout.strip()
    assert lookup(capsa, "d1", cid[:12]) == [ip2]
    assert tcp_query(gw, "web") == [ip2], "over TCP too"
    ptr = capsa("exec", "d1", "nslookup", ip2).stdout
    assert "d2.dnsnet" in ptr, ptr  # reverse: docker's NAME.NETWORK
    # no peer in a hosts file: a third container is resolvable at once, the others' files untouched
    before = {n: capsa("exec", n, "cat", "/etc/hosts").stdout for n in ("d1", "d2")}
    assert ip2 not in before["d1"] and ip1 not in before["d2"], before
    capsa("run", "-d", "--name", "d3", "--network", "dnsnet", "busybox", "sleep", "120")
    ip3 = ip_of(capsa, "d3", "dnsnet")
    assert lookup(capsa, "d1", "d3") == [ip3]
    assert {n: capsa("exec", n, "cat", "/etc/hosts").stdout for n in ("d1", "d2")} == before
    # rename: the new name at once, the old one gone
    capsa("rename", "d3", "d3new")
    assert lookup(capsa, "d1", "d3new") == [ip3]
    assert lookup(capsa, "d1", "d3") == []
    # stop and rm: NXDOMAIN
    capsa("stop", "-t", "0", "d3new")
    assert lookup(capsa, "d1", "d3new") == []
    capsa("rm", "d3new")
    assert lookup(capsa, "d1", "d3new") == []
    # connect / disconnect of a container of the default network
    capsa("run", "-d", "--name", "dx", "busybox", "sleep", "120")
    capsa("network", "connect", "dnsnet", "dx")
    ipx = ip_of(capsa, "dx", "dnsnet")
    assert lookup(capsa, "d1", "dx") == [ipx]
    assert lookup(capsa, "dx", "d1") == [ip1]
    capsa("network", "disconnect", "dnsnet", "dx")
    assert lookup(capsa, "d1", "dx") == []
    # other names: forwarded to the host's resolvers, their answer relayed
    assert lookup(capsa, "d1", "far.capsa-test") == ["192.0.2.77"]
    assert "far.capsa-test" in dnsnet.names
    assert lookup(capsa, "d1", "nowhere.invalid") == []
    # the network's last container gone: so is its server, and its socket
    capsa("rm", "-f", "d1", "d2")
    deadline = time.time() + 5
    while (dns_procs(capsa) or listening(gw)) and time.time() < deadline:
        time.sleep(0.05)
    assert not dns_procs(capsa) and not listening(gw)


def test_concurrent_starts_one_server(capsa, dnsnet):
    """Three containers started at once on a network without a server: one server (the pidfile's
    flock), and each start returns once it serves."""
    ps = [capsa.popen("run", "-d", "--name", n, "--network", "dnsnet", "busybox", "sleep", "120",
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE) for n in ("d1", "d2", "d3")]
    for p in ps:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    assert len(dns_procs(capsa)) == 1
    for a, b in (("d1", "d2"), ("d2", "d3"), ("d3", "d1")):
        assert lookup(capsa, a, b) == [ip_of(capsa, b, "dnsnet")]


def test_server_lingers_for_the_next_run(capsa, dnsnet):
    """A network's server stays a moment after its last container (src/lib/net/dns_server.c,
    LINGER_MS): `run --rm` after `run --rm` (a script, a test suite) finds it serving, neither
    starting one nor waiting for its leaving; then it goes."""
    pids = []
    for _ in range(3):
        p = capsa("run", "--rm", "--network", "dnsnet", "busybox", "nslookup", "-type=a", "far.capsa-test")
        assert "192.0.2.77" in p.stdout, p.stdout + p.stderr
        pids.append(dns_procs(capsa))
    assert len(pids[0]) == 1 and pids[0] == pids[1] == pids[2], pids
    deadline = time.time() + 5
    while dns_procs(capsa) and time.time() < deadline:
        time.sleep(0.05)
    assert not dns_procs(capsa) and not listening(f"{SUBNET}.1")


def test_other_networks_get_no_answer(capsa, dnsnet):
    """A container of another network reaches this network's gateway (a host address), but the
    server answers only its own network's clients."""
    capsa("run", "-d", "--name", "d1", "--network", "dnsnet", "busybox", "sleep", "120")
    capsa("network", "create", "--subnet", "10.99.52.0/24", "othnet")
    try:
        capsa("run", "-d", "--name", "dx", "--network", "othnet", "busybox", "sleep", "120")
        p = capsa("exec", "dx", "nslookup", "-timeout=1", "-retry=1", "-type=a", "d1", f"{SUBNET}.1", check=False)
        assert p.returncode != 0 and "timed out" in p.stdout + p.stderr, p.stdout + p.stderr
        assert lookup(capsa, "dx", "d1") == [], "its own server does not know d1"
    finally:
        capsa("rm", "-f", "dx", check=False)
        capsa("network", "rm", "-f", "othnet", check=False)


def test_network_rm_stops_server(capsa, dnsnet):
    capsa("run", "-d", "--name", "d1", "--network", "dnsnet", "busybox", "sleep", "120")
    assert dns_procs(capsa)
    capsa("network", "rm", "-f", "dnsnet")
    deadline = time.time() + 5
    while dns_procs(capsa) and time.time() < deadline:
        time.sleep(0.05)
    assert not dns_procs(capsa) and not listening(f"{SUBNET}.1")


def test_dns_flags_and_add_host(capsa, dnsnet):
    capsa("run", "-d", "--name", "d1", "--network", "dnsnet", "--dns", "192.0.2.53", "--dns", "192.0.2.54",
          "--dns-search", "a.example", "--dns-option", "ndots:3", "--add-host", "db.local:10.9.9.9",
          "--add-host", "gw.local:host-gateway", "busybox", "sleep", "120")
    resolv = capsa("exec", "d1", "cat", "/etc/resolv.conf").stdout
    assert resolv == "nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch a.example\noptions ndots:3\n", resolv
    hosts = capsa("exec", "d1", "cat", "/etc/hosts").stdout
    assert "10.9.9.9\tdb.local\n" in hosts and f"{SUBNET}.1\tgw.local\n" in hosts, hosts
    hc = capsa.inspect("d1")["HostConfig"]
    assert hc["Dns"] == ["192.0.2.53", "192.0.2.54"] and hc["DnsSearch"] == ["a.example"]
    assert hc["DnsOptions"] == ["ndots:3"]
    assert hc["ExtraHosts"] == ["db.local:10.9.9.9", "gw.local:host-gateway"]
    p = capsa("run", "--rm", "--add-host", "nocolon", "busybox", "true", check=False)
    assert p.returncode == 125 and "--add-host nocolon" in p.stderr, p.stderr
    p = capsa("run", "--rm", "--dns", "not-an-ip", "busybox", "true", check=False)
    assert p.returncode == 125 and "not an IPv4 address" in p.stderr, p.stderr


def test_fixed_ip_and_mac(capsa, dnsnet):
    capsa("run", "-d", "--name", "dip", "--network", "dnsnet", "--ip", f"{SUBNET}.77",
          "--mac-address", "02:42:0a:63:33:4d", "busybox", "sleep", "120")
    assert ip_of(capsa, "dip", "dnsnet") == f"{SUBNET}.77"
    ins = capsa.inspect("dip")
    assert ins["NetworkSettings"]["Networks"]["dnsnet"]["IPAMConfig"] == {"IPv4Address": f"{SUBNET}.77"}
    assert ins["NetworkSettings"]["Networks"]["dnsnet"]["MacAddress"] == "02:42:0a:63:33:4d"
    assert "02:42:0a:63:33:4d" in capsa("exec", "dip", "cat", "/sys/class/net/eth0/address").stdout
    before = {x["ID"] for x in capsa.ps()}
    p = capsa("run", "-d", "--name", "dip2", "--network", "dnsnet", "--ip", f"{SUBNET}.77", "busybox", "sleep", "120",
              check=False)
    assert p.returncode != 0 and f"address {SUBNET}.77 is in use" in p.stderr, p.stderr
    assert {x["ID"] for x in capsa.ps()} == before, "nothing left of the refused container"
    p = capsa("run", "-d", "--name", "dip2", "--network", "dnsnet", "--ip", "10.1.2.3", "busybox", "true",
              check=False)
    assert p.returncode != 0 and "is not in subnet" in p.stderr, p.stderr
    p = capsa("run", "--rm", "--ip", "10.1.2.3", "busybox", "true", check=False)
    assert p.returncode == 125 and "user defined networks only" in p.stderr, p.stderr


def test_fixed_ip6_and_aaaa(capsa, dnsnet):
    """--ip6 on a dual-stack network; the server answers AAAA with it (and listens on the IPv6
    gateway too)."""
    capsa("network", "create", "--subnet", "10.99.53.0/24", "--subnet", "fd7c:53::/64", "v6dns")
    try:
        capsa("run", "-d", "--name", "dip", "--network", "v6dns", "--ip6", "fd7c:53::77", "busybox", "sleep", "120")
        capsa("run", "-d", "--name", "dip2", "--network", "v6dns", "busybox", "sleep", "120")
        assert capsa.inspect("dip")["NetworkSettings"]["GlobalIPv6Address"] == "fd7c:53::77"
        p = capsa("exec", "dip2", "nslookup", "-type=aaaa", "dip")
        assert "fd7c:53::77" in p.stdout, p.stdout
        assert listening("[fd7c:53::1]") or listening("fd7c:53::1"), "on the IPv6 gateway too"
    finally:
        capsa("rm", "-f", "dip", "dip2", check=False)
        capsa("network", "rm", "-f", "v6dns", check=False)


def test_podman_comparison():
    """podman's aardvark-dns is the model; compared only where podman uses netavark + aardvark."""
    aardvark = shutil.which("aardvark-dns") or next(
        (p for p in ("/usr/libexec/podman/aardvark-dns", "/usr/lib/podman/aardvark-dns") if os.path.exists(p)), None)
    if aardvark is None:
        print("skipping the podman comparison: aardvark-dns is not installed (podman uses CNI here)")
        pytest.skip("aardvark-dns is not installed (podman's network backend here is CNI)")
