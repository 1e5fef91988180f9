"""Networking (src/lib/net/network.c, netlink.c, ipam.c, nat.c) with real traffic between real containers.

Containers are started by capsa-oci in their own network namespace and attached by tests/net/netctl
(the library's test driver, until the `capsa` CLI has --network/-p).  Each test uses its own IPAM
state directory and its own nftables table (capsa_tPID), and checks at the end that no link, route,
nftables table or IPAM lease of its own is left.
"""
import contextlib
import json
import os
import pathlib
import socket
import subprocess
import time

import pytest

from conftest import BUILD, Bundle, new_id

NETCTL = BUILD / "tests" / "net" / "netctl"
TABLE = f"capsa_t{os.getpid()}"
FORWARD6 = pathlib.Path("/proc/sys/net/ipv6/conf/all/forwarding")


def sh(*args, check=True):
    p = subprocess.run(list(map(str, args)), capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {p.returncode}: {p.stderr}")
    return p


@pytest.fixture(scope="module", autouse=True)
def kernel_support():
    if os.geteuid() != 0:
        pytest.skip("networking tests need root")
    if not NETCTL.exists():
        pytest.skip(f"{NETCTL} is not built")
    tag = f"ck{os.getpid() % 100000}"
    try:
        for cmd, what in [(["ip", "link", "add", f"{tag}b", "type", "bridge"], "bridge"),
                          (["ip", "link", "add", f"{tag}v", "type", "veth", "peer", "name", f"{tag}p"], "veth"),
                          (["nft", f"add table inet {tag}; add chain inet {tag} c {{ type nat hook postrouting priority 100; }};"
                                   f" add rule inet {tag} c masquerade"], "nftables nat/masquerade")]:
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                print(f"skipping: the kernel or tools lack {what}: {p.stderr.strip()}")
                pytest.skip(f"no {what}: {p.stderr.strip()}")
    finally:
        subprocess.run(["ip", "link", "del", f"{tag}b"], capture_output=True)
        subprocess.run(["ip", "link", "del", f"{tag}v"], capture_output=True)
        subprocess.run(["nft", "delete", "table", "inet", tag], capture_output=True)


class NetEnv:
    """Networks, containers and an "outside" namespace for one test, all removed by teardown()."""

    def __init__(self, oci, template, workdir):
        self.oci, self.template, self.workdir = oci, template, workdir
        self.state = workdir / "netstate"
        self.containers, self.networks, self.netns, self.links = [], [], [], []
        self.forward_before = pathlib.Path("/proc/sys/net/ipv4/ip_forward").read_text().strip()
        self.forward6_before = FORWARD6.read_text().strip()

    def netctl(self, *args, check=True):
        return sh(NETCTL, "--state", self.state, "--table", TABLE, *args, check=check)

    def network(self, name, *opts):
        self.netctl("network", "create", name, *opts)
        self.networks.append(name)
        return json.loads(self.netctl("network", "inspect", name).stdout)

    def container(self, name, args, net, *attach_opts):
        """Start a container running args, attach it to net; returns (id, attach result)."""
        cid = f"{name}-{new_id()}"
        b = self.workdir / cid
        b.mkdir()
        sh("cp", "-a", self.template, b / "rootfs")
        etc = self.workdir / f"{cid}-etc"
        etc.mkdir()
        bundle = Bundle(b).args(*args)
        for f in ["hosts", "hostname", "resolv.conf"]:
            (etc / f).write_text("")
            (b / "rootfs" / "etc" / f).write_text("")
            bundle.mount(destination=f"/etc/{f}", type="bind", source=str(etc / f), options=["bind", "ro"])
        self.oci.detach(bundle, cid)
        self.containers.append([cid, net])
        pid = self.oci.state(cid)["pid"]
        res = json.loads(self.netctl("attach", net, cid, pid, "--etc", etc, "--hostname", name,
                                     "--name", f"{name}-alias", *attach_opts).stdout)
        res["etc"] = etc
        return cid, res

    def server(self, name, net, reply, *attach_opts, port=8080):
        """A container answering every connection on port with one line."""
        return self.container(name, ["/bin/nc", "-ll", "-p", str(port), "-e", "/bin/echo", reply], net, *attach_opts)

    def exec(self, cid, script, check=False):
        return self.oci("exec", cid, "/bin/sh", "-c", script, check=check, timeout=30)

    def outside(self):
        """A network namespace with a veth to the host: 172.31.250.2 and fd7d:250::2, the host's end
        172.31.250.1 and fd7d:250::1 (IPv6 without DAD: usable at once)."""
        ns, host, peer = f"capsa-out{os.getpid()}", f"cto{os.getpid() % 100000}h", f"cto{os.getpid() % 100000}p"
        sh("ip", "netns", "add", ns)
        self.netns.append(ns)
        sh("ip", "link", "add", host, "type", "veth", "peer", "name", peer, "netns", ns)
        self.links.append(host)
        sh("ip", "addr", "add", "172.31.250.1/24", "dev", host)
        sh("ip", "link", "set", host, "up")
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", "172.31.250.2/24", "dev", peer)
        sh("ip", "netns", "exec", ns, "ip", "link", "set", peer, "up")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        sh("ip", "addr", "add", "fd7d:250::1/64", "dev", host, "nodad")
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", "fd7d:250::2/64", "dev", peer, "nodad")
        return ns

    def teardown(self):
        errors = []
        for cid, net in self.containers:
            p = self.netctl("detach", net, cid, check=False)
            if p.returncode != 0 and "is not attached" not in p.stderr and "does not exist" not in p.stderr:
                errors.append(p.stderr)
            self.oci("delete", "--force", cid, check=False)
        for n in reversed(self.networks):
            p = self.netctl("network", "rm", n, "--force", check=False)
            if p.returncode != 0 and "does not exist" not in p.stderr:
                errors.append(p.stderr)
        for l in self.links:
            subprocess.run(["ip", "link", "del", l], capture_output=True)
        for ns in self.netns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        assert not errors, errors

    def leftovers(self, nets):
        """What of nets (inspect results) is still in the host's links, routes, nftables and IPAM."""
        left = []
        links = sh("ip", "-o", "link").stdout
        routes = sh("ip", "route").stdout + sh("ip", "-6", "route").stdout
        for n in nets:
            if f" {n['bridge']}:" in links or f" {n['bridge']}@" in links:
                left.append(f"bridge {n['bridge']}")
            for key in ("subnet", "subnet6"):
                if n.get(key) and n[key] in routes:
                    left.append(f"route {n[key]}")
        left += [f"veth {l.split(':')[1].strip()}" for l in links.splitlines() if ": vc" in l]
        if TABLE in sh("nft", "list", "tables").stdout:
            left.append(f"nftables table {TABLE}")
        if self.state.exists():
            left += [f"ipam {p.name}" for p in self.state.glob("*.json")]
        return left


@pytest.fixture
def netenv(oci, rootfs_template, workdir):
    n = NetEnv(oci, rootfs_template, workdir)
    try:
        yield n
    finally:
        n.teardown()
        assert pathlib.Path("/proc/sys/net/ipv4/ip_forward").read_text().strip() == n.forward_before
        assert FORWARD6.read_text().strip() == n.forward6_before
        assert TABLE not in sh("nft", "list", "tables").stdout


def connect(host, port, timeout=5.0):
    """One line from a server, retried while the server is starting (host: IPv4 or IPv6)."""
    deadline = time.time() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=2) as s:
                data = s.recv(200)
                if data:
                    return data.decode().strip()
        except OSError:
            pass
        if time.time() > deadline:
            return None
        time.sleep(0.1)


