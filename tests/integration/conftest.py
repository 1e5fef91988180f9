"""Fixtures for capsa's integration tests: real containers, run as root against the built binaries.

Each test gets a fresh bundle (a busybox-static rootfs with the static probe at /probe, and a
config.json built from `default_config()`), its own --root state directory, and a leak check
that fails the test when a container process, a mount or a state directory outlives it.
"""
import contextlib
import itertools
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time

import pytest

TOP = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("CAPSA_BUILD", TOP / "build"))
OCI = BUILD / "src" / "oci" / "capsa-oci"
PROBE = BUILD / "tests" / "integration" / "probe"
BUSYBOX = pathlib.Path("/bin/busybox")
NAMESPACES = ["pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time"]
CONFIG_NS = {"pid": "pid", "net": "network", "mnt": "mount", "ipc": "ipc", "uts": "uts", "user": "user",
             "cgroup": "cgroup", "time": "time"}

_ids = itertools.count()


def _built_with(option):
    """Whether the build under test has the boolean meson option on (its meson-info)."""
    try:
        opts = json.loads((BUILD / "meson-info" / "intro-buildoptions.json").read_text())
    except (OSError, ValueError):
        return False
    return any(o.get("name") == option and o.get("value") is True for o in opts)


# the test hooks (CAPSA_FAULT, CAPSA_FAULT_STOP, CAPSA_UNSAFE_EXE_NO_COPY) are only in a build
# configured with -Dfault_injection=true (scripts/test.sh makes one); elsewhere their tests skip
TEST_HOOKS = _built_with("fault_injection")
needs_test_hooks = pytest.mark.skipif(
    not TEST_HOOKS, reason="needs the test hooks (CAPSA_FAULT, CAPSA_UNSAFE_EXE_NO_COPY): a build configured "
    "with -Dfault_injection=true, as scripts/test.sh makes")


def host_ns(name):
    return os.stat(f"/proc/self/ns/{name}").st_ino


