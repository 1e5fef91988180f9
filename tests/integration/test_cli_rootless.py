"""Rootless `capsa` (an ordinary user with /etc/subuid and /etc/subgid ranges) and `--userns`.

Rootless commands run as that user, with its own XDG dirs in a temp dir: the store defaults to
$XDG_DATA_HOME/capsa, the runtime state to $XDG_RUNTIME_DIR/capsa, and every command joins the
user's shared user+mount namespace (held by a pause process that goes once nothing is left in it).
Each test checks that nothing outlives it: no process of the user, no runtime state, no record.
The root tests (--userns auto, --uidmap) use their own --root and /etc/subuid entries for
`containers`, restored afterwards."""
import contextlib
import io
import json
import os
import pathlib
import pwd
import shutil
import socket
import stat
import subprocess
import tarfile
import tempfile
import time

import pytest

from conftest import BUILD, TOP

CAPSA = BUILD / "src" / "cli" / "capsa"
USER = "capsa-it"

pytestmark = pytest.mark.skipif(not CAPSA.exists(), reason=f"build capsa first: {CAPSA} is missing")


def _subid(path, name):
    line = next((l for l in open(path) if l.startswith(name + ":")), None)
    if line is None:
        return None
    _, start, count = line.strip().split(":")
    return int(start), int(count)


@pytest.fixture(scope="module")
def user():
    if shutil.which("newuidmap") is None:
        pytest.skip("newuidmap is missing (apt-get install uidmap)")
    created = False
    try:
        pw = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", USER], check=True)
        pw = pwd.getpwnam(USER)
        created = True
    for f, flag in (("/etc/subuid", "--add-subuids"), ("/etc/subgid", "--add-subgids")):
        if _subid(f, USER) is None:
            subprocess.run(["usermod", flag, "300000-365535", USER], check=True)
    yield pw, _subid("/etc/subuid", USER), _subid("/etc/subgid", USER)
    if created:
        subprocess.run(["userdel", USER], check=False)