def nc_from(netenv, cid, host, port=8080, tries=20):
    """`nc HOST PORT` in the container, retried while the server starts; its output or None."""
    for _ in range(tries):
        p = netenv.exec(cid, f"nc -w 2 {host} {port} </dev/null")
        if p.returncode == 0 and p.stdout.strip():
            return p.stdout.strip()
        time.sleep(0.1)
    return None


def test_attach_address_route_and_cleanup(netenv):
    net = netenv.network("tnet-a", "--subnet", "10.251.1.0/24")
    assert net["gateway"] == "10.251.1.1"
    cid, r = netenv.container("one", ["/bin/sleep", "600"], "tnet-a")
    assert r["ifname"] == "eth0" and r["address"] == "10.251.1.2" and r["prefixlen"] == 24
    out = netenv.exec(cid, "ip -o addr show eth0; ip route; ip -o link show lo; cat /sys/class/net/eth0/mtu",
                      check=True).stdout
    assert "10.251.1.2/24" in out and "default via 10.251.1.1" in out and "UP" in out.split("lo:")[1]
    assert "1500" in out
    assert sh("ip", "-o", "link", "show", r["host_ifname"]).stdout.count(f"master {net['bridge']}") == 1
    # IPAM: the lease is recorded, a second container gets the next address, detach frees it
    lease = json.loads(netenv.netctl("network", "inspect", "tnet-a").stdout)["leases"][cid]
    assert lease["ip"] == "10.251.1.2" and lease["veth"] == r["host_ifname"]
    cid2, r2 = netenv.container("two", ["/bin/sleep", "600"], "tnet-a")
    assert r2["address"] == "10.251.1.3"
    netenv.netctl("detach", "tnet-a", cid2)
    assert cid2 not in json.loads(netenv.netctl("network", "inspect", "tnet-a").stdout)["leases"]
    assert r2["host_ifname"] not in sh("ip", "-o", "link").stdout
    # the container's etc files
    assert "10.251.1.2\tone" in (r["etc"] / "hosts").read_text()
    assert (r["etc"] / "hostname").read_text() == "one\n"
    assert "nameserver" in (r["etc"] / "resolv.conf").read_text()
    assert "10.251.1.2" in netenv.exec(cid, "cat /etc/hosts", check=True).stdout
    netenv.netctl("detach", "tnet-a", cid)
    netenv.netctl("network", "rm", "tnet-a")
    assert netenv.leftovers([net]) == []


