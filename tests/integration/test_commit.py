"""capsa commit and export (issue 17): a container's changes (added, changed, deleted files, a whole
directory of the image deleted, a directory removed and made again: opaque) as a new layer; the
config changes of -c; history and parent; intermediate images (images -a, rmi of the child);
`capsa save` of a committed image loaded and run by podman; bad input; export's tar; docker commit
through capsa-service."""
import io
import json
import os
import pty
import shutil
import subprocess
import tarfile

import pytest

from conftest import OCI
from test_cli_run import CAPSA, capsa  # noqa: F401 (the fixture)
from service_fixtures import needs_docker, needs_service, service_running
from test_cli_rootless import rl, user  # noqa: F401 (the fixtures)

CHANGES = ("echo new > /new; echo changed >> /etc/passwd; rm /etc/group; rm -rf /usr; "
           "mkdir -p /var/o/sub; echo a > /var/o/a; rm -rf /var/o; mkdir /var/o; echo b > /var/o/b; "
           "rm -rf /opt; mkdir /opt; echo z > /opt/z")
CHECK = "ls /etc/group /usr /var/o/a /opt/x 2>&1; ls /var/o; ls /opt; cat /new; tail -n 1 /etc/passwd"
EXPECTED = ["ls: /etc/group: No such file or directory", "ls: /usr: No such file or directory",
            "ls: /var/o/a: No such file or directory", "ls: /opt/x: No such file or directory", "b", "z", "new",
            "changed"]


@pytest.fixture
def store(capsa):
    """capsa's fixture, this file's containers removed before it checks for leftovers."""
    yield capsa
    left = [x["ID"] for x in capsa.ps()]
    if left:
        capsa("rm", "-f", *left)


def make_changed(capsa, name="c1"):
    """Container `name`, the CHANGES made on stage0 (busybox with /opt/x and /opt/y: the /opt that
    CHANGES removes and makes again, an opaque directory in the layer)."""
    if capsa("image", "inspect", "stage0", check=False).returncode != 0:
        capsa("run", "--network", "none", "--name", "c0", "busybox", "sh", "-c",
              "mkdir /opt; echo x > /opt/x; echo y > /opt/y")
        capsa("commit", "c0", "stage0")
        capsa("rm", "c0")
    capsa("run", "--network", "none", "--name", name, "stage0", "sh", "-c", CHANGES)


def layers_of_images(capsa):
    out = set()
    for i in image_ids(capsa, "-a"):
        out |= {x[7:] for x in json.loads(capsa("image", "inspect", i).stdout)[0]["RootFS"]["Layers"]}
    return out


def image_ids(capsa, *extra):
    return set(capsa("images", "-q", "--no-trunc", *extra).stdout.split())


def store_tmp(capsa):
    return sorted(os.listdir(capsa.root / "tmp")) if (capsa.root / "tmp").exists() else []


def test_commit_tree_and_config(store):
    capsa = store
    make_changed(capsa)
    p = capsa("commit", "-c", 'CMD ["cat", "/new"]', "-c", "ENV X=1", "-c", "USER nobody", "-c", "WORKDIR /var/o",
              "-c", "EXPOSE 80 53/udp", "-c", "LABEL k=v", "-c", "VOLUME /data", "-c", "STOPSIGNAL SIGINT",
              "-m", "my change", "-a", "Me <me@x>", "c1", "committed:1")
    new_id = p.stdout.strip()
    assert new_id.startswith("sha256:") and len(new_id) == 71, p.stdout
    out = capsa("run", "--rm", "--network", "none", "-u", "root", "committed:1", "sh", "-c", CHECK,
                check=False).stdout.splitlines()
    assert out == EXPECTED
    assert capsa("run", "--rm", "--network", "none", "committed:1").stdout == "new\n"
    img = json.loads(capsa("image", "inspect", "committed:1").stdout)[0]
    base = json.loads(capsa("image", "inspect", "stage0").stdout)[0]
    cfg = img["Config"]
    assert img["Id"] == new_id and img["Parent"] == base["Id"] and img["Author"] == "Me <me@x>"
    assert cfg["Cmd"] == ["cat", "/new"] and "X=1" in cfg["Env"] and cfg["User"] == "nobody"
    assert cfg["WorkingDir"] == "/var/o" and cfg["Labels"] == {"k": "v"} and cfg["StopSignal"] == "SIGINT"
    assert set(cfg["ExposedPorts"]) == {"80/tcp", "53/udp"} and set(cfg["Volumes"]) == {"/data"}
    assert not [e for e in cfg["Env"] if e.startswith("HOSTNAME=")]
    assert img["RootFS"]["Layers"][:-1] == base["RootFS"]["Layers"]
    assert len(img["RootFS"]["Layers"]) == len(base["RootFS"]["Layers"]) + 1
    h = img.get("History") or []
    assert h[-1]["comment"] == "my change" and h[-1]["created_by"].startswith("sh -c echo new"), h
    # the layer itself: OCI whiteouts, an opaque marker, no overlay xattrs
    manifest = json.loads((capsa.root / "blobs" / "sha256" / img["Manifest"][7:]).read_text())
    blob = capsa.root / "blobs" / "sha256" / manifest["layers"][-1]["digest"][7:]
    with tarfile.open(blob) as t:
        names = {m.name.rstrip("/") for m in t.getmembers()}
        xattrs = [k for m in t.getmembers() for k in m.pax_headers if "overlay" in k]
    assert {"etc/.wh.group", ".wh.usr", "opt/.wh..wh..opq", "opt/z", "var/o/b", "new", "etc/passwd"} <= names, names
    assert "usr" not in names and "var/o/a" not in names and "var/o/.wh..wh..opq" not in names and not xattrs