def _user_procs(uid):
    found = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            with contextlib.suppress(OSError):
                st = os.stat(f"/proc/{p}")
                with open(f"/proc/{p}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
                if st.st_uid == uid and state not in ("Z", "X"):
                    found.append(int(p))
    return found


class Rootless:
    """capsa run as the test user, with HOME and the XDG dirs in a private temp dir."""

    def __init__(self, pw, base):
        self.pw = pw
        self.base = base
        self.data = base / "data"
        self.run = base / "run"
        for d in (self.data, self.run, base / "home"):
            d.mkdir()
            os.chown(d, pw.pw_uid, pw.pw_gid)
        self.env = {"PATH": "/usr/bin:/bin", "HOME": str(base / "home"), "XDG_DATA_HOME": str(self.data),
                    "XDG_RUNTIME_DIR": str(self.run), "CAPSA": str(CAPSA)}
        self.store = self.data / "capsa"
        self.rundir = self.run / "capsa"

    def _demote(self):
        os.setgroups([])
        os.setgid(self.pw.pw_gid)
        os.setuid(self.pw.pw_uid)

    def raw(self, argv, check=True, timeout=60, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.run(argv, preexec_fn=self._demote, env=self.env, timeout=timeout, cwd=self.base, **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"{argv} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def __call__(self, *args, **kw):
        return self.raw([str(CAPSA), *map(str, args)], **kw)

    def mkimage(self, name="busybox"):
        self.raw(["sh", str(TOP / "scripts" / "mkimage-busybox.sh"), name])

    def left(self):
        """What is left: user processes (the pause process included), runtime state, records."""
        out = []
        procs = _user_procs(self.pw.pw_uid)
        if procs:
            out.append(f"processes {procs}")
        oci = self.rundir / "oci"
        if oci.exists():
            state = [p.name for p in oci.iterdir() if not p.name.startswith("#")]
            if state:
                out.append(f"runtime state {state}")
        if (self.rundir / "pause.pid").exists():
            out.append("pause.pid")
        ctrs = self.store / "containers"
        if ctrs.exists() and list(ctrs.iterdir()):
            out.append(f"containers {list(ctrs.iterdir())}")
        return out


@pytest.fixture
def rl(user):
    pw, _, _ = user
    if _user_procs(pw.pw_uid):
        pytest.skip(f"user {USER} already has processes running")
    base = pathlib.Path(tempfile.mkdtemp(prefix="capsa-rl-"))
    os.chmod(base, 0o755)
    r = Rootless(pw, base)
    yield r
    with contextlib.suppress(Exception):
        ids = r("ps", "-aq", check=False).stdout.split()
        if ids:
            r("rm", "-f", *ids, check=False)
    deadline = time.time() + 10
    while r.left() and time.time() < deadline:
        time.sleep(0.1)
    left = r.left()
    for p in _user_procs(pw.pw_uid):
        with contextlib.suppress(OSError):
            os.kill(p, 9)
    subprocess.run(["rm", "-rf", str(base)])
    assert not left, "leaked: " + "; ".join(left)


def _wait(pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out")


# ---- rootless --------------------------------------------------------------------------------

def test_rootless_load_and_run_maps_root_to_the_user(rl, user):
    pw, (ustart, ucount), (gstart, gcount) = user
    rl.mkimage()
    assert (rl.store / "images.json").exists()  # the default store: $XDG_DATA_HOME/capsa
    archive = rl.run / "bb.tar"
    rl("save", "-o", archive, "busybox")
    rl("rmi", "busybox")
    rl("load", "-i", archive)
    assert "busybox" in rl("images").stdout
    p = rl("run", "--rm", "busybox", "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map")
    lines = p.stdout.splitlines()
    assert lines[:2] == ["0", "0"]
    rows = [l.split() for l in lines[2:]]
    assert rows == [["0", str(pw.pw_uid), "1"], ["1", str(ustart), str(ucount)],
                    ["0", str(pw.pw_gid), "1"], ["1", str(gstart), str(gcount)]]


def test_rootless_layers_keep_their_owners_shifted_into_the_subuid_range(rl, user):
    pw, (ustart, _), (gstart, _) = user
    rl.mkimage()
    # a layer with files of other owners (written as root here, imported by the user)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, uid, gid in (("srv", 1000, 1000), ("srv/data", 1000, 1000), ("srv/rootfile", 0, 0)):
            info = tarfile.TarInfo(name)
            info.uid, info.gid = uid, gid
            if name == "srv":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            else:
                info.size, info.mode = 3, 0o644
                t.addfile(info, io.BytesIO(b"hi\n"))
    tar = rl.run / "layer.tar"
    tar.write_bytes(buf.getvalue())
    os.chown(tar, pw.pw_uid, pw.pw_gid)
    rl("import", tar, "owners:1")
    # the layer on the host: owners shifted into the user's ranges (0 is the user itself)
    datas = list((rl.store / "layers").glob("*/diff/srv/data"))
    assert len(datas) == 1
    st = os.stat(datas[0])
    assert (st.st_uid, st.st_gid) == (ustart + 999, gstart + 999)
    st = os.stat(datas[0].parent / "rootfile")
    assert (st.st_uid, st.st_gid) == (pw.pw_uid, pw.pw_gid)
    # and as the image's own ids inside a container (the busybox image's sh stats them)
    p = rl("run", "--rm", "-v", f"{datas[0].parent}:/srv:ro", "busybox", "stat", "-c", "%u:%g %n", "/srv/data",
           "/srv/rootfile")
    assert p.stdout.split("\n")[:2] == ["1000:1000 /srv/data", "0:0 /srv/rootfile"]


def test_rootless_volume_files_are_the_users_on_the_host(rl, user):
    pw, _, _ = user
    rl.mkimage()
    host = rl.run / "shared"
    host.mkdir()
    os.chown(host, pw.pw_uid, pw.pw_gid)
    rl("run", "--rm", "-v", f"{host}:/h", "-v", "vol1:/v", "busybox", "sh", "-c",
       "echo a > /h/made-inside; echo b > /v/in-volume")
    st = os.stat(host / "made-inside")
    assert (st.st_uid, st.st_gid) == (pw.pw_uid, pw.pw_gid)
    st = os.stat(rl.store / "volumes" / "vol1" / "_data" / "in-volume")
    assert (st.st_uid, st.st_gid) == (pw.pw_uid, pw.pw_gid)
    assert "vol1" in rl("volume", "ls").stdout
    rl("volume", "rm", "vol1")
    assert not (rl.store / "volumes" / "vol1").exists()


LOOP = "echo started; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"


def test_rootless_detached_logs_exec_cp_stop_rm(rl, user):
    pw, _, _ = user
    rl.mkimage()
    cid = rl("run", "-d", "--name", "bg", "busybox", "sh", "-c", LOOP).stdout.strip()
    assert len(cid) == 64
    assert (rl.rundir / "oci" / cid).is_dir()  # runtime state under $XDG_RUNTIME_DIR/capsa
    _wait(lambda: "tick 2" in rl("logs", "bg").stdout)
    ps = [json.loads(l) for l in rl("ps", "--format", "json").stdout.splitlines()]
    assert [c["Names"] for c in ps] == ["bg"]
    p = rl("exec", "bg", "sh", "-c", "id -u; cat /proc/1/uid_map")
    assert p.stdout.split()[:3] == ["0", "0", str(pw.pw_uid)]
    # the container's init is the user's process on the host
    pid = json.loads(rl("inspect", "bg").stdout)[0]["State"]["Pid"]
    assert os.stat(f"/proc/{pid}").st_uid == pw.pw_uid
    src = rl.run / "in.txt"
    src.write_text("copied\n")
    os.chown(src, pw.pw_uid, pw.pw_gid)
    rl("cp", src, "bg:/tmp/in.txt")
    assert rl("exec", "bg", "cat", "/tmp/in.txt").stdout == "copied\n"
    rl("cp", "bg:/etc/passwd", rl.run / "passwd")
    assert (rl.run / "passwd").read_text().startswith("root:")
    rl("stop", "-t", "1", "bg")
    assert json.loads(rl("inspect", "bg").stdout)[0]["State"]["Status"] == "exited"
    rl("rm", "bg")
    assert rl("ps", "-aq").stdout == ""
    _wait(lambda: not rl.left())


def test_rootless_resource_flags_fail_clearly(rl):
    rl.mkimage()
    probe = subprocess.run(["stat", "-fc", "%T", "/sys/fs/cgroup"], capture_output=True, text=True).stdout.strip()
    if probe == "cgroup2fs":
        pytest.skip("pure cgroup v2 host: rootless limits work where the tree is delegated")
    for flag in (["--memory", "64m"], ["--pids-limit", "10"], ["--cpus", "0.5"]):
        p = rl("run", "--rm", *flag, "busybox", "true", check=False)
        assert p.returncode == 125
        assert f"{flag[0]} needs a cgroup" in p.stderr and "rootless" in p.stderr, p.stderr
    assert rl("ps", "-aq").stdout == ""


def test_rootless_keep_id(rl, user):
    pw, _, _ = user
    rl.mkimage()
    p = rl("run", "--rm", "--userns", "keep-id", "busybox", "sh", "-c", "id -u; id -g; stat -c %u /bin/busybox")
    assert p.stdout.split() == [str(pw.pw_uid), str(pw.pw_gid), str(pw.pw_uid)]
    p = rl("run", "--rm", "--userns", "auto", "busybox", "true", check=False)
    assert p.returncode == 125 and "needs root" in p.stderr


def test_rootless_bridge_network_is_refused_clearly(rl):
    rl.mkimage()
    p = rl("run", "--rm", "--network", "bridge", "busybox", "true", check=False)
    assert p.returncode == 125 and "needs root" in p.stderr


@pytest.fixture
def tun_open():
    """An unprivileged slirp4netns opens /dev/net/tun: Debian's udev makes it 0666, this machine
    may have it 0600; open it up for the test and put it back."""
    if not shutil.which("slirp4netns"):
        pytest.skip("slirp4netns is not installed (.ci/packages-test.txt has it)")
    mode = stat.S_IMODE(os.stat("/dev/net/tun").st_mode)
    os.chmod("/dev/net/tun", mode | 0o666)
    yield
    os.chmod("/dev/net/tun", mode)


def test_rootless_default_network_is_slirp4netns_with_published_ports(rl, tun_open):
    rl.mkimage()
    # without --network: slirp4netns (tap0 10.0.2.100), as podman does for rootless
    p = rl("run", "--rm", "busybox", "sh", "-c", "ip -4 -o addr show tap0; cat /etc/resolv.conf")
    assert "10.0.2.100/24" in p.stdout and "nameserver 10.0.2.3" in p.stdout, p.stdout
    # a published port, from the host's 127.0.0.1 to busybox httpd in the rootless container
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    rl("run", "-d", "--name", "web", "-p", f"127.0.0.1:{port}:80", "busybox", "sh", "-c",
       "mkdir -p /www && echo rootless-hello > /www/index.html && exec httpd -f -p 80 -h /www")

    def get():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as c:
                c.sendall(b"GET / HTTP/1.0\r\n\r\n")
                data = b""
                while chunk := c.recv(4096):
                    data += chunk
                return data.decode(errors="replace")
        except OSError:
            return ""
    assert "rootless-hello" in _wait(get)
    # slirp4netns is the user's, and goes with the container
    slirps = [pid for pid in _user_procs(rl.pw.pw_uid)
              if open(f"/proc/{pid}/comm").read().strip() == "slirp4netns"]
    assert slirps, "no slirp4netns of the user's"
    rl("rm", "-f", "web")
    _wait(lambda: not any(os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/comm").read().strip() == "slirp4netns"
                          for pid in slirps))
    assert get() == ""


def test_rootless_default_network_without_tun_access_is_none(rl):
    if os.stat("/dev/net/tun").st_mode & 0o006 == 0o006:
        pytest.skip("/dev/net/tun is open to every user here: the fallback can't be shown")
    rl.mkimage()
    p = rl("run", "--rm", "busybox", "sh", "-c", "ls /sys/class/net")
    assert p.stdout.split() == ["lo"]


# ---- root: --userns ---------------------------------------------------------------------------

@pytest.fixture
def root_capsa():
    d = pathlib.Path(tempfile.mkdtemp(prefix="capsa-userns-"))
    os.chmod(d, 0o755)
    root = d / "root"
    env = dict(os.environ, CAPSA=str(CAPSA))
    subprocess.run(["sh", str(TOP / "scripts" / "mkimage-busybox.sh"), "busybox", "--", "--root", str(root)],
                   check=True, capture_output=True, env=env)

    def run(*args, check=True):
        p = subprocess.run([str(CAPSA), "--root", str(root), *map(str, args)], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError(f"capsa {args} exited {p.returncode}: {p.stderr}")
        return p

    run.root = root
    yield run
    ids = run("ps", "-aq", check=False).stdout.split()
    if ids:
        run("rm", "-f", *ids, check=False)
    run("network", "rm", "-f", "bridge", check=False)  # root's default network
    with open("/proc/self/mountinfo") as f:
        mounts = [l.split()[4] for l in f if str(d) in l.split()[4]]
    for m in sorted(mounts, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)
    subprocess.run(["rm", "-rf", str(d)])
    assert not ids and not mounts, f"leaked: containers {ids}, mounts {mounts}"


@pytest.fixture
def containers_subids():
    saved = {f: pathlib.Path(f).read_text() if os.path.exists(f) else None for f in ("/etc/subuid", "/etc/subgid")}
    for f in saved:
        with open(f, "a") as fh:
            fh.write("containers:2000000:200000\n")
    yield 2000000, 200000
    for f, text in saved.items():
        if text is None:
            os.unlink(f)
        else:
            pathlib.Path(f).write_text(text)


def _uid_map(text):
    return [l.split() for l in text.strip().splitlines()]


def test_userns_auto_gives_distinct_ranges(root_capsa, containers_subids):
    start, _ = containers_subids
    root_capsa("run", "-d", "--name", "a1", "--userns", "auto", "busybox", "sleep", "60")
    root_capsa("run", "-d", "--name", "a2", "--userns", "auto:size=1000", "busybox", "sleep", "60")
    m1 = _uid_map(root_capsa("exec", "a1", "cat", "/proc/self/uid_map").stdout)
    m2 = _uid_map(root_capsa("exec", "a2", "cat", "/proc/self/uid_map").stdout)
    assert m1 == [["0", str(start), "65536"]]
    assert m2 == [["0", str(start + 65536), "1000"]]
    # the root filesystem is the container's own (idmapped layers) and it can write to it
    p = root_capsa("exec", "a1", "sh", "-c", "stat -c %u /bin/busybox; touch /made && stat -c %u /made")
    assert p.stdout.split() == ["0", "0"]
    # a new volume belongs to the container's root
    root_capsa("exec", "a1", "true")
    root_capsa("run", "--rm", "--userns", "auto:size=1000", "-v", "v1:/v", "busybox", "sh", "-c", "echo x > /v/f")
    st = os.stat(root_capsa.root / "volumes" / "v1" / "_data" / "f")
    assert st.st_uid == start + 65536 + 1000  # the next free range after a1's and a2's
    # a third after the first is gone reuses the freed range
    root_capsa("rm", "-f", "a1")
    root_capsa("run", "-d", "--name", "a3", "--userns", "auto", "busybox", "sleep", "60")
    assert _uid_map(root_capsa("exec", "a3", "cat", "/proc/self/uid_map").stdout) == [["0", str(start), "65536"]]
    # no room for another 200000 ids
    p = root_capsa("run", "--rm", "--userns", "auto:size=200000", "busybox", "true", check=False)
    assert p.returncode == 125 and "no free range" in p.stderr
    root_capsa("rm", "-f", "a2", "a3")


def test_userns_auto_without_subids_fails_clearly(root_capsa):
    if any(l.startswith("containers:") for l in open("/etc/subuid")):
        pytest.skip("/etc/subuid has a `containers` entry on this host")
    p = root_capsa("run", "--rm", "--userns", "auto", "busybox", "true", check=False)
    assert p.returncode == 125 and "containers" in p.stderr and "/etc/subuid" in p.stderr


def test_uidmap_and_idmapped_root(root_capsa):
    p = root_capsa("run", "-d", "--name", "m", "--uidmap", "0:200000:65536", "busybox", "sleep", "60")
    cid = p.stdout.strip()
    out = root_capsa("exec", "m", "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; stat -c %u:%g /etc/passwd;"
                                             " echo x > /root/made").stdout.splitlines()
    assert _uid_map("\n".join(out[:2])) == [["0", "200000", "65536"], ["0", "200000", "65536"]]
    assert out[2] == "0:0"
    # what the container writes is stored with host ids in its upper dir; the shared layer is untouched
    made = root_capsa.root / "containers" / cid / "upper" / "root" / "made"
    st = os.stat(made)
    assert (st.st_uid, st.st_gid) == (200000, 200000)
    layer_passwd = list(root_capsa.root.glob("layers/*/diff/etc/passwd"))
    assert layer_passwd and os.stat(layer_passwd[0]).st_uid == 0
    # the root survives stop and start (mounted again, idmapped)
    root_capsa("stop", "-t", "0", "m")
    root_capsa("start", "m")
    assert root_capsa("exec", "m", "cat", "/root/made").stdout == "x\n"
    root_capsa("rm", "-f", "m")
    p = root_capsa("run", "--rm", "--uidmap", "0:200000", "busybox", "true", check=False)
    assert p.returncode == 125 and "CONTAINER_ID:HOST_ID:SIZE" in p.stderr


def test_userns_keep_id_as_root_and_ns_path(root_capsa):
    p = root_capsa("run", "--rm", "--userns", "keep-id", "busybox", "true", check=False)
    assert p.returncode == 125 and "rootless" in p.stderr
    root_capsa("run", "-d", "--name", "owner", "--uidmap", "0:300000:1000", "busybox", "sleep", "60")
    pid = json.loads(root_capsa("inspect", "owner").stdout)[0]["State"]["Pid"]
    p = root_capsa("run", "--rm", "--userns", f"ns:/proc/{pid}/ns/user", "busybox", "cat", "/proc/self/uid_map")
    assert _uid_map(p.stdout) == [["0", "300000", "1000"]]
    # its image is seen through the namespace's own mappings: its root owns it, and can write
    p = root_capsa("run", "--rm", "--userns", f"ns:/proc/{pid}/ns/user", "busybox", "sh", "-c",
                   "stat -c %u /bin/busybox; touch /etc/made && echo ok")
    assert p.stdout.split() == ["0", "ok"]
    root_capsa("rm", "-f", "owner")


def test_rootless_docker_api_service(rl):
    """`capsa system service` as an ordinary user: its default socket is $XDG_RUNTIME_DIR/capsa/capsa.sock
    (0660, the user's), containers it creates are the user's rootless ones, and it stops on SIGTERM."""
    docker = "/usr/bin/docker"
    if not os.path.exists(docker):
        pytest.skip("docker 20.10's CLI (/usr/bin/docker) is not installed")
    rl.mkimage()
    sock = rl.rundir / "capsa.sock"
    svc = subprocess.Popen([str(CAPSA), "system", "service", "--time", "0"], preexec_fn=rl._demote, env=rl.env,
                           cwd=rl.base, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait(lambda: sock.exists() or svc.poll() is not None)
        assert svc.poll() is None, svc.stderr.read()
        st = os.stat(sock)
        assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_uid == rl.pw.pw_uid
        env = dict(os.environ, DOCKER_HOST=f"unix://{sock}", DOCKER_CONFIG=str(rl.base / "dc"))
        d = lambda *a: subprocess.run([docker, *a], env=env, capture_output=True, text=True, timeout=60)
        p = d("run", "-d", "--name", "rlsvc", "--network", "none", "busybox", "sleep", "100")
        assert p.returncode == 0, p.stderr
        p = d("inspect", "-f", "{{.State.Pid}}", "rlsvc")
        pid = int(p.stdout)
        assert os.stat(f"/proc/{pid}").st_uid == rl.pw.pw_uid  # the user's process, not root's
        assert "rlsvc" in rl("ps", "--format", "{{.Names}}").stdout  # the same store as the user's capsa
        assert d("rm", "-f", "rlsvc").returncode == 0
    finally:
        svc.terminate()
        svc.wait(timeout=10)
    assert not sock.exists()


def test_rootless_build(rl, user):
    """capsa build as the user: RUN in the user's namespace, COPY with --chown, the result runs."""
    rl.mkimage()
    ctx = rl.base / "ctx"
    ctx.mkdir()
    (ctx / "f.txt").write_text("copied\n")
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN echo ran > /ran && rm /bin/zcat\n"
                                    "COPY --chown=1000:1000 f.txt /home/f.txt\nCMD [\"cat\", \"/ran\", \"/home/f.txt\"]\n")
    for d in (ctx, ctx / "f.txt", ctx / "Dockerfile"):
        os.chown(d, rl.pw.pw_uid, rl.pw.pw_gid)
    out = rl("build", "--network", "none", "-t", "rb", ctx, timeout=120).stdout
    assert "STEP 4/4" in out, out
    assert rl("run", "--rm", "--network", "none", "rb").stdout == "ran\ncopied\n"
    p = rl("run", "--rm", "--network", "none", "rb", "sh", "-c", "stat -c %u:%g /home/f.txt; test -e /bin/zcat || echo gone")
    assert p.stdout == "1000:1000\ngone\n", p.stdout
    assert rl("build", "--network", "none", "-t", "rb", ctx).stdout.count("Using cache") == 3