def test_stale_lease_is_reclaimed(netenv):
    net = netenv.network("tnet-s", "--subnet", "10.251.2.0/30")  # one address for containers
    cid, r = netenv.container("a", ["/bin/sleep", "600"], "tnet-s")
    assert r["address"] == "10.251.2.2"
    p = netenv.netctl("network", "rm", "tnet-s", check=False)
    assert p.returncode != 0 and "container(s) attached" in p.stderr
    netenv.oci("delete", "--force", cid)  # the container dies without a detach (a crashed monitor)
    cid2, r2 = netenv.container("b", ["/bin/sleep", "600"], "tnet-s")  # the stale lease is reclaimed
    assert r2["address"] == "10.251.2.2"
    assert list(json.loads(netenv.netctl("network", "inspect", "tnet-s").stdout)["leases"]) == [cid2]
    assert r["host_ifname"] not in sh("ip", "-o", "link").stdout
    netenv.oci("delete", "--force", cid2)
    assert netenv.netctl("gc").stdout.strip() == "1"
    netenv.netctl("network", "rm", "tnet-s")
    assert netenv.leftovers([net]) == []


def test_concurrent_attach_gets_distinct_addresses(netenv):
    net = netenv.network("tnet-c", "--subnet", "10.251.3.0/24")
    ids, procs = [], []
    for i in range(6):
        cid = f"c{i}-{new_id()}"
        b = netenv.workdir / cid
        b.mkdir()
        sh("cp", "-a", netenv.template, b / "rootfs")
        netenv.oci.detach(Bundle(b).args("/bin/sleep", "600"), cid)
        netenv.containers.append([cid, "tnet-c"])
        ids.append(cid)
    for cid in ids:
        pid = netenv.oci.state(cid)["pid"]
        procs.append(subprocess.Popen([NETCTL, "--state", netenv.state, "--table", TABLE, "attach", "tnet-c", cid,
                                       str(pid)], stdout=subprocess.PIPE, text=True))
    addrs = [json.loads(p.communicate(timeout=60)[0])["address"] for p in procs]
    assert len(set(addrs)) == 6, addrs
    leases = json.loads(netenv.netctl("network", "inspect", "tnet-c").stdout)["leases"]
    assert sorted(l["ip"] for l in leases.values()) == sorted(addrs)


