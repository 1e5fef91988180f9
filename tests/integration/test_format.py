"""--format and --filter against docker 20.10 (issue 18, items 1-3): the same images, containers,
volumes and networks made in a private dockerd (test_dockerd's fixture: its own roots, socket and
pidfile, stopped at the end) and in capsa; the table headers, the JSON keys and what each filter
keeps must be docker's.  Only `create` (no container runs), with --network none: the daemon has
no bridge."""
import json
import re
import time

import pytest

from test_cli_run import capsa  # noqa: F401 (a fixture)
from test_dockerd import IMAGE, docker  # noqa: F401 (a fixture)

NAMES = ("busybox:latest", "me/bb:1", IMAGE)


@pytest.fixture(scope="module")
def docker_objects(docker):  # noqa: F811
    """In dockerd: the image under NAMES, containers f1 (label a=1) then f2, volumes and a network."""
    for n in NAMES[:2]:
        docker("tag", IMAGE, n)
    docker("create", "--name", "f1", "--network", "none", "--label", "a=1", IMAGE, "true")
    docker("create", "--name", "f2", "--network", "none", "-v", "fv1:/data", IMAGE, "sleep", "1")
    docker("volume", "create", "--label", "k=v", "fv2")
    docker("network", "create", "--driver", "bridge", "fnet")
    yield docker
    docker("rm", "-f", "f1", "f2", check=False)
    docker("volume", "rm", "fv1", "fv2", check=False)
    docker("network", "rm", "fnet", check=False)


@pytest.fixture
def both(capsa, docker_objects):  # noqa: F811
    """The same in capsa; yields (capsa, docker) and removes capsa's at the end."""
    for n in NAMES[1:]:
        capsa("tag", "busybox", n)
    capsa("create", "--name", "f1", "--network", "none", "--label", "a=1", "busybox", "true")
    capsa("create", "--name", "f2", "--network", "none", "-v", "fv1:/data", "busybox", "sleep", "1")
    capsa("volume", "create", "--label", "k=v", "fv2")
    capsa("network", "create", "fnet")
    yield capsa, docker_objects
    capsa("rm", "-f", "-v", "f1", "f2", check=False)
    capsa("volume", "rm", "-f", "fv1", "fv2", check=False)
    capsa("network", "rm", "-f", "fnet", check=False)


def lines(p):
    return p.stdout.splitlines()


def header(p):
    """a table's header cells (the widths follow the rows, which differ)"""
    return re.split(r"\s{3,}", lines(p)[0])


def test_tables_and_json_keys(both):
    c, d = both
    fmt = "table {{.Names}}\\t{{.Status}}\\t{{.Command}}"
    assert lines(c("ps", "-a", "--format", fmt)) == lines(d("ps", "-a", "--format", fmt))
    fmt = "table {{.ID}}\\t{{.Image}}\\t{{.RunningFor}}\\t{{.Ports}}\\t{{.Labels}}\\t{{.Mounts}}"
    assert header(c("ps", "-a", "--format", fmt)) == header(d("ps", "-a", "--format", fmt))
    dk = [json.loads(l) for l in lines(d("ps", "-a", "--format", "{{json .}}"))]
    ck = [json.loads(l) for l in lines(c("ps", "-a", "--format", "{{json .}}"))]
    assert [sorted(x) for x in ck] == [sorted(x) for x in dk]
    assert [(x["Names"], x["State"], x["Labels"], x["Mounts"], x["LocalVolumes"]) for x in ck] == \
        [(x["Names"], x["State"], x["Labels"], x["Mounts"], x["LocalVolumes"]) for x in dk]
    assert [json.loads(l) for l in lines(c("ps", "-a", "--format", "json"))] == ck  # (docker 23's keyword)
    fmt = 'table {{.Names}}\t{{.Label "a"}}|{{printf "%-4s|%3.1s" .State .Names}}|{{upper .Names | lower}}'
    assert lines(c("ps", "-a", "--format", fmt)) == lines(d("ps", "-a", "--format", fmt))
    fmt = "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}\\t{{.Digest}}"
    assert header(c("images", "--format", fmt)) == header(d("images", "--format", fmt))
    fmt = "table {{.Repository}}:{{.Tag}}"
    cr, dr = lines(c("images", "--format", fmt)), lines(d("images", "--format", fmt))
    assert cr[0] == dr[0] == "REPOSITORY:TAG" and sorted(cr[1:]) == sorted(dr[1:])
    dk = json.loads(lines(d("images", "--format", "{{json .}}"))[0])
    ck = json.loads(lines(c("images", "--format", "json"))[0])
    assert sorted(ck) == sorted(dk)
    assert {k: ck[k] for k in ("Containers", "Digest", "SharedSize", "UniqueSize")} == \
        {k: dk[k] for k in ("Containers", "Digest", "SharedSize", "UniqueSize")}
    for args in [("volume", "ls", "--format", "table {{.Name}}\\t{{.Driver}}\\t{{.Labels}}", "-f", "name=fv"),
                 ("network", "ls", "--format", "table {{.Name}}\\t{{.Driver}}\\t{{.Scope}}", "-f", "name=fnet")]:
        assert lines(c(*args)) == lines(d(*args)), args
    for args in [("volume", "ls", "--format", "{{json .}}"), ("network", "ls", "--format", "{{json .}}")]:
        assert sorted(json.loads(lines(c(*args))[0])) == sorted(json.loads(lines(d(*args))[0])), args
    for args in [("version", "--format", "{{json .}}")]:
        assert sorted(json.loads(c(*args).stdout)) == sorted(json.loads(d(*args).stdout))
    assert c("info", "--format", "{{.Containers}} {{.ContainersStopped}} {{.Images}}").stdout == "2 2 1\n"