def test_commit_running_paused_and_thawed(store):
    capsa = store
    capsa("run", "-d", "--network", "none", "--name", "live", "busybox", "sh", "-c",
          "echo up > /up; while :; do sleep 0.1; done")
    try:
        for _ in range(50):
            if capsa("exec", "live", "cat", "/up", check=False).returncode == 0:
                break
        capsa("commit", "live", "live:1")
        assert capsa.state("live")["Status"] == "running"
        capsa("commit", "--pause=false", "live", "live:2")
        assert capsa.state("live")["Status"] == "running"
        assert capsa("run", "--rm", "--network", "none", "live:1", "cat", "/up").stdout == "up\n"
    finally:
        capsa("rm", "-f", "live", check=False)


def test_intermediate_images(store):
    capsa = store
    make_changed(capsa)
    mid = capsa("commit", "c1").stdout.strip()
    capsa("run", "--network", "none", "--name", "c2", mid, "sh", "-c", "echo two > /two")
    top = capsa("commit", "c2", "top:1").stdout.strip()
    assert json.loads(capsa("image", "inspect", "top:1").stdout)[0]["Parent"] == mid
    # history names each step's image (docker's), down to busybox's import
    hist = capsa("history", "top:1").stdout.splitlines()[1:]
    chain = [top, mid] + [json.loads(capsa("image", "inspect", i).stdout)[0]["Id"] for i in ("stage0", "busybox")]
    assert [h.split()[0] for h in hist] == [i[7:19] for i in chain], hist
    assert mid not in image_ids(capsa) and top in image_ids(capsa)
    assert mid in image_ids(capsa, "-a")
    assert "<none>" in capsa("images", "-a").stdout and "<none>" not in capsa("images").stdout
    capsa("rm", "c1", "c2")
    p = capsa("rmi", mid, check=False)
    assert p.returncode != 0 and "child" in p.stderr, p.stderr
    p = capsa("rmi", "top:1")
    assert p.stdout.splitlines() == ["Untagged: top:1", f"Deleted: {top}", f"Deleted: {mid}"], p.stdout
    assert image_ids(capsa, "-a") == image_ids(capsa)  # busybox alone
    # prune takes a dangling chain, leaves nothing unreferenced
    make_changed(capsa, "c3")
    mid = capsa("commit", "c3").stdout.strip()
    capsa("run", "--network", "none", "--name", "c4", mid, "true")
    top = capsa("commit", "c4").stdout.strip()
    capsa("rm", "c3", "c4")
    p = capsa("image", "prune", "-f")
    assert top in p.stdout and mid in p.stdout, p.stdout
    assert {d.name for d in (capsa.root / "layers").iterdir()} == layers_of_images(capsa)


def test_commit_bad_input_leaves_nothing(store):
    capsa = store
    make_changed(capsa)
    before = image_ids(capsa, "-a")
    p = capsa("commit", "nosuch", check=False)
    assert p.returncode != 0 and "no such container" in p.stderr, p.stderr
    p = capsa("commit", "-c", "BOGUS x", "c1", check=False)
    assert p.returncode != 0 and "unsupported instruction `BOGUS`" in p.stderr, p.stderr
    p = capsa("commit", "-c", "EXPOSE 99999", "c1", check=False)
    assert p.returncode != 0 and "EXPOSE 99999" in p.stderr, p.stderr
    p = capsa("commit", "c1", "bad@@name", check=False)
    assert p.returncode != 0, p.stderr
    # a container on the vfs driver: its record says so (no upper dir to read)
    cid = capsa.inspect("c1")["Id"]
    drv = capsa.root / "containers" / cid / "driver"
    saved = drv.read_text()
    drv.write_text("vfs")
    try:
        p = capsa("commit", "c1", check=False)
        assert p.returncode != 0 and "vfs" in p.stderr and "overlay" in p.stderr, p.stderr
    finally:
        drv.write_text(saved)
    assert image_ids(capsa, "-a") == before and store_tmp(capsa) == []


