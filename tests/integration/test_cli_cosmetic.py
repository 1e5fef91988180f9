"""What `ps` and `images` show, as docker shows it: newest first, the COMMAND column aligned by
display width, docker's human durations ("About a minute ago", "1 second")."""
import datetime
import json

from test_cli_run import capsa  # noqa: F401  (the fixture)


def _set_created(capsa, name, seconds_ago):
    cid = capsa.inspect(name)["Id"]
    p = capsa.root / "containers" / cid / "container.json"
    meta = json.loads(p.read_text())
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=seconds_ago)
    meta["Created"] = t.strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
    p.write_text(json.dumps(meta))
    # a record changed behind capsa's back: run.json's Brief (what a plain ps reads) goes null
    # with it, as ctr_meta_write leaves it while it writes container.json
    r = p.parent / "run.json"
    r.write_text(json.dumps(dict(json.loads(r.read_text()), Brief=None)))


def test_ps_newest_first_and_human_durations(capsa):
    try:
        _ps_order(capsa)
    finally:
        capsa("rm", "-f", "old1", "mid2", "new3", check=False)


def _ps_order(capsa):
    for n in ("old1", "mid2", "new3"):
        capsa("create", "--name", n, "busybox", "true")
    _set_created(capsa, "old1", 70)
    rows = capsa("ps", "-a").stdout.splitlines()[1:]
    names = [r.split()[-1] for r in rows]
    assert names == ["new3", "mid2", "old1"], rows
    assert "About a minute ago" in rows[2], rows
    assert [c["Names"] for c in capsa.ps()] == ["new3", "mid2", "old1"]
    _set_created(capsa, "mid2", 60 * 60 * 24 * 3)
    assert "3 days ago" in capsa("ps", "-a").stdout


def test_ps_command_column_aligned_by_display_width(capsa):
    try:
        _columns(capsa)
    finally:
        capsa("rm", "-f", "plain", "multi", "short", check=False)


def _columns(capsa):
    capsa("create", "--name", "plain", "busybox", "echo", "aaaaaaaaaaaaaaaaaaaaaaaaaa")
    capsa("create", "--name", "multi", "busybox", "echo", "ééééééééééééééééééééééé")
    capsa("create", "--name", "short", "busybox", "echo", "ü")
    out = capsa("ps", "-a").stdout.splitlines()
    col = out[0].index("CREATED")
    for line in out[1:]:
        # every character here is one column wide: the string index is the display column
        assert line[col - 3:col] == "   " and line[col] != " ", out
    assert "…" in "\n".join(out) and "\ufffd" not in "\n".join(out), out


def test_prunes_ask_for_confirmation(capsa):
    """docker: without -f a prune asks, reading the answer from stdin (a tty or not); "N" or no
    answer removes nothing; -f does not ask; the space reclaimed is printed."""
    try:
        capsa("run", "--name", "stopped1", "busybox", "true")
        for cmd in (("container", "prune"), ("system", "prune"), ("image", "prune"), ("volume", "prune")):
            p = capsa(*cmd)  # stdin: /dev/null, no answer
            assert "WARNING! This will remove" in p.stdout and "[y/N]" in p.stdout, (cmd, p.stdout)
            p = capsa(*cmd, input="n\n", stdin=None)
            assert "Are you sure you want to continue? [y/N]" in p.stdout, (cmd, p.stdout)
        assert [c["Names"] for c in capsa.ps()] == ["stopped1"]
        p = capsa("container", "prune", input="y\n", stdin=None)
        assert capsa.ps() == [] and "[y/N]" in p.stdout
        assert "Deleted Containers:" in p.stdout and "Total reclaimed space: " in p.stdout, p.stdout
        capsa("run", "--name", "stopped2", "busybox", "true")
        p = capsa("system", "prune", "-f")
        assert "WARNING" not in p.stdout and p.stdout.count("Total reclaimed space:") == 1, p.stdout
        assert capsa.ps() == []
        assert "WARNING" not in capsa("image", "prune", "--force").stdout
        # docker: a created (never started) container is pruned too; volume prune totals its space
        capsa("create", "--name", "created1", "busybox", "true")
        capsa("volume", "create", "prunev")
        capsa("run", "--rm", "-v", "prunev:/d", "busybox", "dd", "if=/dev/zero", "of=/d/f", "bs=1024", "count=2048")
        assert capsa.ps() != []
        capsa("container", "prune", "-f")
        assert capsa.ps() == []
        p = capsa("volume", "prune", "-f")
        assert "Deleted Volumes:\nprunev\n" in p.stdout and "Total reclaimed space: 2" in p.stdout, p.stdout
    finally:
        capsa("rm", "-f", "stopped1", "stopped2", "created1", check=False)
        capsa("volume", "rm", "-f", "prunev", check=False)


def test_system_df_counts_volumes(capsa):
    try:
        capsa("volume", "create", "dfv1")
        capsa("volume", "create", "dfv2")
        capsa("create", "--name", "dfc", "-v", "dfv1:/data", "busybox", "true")
        line = [l for l in capsa("system", "df").stdout.splitlines() if l.startswith("Local Volumes")][0]
        assert line.split()[2:4] == ["2", "1"], line
    finally:
        capsa("rm", "-f", "dfc", check=False)
        capsa("volume", "rm", "-f", "dfv1", "dfv2", check=False)


def test_network_host_hostname_is_the_hosts(capsa):
    """docker: under --network host the container's hostname is the host's (-h still wins)."""
    import socket
    out = capsa("run", "--rm", "--network", "host", "busybox", "hostname").stdout.strip()
    assert out == socket.gethostname(), out
    assert capsa("run", "--rm", "--network", "host", "-h", "mine", "busybox", "hostname").stdout.strip() == "mine"


def test_top_shows_user_names_from_the_containers_passwd(capsa):
    try:
        capsa("run", "-d", "--name", "topr", "busybox", "sleep", "30")
        capsa("exec", "topr", "sh", "-c", "echo 'capsauser:x:4242:4242::/:/bin/sh' >> /etc/passwd")
        capsa("exec", "-d", "-u", "4242", "topr", "sleep", "30")
        rows = capsa("top", "topr").stdout.splitlines()[1:]
        users = {r.split()[0] for r in rows}
        assert "root" in users and "capsauser" in users, rows
        # a symlink to a host file is followed inside the container's root, never on the host
        capsa("exec", "topr", "sh", "-c", "rm /etc/passwd && ln -s /../../../../etc/passwd /etc/passwd")
        rows = capsa("top", "topr").stdout.splitlines()[1:]
        assert {r.split()[0] for r in rows} <= {"0", "4242"}, rows
    finally:
        capsa("rm", "-f", "topr", check=False)