def test_network_ls_quiet_prints_ids_and_ps_header(both):
    """network ls -q: ids (12 characters; --no-trunc 64), host and none too, as docker's; the
    default ps table's header is docker's, byte for byte."""
    c, d = both
    for extra, n in (((), 12), (("--no-trunc",), 64)):
        ids = lines(c("network", "ls", "-q", *extra))
        assert ids == lines(c("network", "ls", "--format", "{{.ID}}", *extra))
        assert all(re.fullmatch(r"[0-9a-f]{%d}" % n, i) for i in ids), ids
        assert all(re.fullmatch(r"[0-9a-f]{%d}" % n, i) for i in lines(d("network", "ls", "-q", *extra)))
    assert len(lines(c("network", "ls", "-q", "-f", "name=fnet"))) == 1 == len(lines(d("network", "ls", "-q", "-f",
                                                                                        "name=fnet")))
    assert c("network", "ls", "-q", "-f", "name=fnet").stdout.strip() == \
        c("network", "inspect", "-f", "{{.Id}}", "fnet").stdout.strip()[:12]
    assert lines(c("ps")) == lines(d("ps"))  # (no running container: the header alone)


FILTERS = [
    ("ps", "-a", "--format", "{{.Names}}", "--filter", "label=a=1"),
    ("ps", "-a", "--format", "{{.Names}}", "--filter", "label=a"),
    ("ps", "-a", "--format", "{{.Names}}", "--filter", "name=f"),
    ("ps", "-a", "--format", "{{.Names}}", "--filter", "before=f2"),
    ("ps", "-a", "--format", "{{.Names}}", "--filter", "since=f1"),
    ("ps", "-a", "--format", "{{.Names}}", "--filter", "status=created"),
    ("ps", "-a", "--format", "{{.Names}}", "--filter", "volume=fv1"),
    ("ps", "-a", "--format", "{{.Names}}", "--filter", "volume=/data"),
    ("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=busybox:*"),
    ("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=me/*"),
    ("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=*/*:latest"),
    ("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "dangling=true"),
    ("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "dangling=false"),
    ("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "label=nope"),
    ("volume", "ls", "--format", "{{.Name}}", "--filter", "label=k=v"),
    ("volume", "ls", "--format", "{{.Name}}", "--filter", "name=fv"),
    ("volume", "ls", "--format", "{{.Name}}", "--filter", "dangling=true"),
    ("volume", "ls", "--format", "{{.Name}}", "--filter", "dangling=false"),
    ("network", "ls", "--format", "{{.Name}}", "--filter", "type=custom"),
    ("network", "ls", "--format", "{{.Name}}", "--filter", "name=fne"),
    ("network", "ls", "--format", "{{.Name}}", "--filter", "dangling=true"),
    ("network", "ls", "--format", "{{.Name}}", "--filter", "driver=bridge"),
]


def test_filters_keep_what_docker_keeps(both):
    c, d = both
    for args in FILTERS:
        # (the capsa machine may hold its default network `bridge`; dockerd here has none)
        got = sorted(set(lines(c(*args))) - {"bridge"})
        want = sorted(set(lines(d(*args))) - {"bridge"})
        assert got == want, args


def test_errors_exit_125(both):
    c, d = both
    for args in [("ps", "-a", "--format", "{{.Nope}}"), ("ps", "--format", "{{if}}"),
                 ("images", "--format", "{{.Repository"), ("ps", "--filter", "nope=1"),
                 ("images", "--filter", "nope=1"), ("volume", "ls", "--filter", "nope=1"),
                 ("network", "ls", "--filter", "nope=1"), ("images", "--filter", "dangling=maybe"),
                 ("container", "prune", "-f", "--filter", "until=soon")]:
        p, q = c(*args, check=False), d(*args, check=False)
        assert p.returncode == 125 and p.stdout == "" and p.stderr, (args, p)
        assert q.returncode != 0, (args, q)
    p = c("ps", "-a", "--format", "{{.Names}} {{.Nope}}", check=False)
    assert "template: :1:13: executing" in p.stderr and "can't evaluate field Nope" in p.stderr


def test_prune_filters(capsa):  # noqa: F811
    capsa("create", "--name", "keep", "--label", "keep=1", "busybox", "true")
    capsa("create", "--name", "drop", "busybox", "true")
    assert "Deleted Containers" not in capsa("container", "prune", "-f", "--filter", "until=1h").stdout
    capsa("container", "prune", "-f", "--filter", "label!=keep")
    assert capsa("ps", "-a", "--format", "{{.Names}}").stdout == "keep\n"
    capsa("container", "prune", "-f", "--filter", "until=2000-01-01T00:00:00Z")
    assert capsa("ps", "-a", "--format", "{{.Names}}").stdout == "keep\n"
    soon = str(int(time.time()) + 60)  # a unix time: made before it
    capsa("container", "prune", "-f", "--filter", "label=keep=1", "--filter", f"until={soon}")
    assert capsa("ps", "-a", "--format", "{{.Names}}").stdout == ""
    capsa("volume", "create", "--label", "x=1", "pv1")
    capsa("volume", "create", "pv2")
    capsa("volume", "prune", "-f", "--filter", "label=x")
    assert capsa("volume", "ls", "-q").stdout == "pv2\n"
    capsa("volume", "rm", "pv2")