def podman_cmd(w):
    return ["podman", "--root", str(w / "storage"), "--runroot", str(w / "run"), "--tmpdir", str(w / "tmp"),
            "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--storage-driver", "overlay",
            "--runtime", str(OCI)]  # (as test_clients.py: crun refuses this machine's hybrid cgroups)


@pytest.mark.skipif(not shutil.which("podman"), reason="podman is not installed")
def test_save_of_commit_loads_into_podman(store):
    capsa = store
    make_changed(capsa)
    capsa("commit", "c1", "localhost/committed:1")
    w = capsa.tmp / "podman"
    w.mkdir()
    base = podman_cmd(w)
    # (as test_clients.py: limits this machine lets a container have)
    (w / "containers.conf").write_text(
        '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
        '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
    env = dict(os.environ, CONTAINERS_CONF=str(w / "containers.conf"))

    def podman(*args, check=True):
        p = subprocess.run(base + list(args), capture_output=True, text=True, timeout=120, env=env)
        if check and p.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} exited {p.returncode}: {p.stderr}")
        return p
    try:
        # the base image first: a podman that cannot run anything shows as such, not as commit's bug
        capsa("tag", "busybox", "localhost/base:1")
        capsa("save", "-o", w / "base.tar", "localhost/base:1")
        podman("load", "-i", str(w / "base.tar"))
        assert podman("run", "--rm", "--network", "none", "localhost/base:1", "cat",
                      "/etc/group").returncode == 0
        capsa("save", "-o", w / "c.tar", "localhost/committed:1")
        podman("load", "-i", str(w / "c.tar"))
        out = podman("run", "--rm", "--network", "none", "localhost/committed:1", "sh", "-c", CHECK,
                     check=False).stdout.splitlines()
        assert out == EXPECTED
        # export: the same members as podman's export of the same image's container (but for
        # what podman's runtime adds to a container's root)
        podman("create", "--name", "pc", "--network", "none", "localhost/committed:1", "true")
        podman("export", "-o", str(w / "p.tar"), "pc")
        capsa("create", "--network", "none", "--name", "cc", "localhost/committed:1", "true")
        capsa("export", "-o", w / "c.tar", "cc")
        norm = lambda names: {n[2:] if n.startswith("./") else n for n in names} - {".", ""}  # noqa: E731
        ours, theirs = norm(tar_names((w / "c.tar").read_bytes())[0]), norm(tar_names((w / "p.tar").read_bytes())[0])
        assert ours <= theirs and not {n for n in theirs - ours if not n.startswith("run")}, theirs ^ ours
    finally:
        podman("rm", "-af", "-t", "0", check=False)
        podman("system", "reset", "-f", check=False)
        subprocess.run(["umount", "-R", "-l", str(w / "storage" / "overlay")], capture_output=True)
        for ctrl in os.listdir("/sys/fs/cgroup"):  # (as test_clients.py: podman's cgroupfs parents)
            d = f"/sys/fs/cgroup/{ctrl}/libpod_parent"
            if os.path.isdir(d):
                subprocess.run(["find", d, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"],
                               stderr=subprocess.DEVNULL)


def tar_names(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return {m.name for m in t.getmembers()}, {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}


def test_export(store):
    capsa = store
    make_changed(capsa)
    p = subprocess.run([str(CAPSA), "--root", str(capsa.root), "export", "c1"], capture_output=True)
    assert p.returncode == 0, p.stderr
    names, files = tar_names(p.stdout)
    assert {"./new", "./var/o/b", "./bin/sh", "./opt/z"} <= names and "./opt/x" not in names
    assert "./etc/group" not in names and "./usr" not in names and "./var/o/a" not in names
    assert not [n for n in names if ".wh." in n or n.startswith("/") or ".." in n.split("/")]
    assert files["./new"] == b"new\n" and files["./etc/passwd"].endswith(b"changed\n")
    out = capsa.tmp / "c1.tar"
    capsa("export", "-o", out, "c1")
    assert tar_names(out.read_bytes())[0] == names
    # the image's own files match what the same rootfs gives: the base image's tree
    capsa("create", "--network", "none", "--name", "plain", "stage0", "true")
    plain = tar_names(subprocess.run([str(CAPSA), "--root", str(capsa.root), "export", "plain"],
                                     capture_output=True, check=True).stdout)[0]
    gone = {n for n in plain if n == "./usr" or n.startswith("./usr/")} | {"./etc/group", "./opt/x", "./opt/y"}
    want = (plain - gone) | {"./new", "./var/o", "./var/o/b", "./opt/z"}
    assert names == want, names ^ want
    # a tar is not written to a terminal
    m, s = pty.openpty()
    try:
        p = subprocess.run([str(CAPSA), "--root", str(capsa.root), "export", "c1"], stdout=s,
                           stderr=subprocess.PIPE, text=True)
    finally:
        os.close(m)
        os.close(s)
    assert p.returncode != 0 and "terminal" in p.stderr, p.stderr
    p = capsa("export", "nosuch", check=False)
    assert p.returncode != 0 and "no such container" in p.stderr
    # a running one: its root filesystem, not its volumes or /proc
    capsa("run", "-d", "--network", "none", "--name", "run1", "-v", "vol1:/data", "busybox", "sh", "-c",
          "echo r > /r; echo v > /data/v; while :; do sleep 0.1; done")
    for _ in range(100):
        if capsa("exec", "run1", "cat", "/data/v", check=False).returncode == 0:
            break
    capsa("export", "-o", capsa.tmp / "run1.tar", "run1")
    names = tar_names((capsa.tmp / "run1.tar").read_bytes())[0]
    assert "./r" in names and "./data/v" not in names and not [n for n in names if n.startswith("./proc/")]
    capsa("rm", "-f", "-v", "run1")
    capsa("volume", "rm", "vol1", check=False)


@needs_service
@needs_docker
def test_docker_commit_through_service():
    with service_running() as svc:
        svc.docker("run", "--network", "none", "--name", "d1", "busybox", "sh", "-c", "echo hi > /hi; rm /etc/group")
        p = svc.docker("commit", "-c", "ENV Y=2", "-c", 'CMD ["cat", "/hi"]', "-m", "via docker", "-a", "D",
                       "d1", "dc:1")
        assert p.stdout.strip().startswith("sha256:"), p.stdout
        insp = json.loads(svc.docker("image", "inspect", "dc:1").stdout)[0]
        assert "Y=2" in insp["Config"]["Env"] and insp["Config"]["Cmd"] == ["cat", "/hi"]
        assert insp["Author"] == "D" and insp["Comment"] == "via docker"
        assert svc.docker("run", "--rm", "--network", "none", "dc:1").stdout == "hi\n"
        assert svc.docker("run", "--rm", "--network", "none", "dc:1", "ls", "/etc/group",
                          check=False).returncode != 0
        # untagged, then a child: the service hides the intermediate unless all=1
        mid = svc.docker("commit", "d1").stdout.strip()
        svc.docker("run", "--network", "none", "--name", "d2", mid, "true")
        svc.docker("commit", "d2", "dc:2")
        assert mid not in svc.docker("images", "-q", "--no-trunc").stdout
        assert mid in svc.docker("images", "-a", "-q", "--no-trunc").stdout
        p = svc.docker("commit", "nosuch", check=False)
        assert p.returncode != 0 and "No such container" in p.stderr, p.stderr
        svc.docker("export", "-o", svc.tmp / "d1.tar", "d1")
        names = tar_names((svc.tmp / "d1.tar").read_bytes())[0]
        assert "./hi" in names and "./etc/group" not in names, names
        svc.docker("rm", "d1", "d2")


def test_rootless_commit(rl):
    """As a user: the layers hold the ids as the user's namespace sees them (root's files are 0).
    (No directory of a lower layer is removed here: the rootless overlay, without privileged
    xattrs, cannot remove one, in the container itself already.)"""
    rl.mkimage()
    rl("run", "--network", "none", "--name", "r1", "busybox", "sh", "-c", "echo hi > /hi; rm /etc/group; "
       "mkdir -p /opt/a; echo a > /opt/a/a")
    rl("commit", "-c", "ENV R=1", "r1", "rc:1")
    rl("run", "--network", "none", "--name", "r2", "rc:1", "sh", "-c", "rm /opt/a/a; echo b > /opt/b")
    rl("commit", "r2", "rc:2")
    p = rl("run", "--rm", "--network", "none", "rc:2", "sh", "-c",
           'cat /hi; ls /etc/group /opt/a/a 2>&1; ls /opt; echo $R; stat -c %u /hi', check=False)
    assert p.stdout.splitlines() == ["hi", "ls: /etc/group: No such file or directory",
                                     "ls: /opt/a/a: No such file or directory", "a", "b", "1", "0"], p.stdout + p.stderr
    rl("rm", "r1", "r2")