def test_container_to_container_and_isolation(netenv):
    netenv.network("tnet-x", "--subnet", "10.251.4.0/24")
    netenv.network("tnet-y", "--subnet", "10.251.5.0/24")
    srv, rs = netenv.server("srv", "tnet-x", "hello-x")
    cli, _ = netenv.container("cli", ["/bin/sleep", "600"], "tnet-x")
    other, _ = netenv.container("other", ["/bin/sleep", "600"], "tnet-y")
    assert nc_from(netenv, cli, rs["address"]) == "hello-x"
    # another network: routed through the host, dropped by the capsa table's forward chain
    assert nc_from(netenv, other, rs["address"], tries=2) is None
    # but it reaches the outside of its own network (its gateway answers pings of the host's address)
    assert netenv.exec(other, "ip route | grep -q 'default via 10.251.5.1'").returncode == 0


def test_name_resolution_on_user_network(netenv, tmp_path):
    """Through the network's DNS server (netctl dns: capsa_net_dns_serve), not the hosts files:
    the first container's file is not rewritten when the second comes."""
    netenv.network("tnet-n", "--subnet", "10.251.6.0/24")
    srv, rs = netenv.server("web", "tnet-n", "hello-by-name")
    hosts_before = (rs["etc"] / "hosts").read_text()
    cli, rc = netenv.container("client", ["/bin/sleep", "600"], "tnet-n")
    assert (rs["etc"] / "hosts").read_text() == hosts_before
    assert (rc["etc"] / "resolv.conf").read_text().startswith("nameserver 10.251.6.1\n")
    dns = subprocess.Popen([str(NETCTL), "--state", str(netenv.state), "--table", TABLE, "dns", "tnet-n",
                            str(tmp_path / "dns.pid"), "/dev/null"], stdout=subprocess.PIPE, text=True)
    try:
        assert dns.stdout.read() == "0", "the server reports it serves"
        assert nc_from(netenv, cli, srv) == "hello-by-name"  # by container id
        assert nc_from(netenv, cli, "web-alias") == "hello-by-name"  # by the name given apart from the id
        netenv.netctl("detach", "tnet-n", cli)
        netenv.netctl("detach", "tnet-n", srv)
        assert dns.wait(timeout=5) == 0, "the server leaves with the network's last container"
    finally:
        if dns.poll() is None:
            dns.kill()
            dns.wait()