def default_config(args=None, *, userns=False, namespaces=None):
    """A runc-like default config for the test rootfs (all namespaces but user unless asked)."""
    ns = namespaces if namespaces is not None else ["pid", "network", "ipc", "uts", "mount", "cgroup", "time"]
    if userns and "user" not in ns:
        ns = ns + ["user"]
    cfg = {
        "ociVersion": "1.2.0",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": args or ["/probe", "ns"],
            "env": ["PATH=/bin:/usr/bin", "HOME=/root", "TERM=xterm"],
            "cwd": "/",
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "capsa-test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ns],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    }
    if userns:
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        # sysfs cannot be mounted from a user namespace without its own network namespace owner
    return cfg


class Bundle:
    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.rootfs = self.path / "rootfs"
        self.config = default_config()

    def write(self):
        (self.path / "config.json").write_text(json.dumps(self.config, indent=1))
        return self

    @property
    def process(self):
        return self.config["process"]

    def args(self, *argv):
        self.config["process"]["args"] = list(argv)
        return self

    def mount(self, **m):
        self.config["mounts"].append(m)
        return self

    def chown_rootfs(self, uid, gid):
        for dirpath, dirnames, filenames in os.walk(self.rootfs):
            for n in dirnames + filenames:
                os.lchown(os.path.join(dirpath, n), uid, gid)
        os.lchown(self.rootfs, uid, gid)


class Runtime:
    """capsa-oci with a private --root; every call returns a CompletedProcess (text)."""

    def __init__(self, root):
        self.root = str(root)

    def cmd(self, *args, globals_=()):
        return [str(OCI), "--root", self.root, *globals_, *map(str, args)]

    def __call__(self, *args, check=True, timeout=60, globals_=(), **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        p = subprocess.run(self.cmd(*args, globals_=globals_), timeout=timeout, **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"capsa-oci {' '.join(map(str, args))} exited {p.returncode}\n"
                                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def run_json(self, bundle, **kw):
        """run in the foreground and parse the probe's one JSON object."""
        p = self("run", "--bundle", bundle.write().path, new_id(), **kw)
        return json.loads(p.stdout)

    def detach(self, bundle, cid, *extra):
        """run --detach: the container keeps its stdio, so it gets /dev/null, not our pipes."""
        with tempfile.TemporaryFile("w+") as errf:
            p = self("run", "--detach", "--bundle", bundle.write().path, *extra, cid, check=False,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf, capture_output=False)
            errf.seek(0)
            p.stderr = errf.read()
        if p.returncode != 0:
            raise AssertionError(f"capsa-oci run --detach {cid} exited {p.returncode}: {p.stderr}")
        return p

    def state(self, cid):
        return json.loads(self("state", cid).stdout)

    def ids(self):
        return [c["id"] for c in json.loads(self("list", "--format", "json").stdout)]


def state_left(root):
    """What a runtime root holds besides its caches ('#' names are never container ids)."""
    root = pathlib.Path(root)
    return [p for p in root.iterdir() if not p.name.startswith("#")] if root.exists() else []


def new_id():
    return f"t{os.getpid()}-{next(_ids)}"


@pytest.fixture(scope="session")
def rootfs_template(tmp_path_factory):
    if not OCI.exists() or not PROBE.exists():
        pytest.exit(f"build capsa first: {OCI} or {PROBE} is missing (scripts/build.sh)", returncode=2)
    if not BUSYBOX.exists():
        pytest.exit("busybox-static is missing (apt-get install busybox-static)", returncode=2)
    base = tmp_path_factory.mktemp("template") / "rootfs"
    for d in ["bin", "etc", "proc", "sys", "dev", "tmp", "root", "usr/bin"]:
        (base / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, base / "bin" / "busybox")
    applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True).stdout.split()
    for a in applets:
        if a != "busybox":
            os.symlink("busybox", base / "bin" / a)
    shutil.copy2(PROBE, base / "probe")
    (base / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n")
    (base / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\n")
    return base


@pytest.fixture
def workdir():
    # 0755 so that a container root mapped to another host uid can reach its bundle
    d = tempfile.mkdtemp(prefix="capsa-it-")
    os.chmod(d, 0o755)
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def bundle(rootfs_template, workdir):
    b = workdir / "bundle"
    b.mkdir()
    subprocess.run(["cp", "-a", str(rootfs_template), str(b / "rootfs")], check=True)
    return Bundle(b)


def _pid_namespaces():
    seen = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            with contextlib.suppress(OSError):
                with open(f"/proc/{p}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                        continue  # dead, waiting for the host's init to reap it
                seen[int(p)] = os.stat(f"/proc/{p}/ns/pid").st_ino
    return seen


def _mounts_under(prefix):
    with open("/proc/self/mountinfo") as f:
        return [l for l in f if prefix in l.split()[4]]


@pytest.fixture
def oci(workdir):
    """The runtime, and afterwards the leak check: no state, no container process, no mount."""
    before = set(_pid_namespaces().values())
    rt = Runtime(workdir / "state")
    yield rt
    leftovers = []
    with contextlib.suppress(Exception):
        ids = rt.ids()
        for cid in ids:
            rt("delete", "--force", cid, check=False)
        if ids:
            leftovers.append(f"containers still recorded: {ids}")
    deadline = time.time() + 5
    while True:
        new = {pid: ns for pid, ns in _pid_namespaces().items() if ns not in before}
        if not new or time.time() > deadline:
            break
        time.sleep(0.05)
    if new:
        leftovers.append(f"processes in new pid namespaces: {sorted(new)}")
        for pid in new:
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
    m = _mounts_under(str(workdir))
    if m:
        leftovers.append(f"mounts under {workdir}: {m}")
    left = state_left(workdir / "state")
    if left:
        leftovers.append(f"state left: {left}")
    assert not leftovers, "leaked: " + "; ".join(leftovers)


def _capsa_networking():
    """capsa's bridges and its nftables table, as the host has them now."""
    links = subprocess.run(["ip", "-o", "link", "show", "type", "bridge"], capture_output=True, text=True).stdout
    tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    found = {line.split(":")[1].strip().split("@")[0] for line in links.splitlines()
             if line.split(":")[1].strip().startswith("capsa")}
    if "table inet capsa" in tables:
        found.add("nft table inet capsa")
    return found


@pytest.fixture(scope="session", autouse=True)
def no_networking_left():
    """The default network is a bridge: whatever test made capsa0 (or a user network, or the nft
    table) must remove it.  Checked once, at the end of the session."""
    before = _capsa_networking()
    yield
    left = _capsa_networking() - before
    assert not left, f"the tests left capsa networking behind: {sorted(left)}"


def _capsa_cgroups():
    """The cgroup directories named capsa (the runtime's parent, capsa/ID) on every hierarchy."""
    found = set()
    for top in pathlib.Path("/sys/fs/cgroup").glob("*"):
        for d in list(top.glob("*capsa*")) + list(top.glob("*capsa*/*")) + ([top] if "capsa" in top.name else []):
            if d.is_dir():
                found.add(str(d))
    return found


@pytest.fixture(scope="session", autouse=True)
def no_cgroups_left():
    """A container's cgroups go with it, whatever ended it: no test may leave one.  Checked once, at
    the end of the session (the fixtures of the modules that create containers check their own)."""
    before = _capsa_cgroups()
    yield
    left = _capsa_cgroups() - before
    assert not left, f"the tests left cgroups behind: {sorted(left)}"


def procs_mentioning(text):
    """pids of the live processes (not this one) whose command line mentions text (a test's root:
    its monitors and containers)."""
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{p}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    continue
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(p))
    return found
