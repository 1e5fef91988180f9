"""What a container sees at /sys/fs/cgroup (a `cgroup` mount, as Docker and podman send it), with
and without a cgroup namespace: its own cgroup, never the host's tree.  Without a cgroup namespace
(Docker and podman on v1, the CRI) a fresh cgroup mount would show the host's root: a memory limit
of 9223372036854771712 and every other container's cgroup, and the JVM, Go, .NET and Node would
size themselves to the whole machine.  Each case runs with runc first (/usr/sbin/runc), so a
difference that is the machine's shows as such.  This machine is hybrid; pure v2 is checked in the
VM (tests/vm/guest-cgroup2.sh)."""
import os
import shutil
import subprocess

import pytest

from conftest import default_config, new_id

RUNC = "/usr/sbin/runc"
LIMIT = 64 << 20
CGROUP_MOUNT = {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
# what the container prints; each section after a marker line
SCRIPT = ("echo @limit; cat /sys/fs/cgroup/memory/memory.limit_in_bytes;"
          " echo @dirs; find /sys/fs/cgroup/memory -mindepth 1 -type d;"
          " echo @top; ls /sys/fs/cgroup;"
          " echo @mkdir; mkdir /sys/fs/cgroup/memory/sub 2>&1 && rmdir /sys/fs/cgroup/memory/sub && echo made;"
          " echo @end")


def v1_mount(ctrl):
    for line in open("/proc/self/mountinfo"):
        pre, post = line.split(" - ")
        fstype, _, opts = post.split()[:3]
        if fstype == "cgroup" and ctrl in opts.split(","):
            return pre.split()[4]
    return None


def host_cgroup_mounts():
    return [l.split(" - ")[0].split()[4] for l in open("/proc/self/mountinfo")
            if l.split(" - ")[1].split()[0] in ("cgroup", "cgroup2")]


pytestmark = pytest.mark.skipif(v1_mount("memory") is None, reason="needs a v1 memory hierarchy (pure v2: the VM test)")


@pytest.fixture
def cgbase():
    """A parent cgroup for the container, with a sibling in the memory hierarchy that the
    container must not see; everything removed afterwards."""
    base = f"/capsa-it-view-{os.getpid()}"
    sibling = v1_mount("memory") + base + "/sibling"
    os.makedirs(sibling)
    yield base
    os.rmdir(sibling)
    for mp in host_cgroup_mounts():
        d = mp + base
        if os.path.isdir(d):
            for sub in sorted(os.listdir(d)):
                if os.path.isdir(os.path.join(d, sub)):
                    os.rmdir(os.path.join(d, sub))  # (a runtime that left its cgroup: fails below)
            os.rmdir(d)
    left = [mp + base for mp in host_cgroup_mounts() if os.path.exists(mp + base)]
    assert not left, left


def config(cgpath, cgroupns, ro=True, userns=False):
    ns = ["pid", "network", "ipc", "uts", "mount"] + (["cgroup"] if cgroupns else [])
    c = default_config(["/bin/sh", "-c", SCRIPT], namespaces=ns, userns=userns)
    m = dict(CGROUP_MOUNT)
    if not ro:
        m["options"] = [o for o in m["options"] if o != "ro"]
    c["mounts"].append(m)
    c["linux"]["cgroupsPath"] = cgpath
    c["linux"]["resources"] = {"memory": {"limit": LIMIT}}
    return c


def sections(out):
    got, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = line[1:]
            got[cur] = []
        elif cur:
            got[cur].append(line)
    assert "end" in got, out
    return got


def run_in(runtime, bundle, workdir, cgpath, cgroupns, ro=True, userns=False):
    bundle.config = config(cgpath, cgroupns, ro, userns)
    if userns:
        bundle.chown_rootfs(100000, 100000)
    bundle.write()
    if runtime == "runc":
        if not os.access(RUNC, os.X_OK):
            pytest.skip("runc is not installed")
        cmd = [RUNC, "--root", str(workdir / "runc-state"), "run", "--bundle", str(bundle.path), new_id()]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    else:
        p = runtime("run", "--bundle", bundle.path, new_id(), check=False)
    assert p.returncode == 0, f"{runtime}: {p.stderr}"
    return sections(p.stdout)


def check_view(got, runtime, ro):
    assert got["limit"] == [str(LIMIT)], (runtime, got)
    assert got["dirs"] == [], (runtime, "sees other cgroups", got["dirs"])
    assert "memory" in got["top"] and "cpu" in got["top"], (runtime, got["top"])
    if ro:
        assert "made" not in got["mkdir"] and "Read-only" in " ".join(got["mkdir"]), (runtime, got["mkdir"])
    else:
        assert got["mkdir"] == ["made"], (runtime, got["mkdir"])


@pytest.mark.parametrize("cgroupns", [False, True], ids=["host-cgroupns", "own-cgroupns"])
def test_container_sees_its_own_memory_limit(oci, bundle, workdir, cgbase, cgroupns):
    for runtime in ("runc", oci):
        got = run_in(runtime, bundle, workdir, f"{cgbase}/{new_id()}", cgroupns)
        check_view(got, runtime, ro=True)
    # hybrid: the unified hierarchy too (runc 1.1 leaves it out)
    if any(m.endswith("/unified") for m in host_cgroup_mounts()):
        assert "unified" in got["top"], got["top"]


def test_writable_cgroup_mount_without_cgroupns(oci, bundle, workdir, cgbase):
    """Without `ro` the container may make child cgroups of its own (systemd in a container)."""
    for runtime in ("runc", oci):
        got = run_in(runtime, bundle, workdir, f"{cgbase}/{new_id()}", cgroupns=False, ro=False)
        check_view(got, runtime, ro=False)


@pytest.mark.parametrize("cgroupns", [False, True], ids=["host-cgroupns", "own-cgroupns"])
def test_own_view_in_a_user_namespace(oci, bundle, workdir, cgbase, cgroupns):
    """With a user namespace (the kernel may refuse a fresh cgroup mount there): the same view."""
    for runtime in ("runc", oci):
        got = run_in(runtime, bundle, workdir, f"{cgbase}/{new_id()}", cgroupns, userns=True)
        assert got["limit"] == [str(LIMIT)], (runtime, got)
        assert got["dirs"] == [], (runtime, "sees other cgroups", got["dirs"])
        assert "made" not in got["mkdir"], (runtime, got["mkdir"])


def test_comounted_controllers_get_links(oci, bundle, workdir, cgbase):
    """A comounted hierarchy ("cpu,cpuacct") is one directory plus a link per controller."""
    comounted = [os.path.basename(m) for m in host_cgroup_mounts() if "," in os.path.basename(m)]
    if not comounted:
        pytest.skip("no comounted v1 hierarchy on this host")
    bundle.config = config(f"{cgbase}/{new_id()}", cgroupns=False)
    bundle.args("/bin/sh", "-c", f"readlink /sys/fs/cgroup/{comounted[0].split(',')[0]}")
    p = oci("run", "--bundle", bundle.write().path, new_id())
    assert p.stdout.strip() == comounted[0]


@pytest.fixture(autouse=True)
def _runc_state(workdir):
    yield
    shutil.rmtree(workdir / "runc-state", ignore_errors=True)
