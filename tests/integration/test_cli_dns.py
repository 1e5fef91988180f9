"""Name resolution between containers of a user network, through the network's DNS server (its
gateway; tests/integration/test_dns.py tests the server itself): `rename` and `network connect`
are seen by every peer at once (docker), and no peer's /etc/hosts is rewritten."""
from test_cli_run import capsa  # noqa: F401  (the fixture)


def _hosts(capsa, name):
    return capsa("exec", name, "cat", "/etc/hosts").stdout


def _resolves(capsa, who, target):
    """who resolves target (busybox's nslookup, through who's resolv.conf)."""
    p = capsa("exec", who, "nslookup", "-type=a", target, check=False)
    return p.returncode == 0 and "Name:" in p.stdout


def test_rename_and_connect_update_peers_hosts(capsa):
    capsa("network", "create", "--subnet", "10.99.41.0/24", "dnsnet")
    try:
        capsa("run", "-d", "--name", "da", "--network", "dnsnet", "busybox", "sleep", "60")
        capsa("run", "-d", "--name", "db", "--network", "dnsnet", "busybox", "sleep", "60")
        assert _resolves(capsa, "da", "db") and _resolves(capsa, "db", "da")
        capsa("rename", "db", "dbnew")
        assert _resolves(capsa, "da", "dbnew"), _hosts(capsa, "da")
        assert not _resolves(capsa, "da", "db"), _hosts(capsa, "da")
        assert _resolves(capsa, "dbnew", "dbnew"), _hosts(capsa, "dbnew")
        p = capsa("exec", "da", "ping", "-c1", "-W2", "dbnew", check=False)
        assert p.returncode == 0, p.stdout + p.stderr
        # a third container, on another network, connected to dnsnet
        capsa("run", "-d", "--name", "dc", "busybox", "sleep", "60")
        capsa("network", "connect", "dnsnet", "dc")
        assert _resolves(capsa, "dc", "da") and _resolves(capsa, "dc", "dbnew"), _hosts(capsa, "dc")
        assert _resolves(capsa, "da", "dc") and _resolves(capsa, "dbnew", "dc"), _hosts(capsa, "da")
        p = capsa("exec", "dc", "ping", "-c1", "-W2", "da", check=False)
        assert p.returncode == 0, p.stdout + p.stderr
        capsa("network", "disconnect", "dnsnet", "dc")
        assert not _resolves(capsa, "dc", "da"), _hosts(capsa, "dc")
        assert not _resolves(capsa, "da", "dc"), _hosts(capsa, "da")
    finally:
        for n in ("da", "db", "dbnew", "dc"):
            capsa("rm", "-f", n, check=False)
        capsa("network", "rm", "-f", "dnsnet", check=False)
        capsa("network", "rm", "-f", "bridge", check=False)


def test_network_alias(capsa):
    """--network-alias (repeatable): peers resolve the container by each alias (and reach it);
    inspect shows them with the short id, as dockerd; refused on the default bridge."""
    p = capsa("run", "--rm", "--network-alias", "x", "busybox", "true", check=False)
    assert p.returncode == 125, p.stdout + p.stderr
    assert "network-scoped alias is supported only for containers in user defined networks" in p.stderr
    capsa("network", "create", "--subnet", "10.99.42.0/24", "aliasnet")
    try:
        capsa("run", "-d", "--name", "aw", "--network", "aliasnet", "--network-alias", "web",
              "--network-alias", "www", "busybox", "sleep", "60")
        capsa("run", "-d", "--name", "ac", "--network", "aliasnet", "busybox", "sleep", "60")
        assert _resolves(capsa, "ac", "web") and _resolves(capsa, "ac", "www"), _hosts(capsa, "ac")
        p = capsa("exec", "ac", "ping", "-c1", "-W2", "www", check=False)
        assert p.returncode == 0, p.stdout + p.stderr
        cid = capsa("inspect", "-f", "{{.Id}}", "aw").stdout.strip()
        al = capsa("inspect", "-f", "{{json .NetworkSettings.Networks.aliasnet.Aliases}}", "aw").stdout.strip()
        assert al == '["web","www","%s"]' % cid[:12], al
    finally:
        for n in ("aw", "ac"):
            capsa("rm", "-f", n, check=False)
        capsa("network", "rm", "-f", "aliasnet", check=False)
        capsa("network", "rm", "-f", "bridge", check=False)