def test_masquerade_to_outside(netenv):
    ns = netenv.outside()
    netenv.network("tnet-o", "--subnet", "10.251.7.0/24")
    cid, r = netenv.container("out", ["/bin/sleep", "600"], "tnet-o")
    server = subprocess.Popen(
        ["ip", "netns", "exec", ns, "python3", "-c",
         "import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
         "s.bind(('172.31.250.2', 9000)); s.listen(); print('ready', flush=True)\n"
         "c, a = s.accept(); c.sendall((a[0] + '\\n').encode()); c.close()"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
        seen = nc_from(netenv, cid, "172.31.250.2", 9000, tries=3)
        # the outside sees the host's address, not the container's
        assert seen == "172.31.250.1", seen
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.kill()
        server.wait()


def test_published_port(netenv):
    net = netenv.network("tnet-p", "--subnet", "10.251.8.0/24")
    srv, rs = netenv.server("pub", "tnet-p", "hello-published", "--publish", "18931:8080")
    assert connect("127.0.0.1", 18931) == "hello-published"  # the host itself, localhost
    assert connect(net["gateway"], 18931) == "hello-published"  # the host's bridge address
    # hairpin: a container of the same network through the host's address
    cli, _ = netenv.container("hairpin", ["/bin/sleep", "600"], "tnet-p")
    assert nc_from(netenv, cli, net["gateway"], 18931) == "hello-published"
    # a second publisher of the same host port is refused
    p = netenv.netctl("attach", "tnet-p", "dup", str(os.getpid()), "--publish", "18931:80", check=False)
    assert p.returncode != 0 and "already published" in p.stderr
    netenv.netctl("detach", "tnet-p", srv)
    assert connect("127.0.0.1", 18931, timeout=0.5) is None
    assert "18931" not in sh("nft", "list", "table", "inet", TABLE).stdout


def test_published_port_from_outside(netenv):
    ns = netenv.outside()
    netenv.network("tnet-q", "--subnet", "10.251.9.0/24")
    netenv.server("pubo", "tnet-q", "hello-outside", "--publish", "18932:8080", "--publish", "127.0.0.1:18933:8080")
    assert connect("127.0.0.1", 18933) == "hello-outside"  # (retried: the server is listening after this)
    out = sh("ip", "netns", "exec", ns, "python3", "-c",
             "import socket\nfor p in (18932, 18933):\n"
             "    try:\n        s = socket.create_connection(('172.31.250.1', p), timeout=3); print(p, s.recv(100).decode().strip())\n"
             "    except OSError as e:\n        print(p, 'refused')").stdout.split("\n")
    assert out[0] == "18932 hello-outside"
    assert out[1] == "18933 refused"  # published on 127.0.0.1 only
    assert connect("127.0.0.1", 18933) == "hello-outside"


def test_default_network(netenv):
    if "capsa0" in sh("ip", "-o", "link").stdout:
        pytest.skip("a capsa0 bridge exists already on this host")
    netenv.networks.append("bridge")
    cid, r = netenv.container("dflt", ["/bin/sleep", "600"], "bridge")
    net = json.loads(netenv.netctl("network", "inspect", "bridge").stdout)
    # the first free range of docker's default address pools (172.17.0.0/16 unless the host has it)
    assert net["subnet"].startswith("172.") or net["subnet"].startswith("192.168."), net
    base = net["subnet"].rsplit(".", 2)[0]
    assert r["bridge"] == "capsa0" and r["address"].startswith(base + ".") and r["gateway"] == net["gateway"]
    assert "bridge" in netenv.netctl("network", "ls").stdout.split()
    assert net["dns"] is False
    netenv.netctl("detach", "bridge", cid)
    netenv.netctl("network", "rm", "bridge")
    assert netenv.leftovers([net]) == []


def test_table_restored_by_an_attach(netenv):
    """An attach without published ports leaves the table alone, unless it is gone (a flush, a
    reboot with the state kept): then the attach makes it again."""
    netenv.network("tnet-r", "--subnet", "10.251.19.0/24")
    sh("nft", "delete", "table", "inet", TABLE)
    netenv.container("again", ["/bin/sleep", "600"], "tnet-r")
    assert "ip saddr 10.251.19.0/24 oifname != @bridges masquerade" in sh("nft", "list", "table", "inet", TABLE).stdout


def test_errors(netenv):
    p = netenv.netctl("network", "create", "bad/name", check=False)
    assert p.returncode == 1 and "network name" in p.stderr
    netenv.network("tnet-e", "--subnet", "10.251.10.0/24")
    p = netenv.netctl("network", "create", "tnet-e2", "--subnet", "10.251.10.128/25", check=False)
    assert "overlaps" in p.stderr
    p = netenv.netctl("attach", "nosuch", "x", str(os.getpid()), check=False)
    assert "network `nosuch` does not exist" in p.stderr
    p = netenv.netctl("attach", "tnet-e", "x", str(os.getpid()), "--publish", "70000:80", check=False)
    assert "port `70000:80`" in p.stderr


# ---- IPv6 (dual stack) ----------------------------------------------------------------------------

def ipv6_state(netenv, cid):
    return netenv.exec(cid, "ip -6 -o addr show eth0; ip -6 route", check=True).stdout


def test_ipv6_addresses_routes_and_cleanup(netenv):
    if not FORWARD6.exists():
        pytest.skip("IPv6 is off on this host (no /proc/sys/net/ipv6)")
    net = netenv.network("tnet-6a", "--subnet", "10.251.11.0/24", "--subnet6", "fd7c:11::/64")
    assert net["subnet6"] == "fd7c:11::/64" and net["gateway6"] == "fd7c:11::1" and net["ipv6"] is True
    cid, r = netenv.container("six", ["/bin/sleep", "600"], "tnet-6a")
    assert r["address"] == "10.251.11.2" and r["address6"] == "fd7c:11::2" and r["prefixlen6"] == 64
    assert r["gateway6"] == "fd7c:11::1"
    out = ipv6_state(netenv, cid)
    line = next(l for l in out.splitlines() if "fd7c:11::2/64" in l)
    # usable at once: no DAD (IFA_F_NODAD, which busybox's ip prints as "flags 02")
    assert "tentative" not in line and ("nodad" in line or "flags 02" in line), out
    assert "default via fd7c:11::1 dev eth0" in out, out
    bridge6 = sh("ip", "-6", "-o", "addr", "show", "dev", net["bridge"]).stdout
    assert "fd7c:11::1/64" in bridge6 and "tentative" not in bridge6.split("fd7c:11::1/64")[1].split("\n")[0]
    assert FORWARD6.read_text().strip() == "1"
    # the IPAM hands out the next v6 address, an asked-for one, and refuses a taken one
    cid2, r2 = netenv.container("seven", ["/bin/sleep", "600"], "tnet-6a", "--ip6", "fd7c:11::abcd")
    assert r2["address6"] == "fd7c:11::abcd"
    p = netenv.netctl("attach", "tnet-6a", "x", str(os.getpid()), "--ip6", "fd7c:11::abcd", check=False)
    assert p.returncode != 0 and "in use" in p.stderr
    p = netenv.netctl("attach", "tnet-6a", "x", str(os.getpid()), "--ip6", "fd7c:12::5", check=False)
    assert p.returncode != 0 and "not in subnet" in p.stderr
    # /etc/hosts: both families, for the container itself (its peers: the network's DNS server)
    hosts = (r["etc"] / "hosts").read_text()
    assert "10.251.11.2\tsix" in hosts and "fd7c:11::2\tsix" in hosts and "fd7c:11::abcd" not in hosts
    assert "fd7c:11::abcd\tseven" in (r2["etc"] / "hosts").read_text()
    # a network with --ipv6 alone gets a random unique local /64 (RFC 4193)
    auto = netenv.network("tnet-6auto", "--subnet", "10.251.13.0/24", "--ipv6")
    assert auto["subnet6"].startswith("fd") and auto["subnet6"].endswith("::/64"), auto
    assert auto["gateway6"] == auto["subnet6"].replace("::/64", "::1")
    # a v6 subnet clashing with a network's or the host's is refused
    p = netenv.netctl("network", "create", "tnet-6x", "--subnet6", "fd7c:11::/80", check=False)
    assert p.returncode != 0 and "overlaps" in p.stderr
    netenv.netctl("detach", "tnet-6a", cid)
    netenv.netctl("detach", "tnet-6a", cid2)
    netenv.netctl("network", "rm", "tnet-6a")
    netenv.netctl("network", "rm", "tnet-6auto")
    assert netenv.leftovers([net, auto]) == []


def test_ipv6_container_to_container_and_isolation(netenv):
    if not FORWARD6.exists():
        pytest.skip("IPv6 is off on this host (no /proc/sys/net/ipv6)")
    netenv.network("tnet-6x", "--subnet", "10.251.14.0/24", "--subnet6", "fd7c:14::/64")
    netenv.network("tnet-6y", "--subnet", "10.251.15.0/24", "--subnet6", "fd7c:15::/64")
    srv, rs = netenv.server("srv6", "tnet-6x", "hello-six")
    cli, _ = netenv.container("cli6", ["/bin/sleep", "600"], "tnet-6x")
    other, _ = netenv.container("other6", ["/bin/sleep", "600"], "tnet-6y")
    assert nc_from(netenv, cli, rs["address6"]) == "hello-six"
    # routed through the host, dropped by the forward chain: both families
    assert nc_from(netenv, other, rs["address6"], tries=2) is None
    assert nc_from(netenv, other, rs["address"], tries=2) is None


def test_ipv6_masquerade_to_outside(netenv):
    if not FORWARD6.exists():
        pytest.skip("IPv6 is off on this host (no /proc/sys/net/ipv6)")
    ns = netenv.outside()
    netenv.network("tnet-6o", "--subnet", "10.251.16.0/24", "--subnet6", "fd7c:16::/64")
    cid, r = netenv.container("out6", ["/bin/sleep", "600"], "tnet-6o")
    server = subprocess.Popen(
        ["ip", "netns", "exec", ns, "python3", "-c",
         "import socket\ns=socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
         "s.bind(('fd7d:250::2', 9000)); s.listen(); print('ready', flush=True)\n"
         "c, a = s.accept(); c.sendall((a[0] + '\\n').encode()); c.close()"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
        seen = nc_from(netenv, cid, "fd7d:250::2", 9000, tries=3)
        # the outside sees the host's address, not the container's fd7c:16::2
        assert seen == "fd7d:250::1", seen
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.kill()
        server.wait()


def test_ipv6_published_port_from_outside(netenv):
    if not FORWARD6.exists():
        pytest.skip("IPv6 is off on this host (no /proc/sys/net/ipv6)")
    ns = netenv.outside()
    netenv.network("tnet-6p", "--subnet", "10.251.17.0/24", "--subnet6", "fd7c:17::/64")
    p = netenv.netctl("attach", "tnet-6p", "lo6", str(os.getpid()), "--publish", "[::1]:18939:80", check=False)
    assert p.returncode != 0 and "::1 cannot be forwarded" in p.stderr
    netenv.server("pub6", "tnet-6p", "hello-six-outside", "--publish", "18936:8080",
                  "--publish", "127.0.0.1:18937:8080", "--publish", "[fd7d:250::1]:18938:8080")
    client = ("import socket\nfor h, p in (('fd7d:250::1', 18936), ('172.31.250.1', 18936), ('fd7d:250::1', 18937),"
              " ('fd7d:250::1', 18938), ('172.31.250.1', 18938)):\n"
              "    try:\n        s = socket.create_connection((h, p), timeout=3); print(h, p, s.recv(100).decode().strip())\n"
              "    except OSError as e:\n        print(h, p, 'refused')")
    # the host itself, on its IPv6 address (retried: the server is listening after this)
    assert connect("fd7d:250::1", 18936) == "hello-six-outside"
    out = sh("ip", "netns", "exec", ns, "python3", "-c", client).stdout.splitlines()
    assert out == ["fd7d:250::1 18936 hello-six-outside", "172.31.250.1 18936 hello-six-outside",
                   "fd7d:250::1 18937 refused",  # published on 127.0.0.1 only: IPv4 only
                   "fd7d:250::1 18938 hello-six-outside", "172.31.250.1 18938 refused"], out  # IPv6 only
    rules = sh("nft", "list", "table", "inet", TABLE).stdout
    assert "dnat ip6 to [fd7c:17::2]:8080" in rules and "ip6 saddr fd7c:17::/64" in rules, rules


def test_ipv6_port_needs_an_ipv6_network(netenv):
    netenv.network("tnet-4only", "--subnet", "10.251.18.0/24")
    p = netenv.netctl("attach", "tnet-4only", "x", str(os.getpid()), "--publish", "[fd7d::1]:18940:80", check=False)
    assert p.returncode != 0 and "has no IPv6" in p.stderr
    p = netenv.netctl("attach", "tnet-4only", "x", str(os.getpid()), "--ip6", "fd7d::9", check=False)
    assert p.returncode != 0 and "has no IPv6" in p.stderr
