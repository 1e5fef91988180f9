"""Events, as complete as docker's (issue 18 item 7): image pull/tag/untag/delete/import/load/save
(written by the image store's operations: src/lib/base/eventlog.c), container oom (before die),
exec_create/exec_start/exec_die, attach, commit and update.  Each appears in `capsa events --since
--until` and in a `capsa events` already running; their Type, Action, Actor.ID and Attributes are
compared with what a private dockerd 20.10 (test_dockerd's fixture) logs for the same commands."""
import io
import json
import re
import select
import subprocess
import tarfile
import time

import pytest

from test_cli_run import capsa  # noqa: F401  (the fixture)
from test_dockerd import IMAGE as DOCKER_IMAGE
from test_dockerd import docker  # noqa: F401  (the fixture: a private dockerd 20.10)

MEMHOG = "x=a; while true; do x=$x$x; done"  # doubles a shell string until the cgroup kills it
HEX = re.compile(r"(sha256:)?[0-9a-f]{64}")
NEW = ("exec_create", "exec_start", "exec_die", "pause", "unpause", "update", "attach", "commit", "oom")


@pytest.fixture(autouse=True)
def _remove_containers(capsa):  # noqa: F811
    yield
    ids = capsa("ps", "-aq").stdout.split()
    if ids:
        capsa("rm", "-f", *ids)


def now():
    """A time after everything before it (the fixture's image set-up logs tags too)."""
    time.sleep(0.2)
    return time.time()


def span(t0):
    return ["--since", f"{t0:.3f}", "--until", f"{time.time() + 0.2:.3f}"]


def events(tool, t0, *args):
    """The events from t0 to now ({{json .}}), parsed."""
    out = tool("events", *span(t0), "--format", "{{json .}}", *args, timeout=30).stdout
    return [json.loads(line) for line in out.splitlines()]


def shape(ev, image):
    """(Type, Action, Actor.ID, Attributes), ids as <id> and the image's name as IMAGE."""
    def norm(v):
        return HEX.sub("<id>", v).replace(image, "IMAGE")
    attrs = {k: norm(v) for k, v in ev["Actor"]["Attributes"].items()}
    return ev["Type"], norm(ev["Action"]), norm(ev["Actor"]["ID"]), attrs


def rootfs_tar(path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        ti = tarfile.TarInfo("hello.txt")
        ti.size = 3
        t.addfile(ti, io.BytesIO(b"hi\n"))
    path.write_bytes(buf.getvalue())
    return path


def image_steps(tool, image, tmp):
    tool("tag", image, "evimg:1")
    tool("tag", image, "evimg:2")
    tool("rmi", "evimg:2")
    tool("save", "-o", tmp / "s.tar", "evimg:1")
    tool("rmi", "evimg:1")
    tool("load", "-i", tmp / "s.tar")
    tool("rmi", "evimg:1")
    tool("import", rootfs_tar(tmp / "rootfs.tar"), "evimp:1")
    tool("rmi", "evimp:1")


def ctr_steps(tool, image):
    tool("run", "-d", "--name", "evc", "--label", "k=v", image, "sleep", "100")
    assert tool("exec", "evc", "sh", "-c", "exit 3", check=False).returncode == 3
    tool("pause", "evc")
    tool("unpause", "evc")
    tool("update", "--cpu-shares", "512", "evc")
    tool("rm", "-f", "evc")
    tool("create", "--name", "eva", image, "echo", "hi")
    assert tool("start", "-a", "eva").stdout == "hi\n"
    tool("commit", "eva", "evcommit:1")
    tool("rm", "eva")
    tool("rmi", "evcommit:1")


def new_events(evs, image):
    """The shapes of the image events and of the container events this round added."""
    return [shape(e, image) for e in evs
            if e["Type"] == "image" or e["Action"].split(":")[0] in NEW]


def test_image_events_as_dockerds(capsa, docker, tmp_path):  # noqa: F811
    (tmp_path / "c").mkdir()
    (tmp_path / "d").mkdir()
    t0 = now()
    image_steps(capsa, "busybox", tmp_path / "c")
    ours = events(capsa, t0)
    t1 = now()
    image_steps(docker, DOCKER_IMAGE, tmp_path / "d")
    theirs = events(docker, t1)
    assert new_events(ours, "busybox") == new_events(theirs, DOCKER_IMAGE), (ours, theirs)
    actions = [e["Action"] for e in ours if e["Type"] == "image"]
    assert actions == ["tag", "tag", "untag", "save", "untag", "load", "untag", "tag", "import", "untag", "delete"]
    # filters: type=image, event=tag, image=NAME (the name of a tag, the id of the others), as docker's
    for f in (["type=image", "event=tag"], ["image=evimg"], ["image=evimp:1"], ["event=untag", "event=delete"]):
        args = [a for x in f for a in ("--filter", x)]
        assert new_events(events(capsa, t0, *args), "busybox") == \
            new_events(events(docker, t1, *args), DOCKER_IMAGE), f
    assert len(events(capsa, t0, "--filter", "image=evimg")) == 2
    text = capsa("events", *span(t0), "--filter", "event=tag").stdout.splitlines()
    assert re.fullmatch(r"\S+Z image tag sha256:[0-9a-f]{64} \(name=evimg:1\)", text[0]), text


def test_container_events_as_dockerds(capsa, docker):  # noqa: F811
    t0 = now()
    ctr_steps(capsa, "busybox")
    ours = events(capsa, t0)
    t1 = now()
    ctr_steps(docker, DOCKER_IMAGE)
    theirs = events(docker, t1)
    assert new_events(ours, "busybox") == new_events(theirs, DOCKER_IMAGE), (ours, theirs)
    got = {(e["Action"], e["Actor"]["Attributes"].get("name")) for e in ours}
    for want in [("exec_create: sh -c exit 3", "evc"), ("exec_start: sh -c exit 3", "evc"), ("exec_die", "evc"),
                 ("update", "evc"), ("attach", "eva"), ("commit", "eva")]:
        assert want in got, (want, ours)
    die = [e for e in ours if e["Action"] == "exec_die"][0]["Actor"]["Attributes"]
    assert die["exitCode"] == "3" and re.fullmatch(r"[0-9a-f]{64}", die["execID"]) and die["k"] == "v"
    acts = [e["Action"] for e in ours if e["Actor"]["Attributes"].get("name") == "eva"]
    assert acts.index("attach") < acts.index("start"), acts
    # docker's filter of a command-carrying action by its first word
    assert [e["Action"] for e in events(capsa, t0, "--filter", "event=exec_start")] == ["exec_start: sh -c exit 3"]


@pytest.mark.parametrize("detach", [False, True])
def test_oom_then_die(capsa, detach):  # noqa: F811
    t0 = now()
    limits = ["-m", "32m", "--memory-swap", "32m"]
    capsa("run", "-d" if detach else "-i", "--name", "hog", *limits, "busybox", "sh", "-c", MEMHOG, check=False)
    if detach:
        assert capsa("wait", "hog", timeout=60).stdout.strip() == "137"
    assert capsa.state("hog")["OOMKilled"] is True
    acts = [e["Action"] for e in events(capsa, t0, "--filter", "container=hog")]
    assert "oom" in acts and acts[acts.index("oom") + 1] == "die", acts
    capsa("run", "--name", "fine", *limits, "busybox", "true")
    assert "oom" not in [e["Action"] for e in events(capsa, t0, "--filter", "container=fine")]


def read_event(p, timeout=15):
    ready, _, _ = select.select([p.stdout], [], [], timeout)
    assert ready, "no event within %d s" % timeout
    return json.loads(p.stdout.readline())


def test_a_running_events_sees_them(capsa):  # noqa: F811
    p = capsa.popen("events", "--format", "{{json .}}", "--filter", "event=tag", "--filter", "event=exec_die",
                    "--filter", "event=oom", "--filter", "event=delete",
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1)  # (following: only what comes from now on)
        assert p.poll() is None, p.stderr.read()
        capsa("tag", "busybox", "evstream:1")
        ev = read_event(p)
        assert (ev["Type"], ev["Action"], ev["Actor"]["Attributes"]["name"]) == ("image", "tag", "evstream:1")
        capsa("run", "-d", "--name", "evs", "busybox", "sleep", "100")
        capsa("exec", "evs", "true")
        ev = read_event(p)
        assert ev["Action"] == "exec_die" and ev["Actor"]["Attributes"]["exitCode"] == "0", ev
        capsa("rm", "-f", "evs")
        # (the oom of a container whose init the memory cgroup killed: told when it stops)
        capsa("run", "-d", "--name", "evhog", "-m", "32m", "--memory-swap", "32m", "busybox", "sh", "-c", MEMHOG)
        ev = read_event(p, 60)
        assert ev["Action"] == "oom" and ev["Actor"]["Attributes"]["name"] == "evhog", ev
        capsa("rm", "-f", "evhog")
        capsa("import", rootfs_tar(capsa.tmp / "r.tar"), "evimp:2")
        ev = read_event(p)
        assert ev["Action"] == "tag" and ev["Actor"]["Attributes"]["name"] == "evimp:2", ev
        capsa("rmi", "evimp:2")
        ev = read_event(p)
        assert ev["Action"] == "delete" and ev["Actor"]["ID"].startswith("sha256:"), ev
    finally:
        p.terminate()
        p.wait(timeout=10)
