"""The escape battery, /proc part: host-wide sysctls, masked paths through a forged /dev/null,
mounts over /proc and writes redirected inside it (issue 21 items 3 and 4).

Each attack is shown blocked: refused with a clear error, nothing left behind, and the host's
value unchanged.  Where the attack is a write to the host, the test restores the host's value
afterwards whatever happened, so that running it on a runtime without the fix does no lasting harm.
"""
import contextlib
import json
import os
import stat
import subprocess

import pytest

from conftest import new_id, state_left
from test_cli_run import capsa  # noqa: F401  (the CLI fixture)


def read_sysctl(key):
    with open("/proc/sys/" + key.replace(".", "/")) as f:
        return f.read().strip()


@contextlib.contextmanager
def host_sysctl_kept(key):
    """The host's value of key before, restored afterwards (only if something changed it)."""
    before = read_sysctl(key)
    try:
        yield before
    finally:
        if read_sysctl(key) != before:
            with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
                f.write(before)


def run(oci, bundle, cid=None):
    return oci("run", "-b", bundle.write().path, cid or new_id(), check=False)


def without_ns(bundle, ns):
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != ns]
    if ns == "uts":
        bundle.config.pop("hostname", None)  # (a hostname needs a uts namespace too)


# ---- host-wide sysctls ------------------------------------------------------------------------

# key, a value that differs from the host's (a function of it), the namespace it needs
HOST_WIDE = [
    ("kernel.core_pattern", lambda v: "|/bin/sh -c true" if v != "|/bin/sh -c true" else "core", None),
    ("vm.overcommit_memory", lambda v: "1" if v != "1" else "0", None),
]
NAMESPACED = [
    ("net.ipv4.ping_group_range", lambda v: "0\t0" if v != "0\t0" else "1\t0", "network"),
    ("kernel.shmmax", lambda v: str(int(v) - 4096), "ipc"),
    ("kernel.domainname", lambda v: "capsa-escape" if v != "capsa-escape" else "other", "uts"),
]


@pytest.mark.parametrize("key,change,ns", HOST_WIDE, ids=[k for k, _, _ in HOST_WIDE])
def test_host_wide_sysctl_is_refused(oci, bundle, key, change, ns):
    with host_sysctl_kept(key) as before:
        bundle.config["linux"]["sysctl"] = {key: change(before)}
        bundle.args("/bin/true")
        p = run(oci, bundle)
        assert p.returncode != 0
        assert f"linux.sysctl: `{key}` is not namespaced: refused (it would change the host)" in p.stderr, p.stderr
        assert read_sysctl(key) == before, f"the host's {key} was changed from a container"
    assert state_left(oci.root) == []


@pytest.mark.parametrize("key,change,ns", NAMESPACED, ids=[k for k, _, _ in NAMESPACED])
def test_namespaced_sysctl_without_its_namespace_is_refused(oci, bundle, key, change, ns):
    with host_sysctl_kept(key) as before:
        without_ns(bundle, ns)
        bundle.config["linux"]["sysctl"] = {key: change(before)}
        bundle.args("/bin/true")
        p = run(oci, bundle)
        assert p.returncode != 0
        assert (f"linux.sysctl: `{key}` needs the container's own {ns} namespace (the config shares the host's): "
                "refused, it would change the host") in p.stderr, p.stderr
        assert read_sysctl(key) == before, f"the host's {key} was changed from a container"
    assert state_left(oci.root) == []


@pytest.mark.parametrize("key,change,ns", NAMESPACED, ids=[k for k, _, _ in NAMESPACED])
def test_namespaced_sysctl_with_its_namespace_is_applied_inside_only(oci, bundle, key, change, ns):
    with host_sysctl_kept(key) as before:
        want = change(before)
        bundle.config["linux"]["sysctl"] = {key: want}
        bundle.args("/bin/cat", "/proc/sys/" + key.replace(".", "/"))
        p = run(oci, bundle)
        assert p.returncode == 0, p.stderr
        assert p.stdout.strip() == want.strip()
        assert read_sysctl(key) == before


def test_net_sysctl_in_a_joined_host_netns_is_refused(oci, bundle):
    """runc's isHostNetNS: joining the runtime's own netns by path is the host's netns."""
    key = "net.ipv4.ping_group_range"
    with host_sysctl_kept(key) as before:
        ns = bundle.config["linux"]["namespaces"]
        for n in ns:
            if n["type"] == "network":
                n["path"] = "/proc/self/ns/net"
        bundle.config["linux"]["sysctl"] = {key: "0 0" if before != "0\t0" else "1 0"}
        bundle.args("/bin/true")
        p = run(oci, bundle)
        assert p.returncode != 0
        assert f"`{key}` needs the container's own network namespace (the config joins the host's)" in p.stderr
        assert read_sysctl(key) == before
    assert state_left(oci.root) == []


def test_cli_sysctl_with_host_network_is_refused(capsa):  # noqa: F811
    key = "net.ipv4.ping_group_range"
    with host_sysctl_kept(key) as before:
        p = capsa("run", "--rm", "--network", "host", "--sysctl", f"{key}=0 0", "busybox", "true", check=False)
        assert p.returncode != 0
        assert f"--sysctl {key} cannot be used with --network host" in p.stderr, p.stderr
        assert read_sysctl(key) == before
        p = capsa("run", "--rm", "--sysctl", "kernel.core_pattern=core", "busybox", "true", check=False)
        assert p.returncode != 0
        assert "--sysctl kernel.core_pattern: not a namespaced sysctl" in p.stderr, p.stderr
        assert capsa.ps() == [] if hasattr(capsa, "ps") else True


# ---- CVE-2025-31133: masked paths through a forged /dev/null --------------------------------------

def dev_from_a_volume(bundle, workdir, null):
    """/dev is a bind of a host directory (a volume), its null made by `null(path)`."""
    dev = workdir / "devvol"
    dev.mkdir()
    null(dev / "null")
    for m in bundle.config["mounts"]:
        if m["destination"] == "/dev":
            m.clear()
            m.update(destination="/dev", type="bind", source=str(dev), options=["rbind"])
    bundle.args("/bin/cat", "/proc/keys")
    return dev


@pytest.mark.parametrize("kind", ["symlink", "file"])
def test_masked_paths_do_not_follow_a_forged_dev_null(oci, bundle, workdir, kind):
    def forge(path):
        if kind == "symlink":
            os.symlink("/proc/1/environ", path)
        else:
            path.write_text("SECRET=from-a-regular-file\n")
    dev_from_a_volume(bundle, workdir, forge)
    bundle.process["env"].append("SECRET=container-environ")
    p = run(oci, bundle)
    assert "SECRET=" not in p.stdout, "a masked path showed what the forged /dev/null names"
    assert p.returncode != 0
    assert "/dev/null in the container is not the null device" in p.stderr, p.stderr
    assert "linux.maskedPaths" in p.stderr
    assert state_left(oci.root) == []


def test_masked_paths_with_a_real_dev_null_from_a_volume(oci, bundle, workdir):
    dev_from_a_volume(bundle, workdir, lambda path: os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3)))
    p = run(oci, bundle)
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""


# ---- mounts over /proc ----------------------------------------------------------------------------

def test_bind_of_a_host_dir_at_proc_is_refused(oci, bundle, workdir):
    fake = workdir / "fakeproc"
    (fake / "sys" / "kernel").mkdir(parents=True)
    for m in bundle.config["mounts"]:
        if m["destination"] == "/proc":
            m.clear()
            m.update(destination="/proc", type="bind", source=str(fake), options=["rbind"])
    bundle.args("/bin/true")
    p = run(oci, bundle)
    assert p.returncode != 0
    assert "mounts[0].destination: `/proc` is not a procfs (a bind mount): refused" in p.stderr, p.stderr
    assert state_left(oci.root) == []


def test_bind_of_a_host_dir_inside_proc_is_refused(oci, bundle, workdir):
    fake = workdir / "fakesys"
    fake.mkdir()
    bundle.mount(destination="/proc/sys", type="bind", source=str(fake), options=["rbind"])
    bundle.args("/bin/true")
    p = run(oci, bundle)
    assert p.returncode != 0 and "`/proc/sys` is inside /proc: refused" in p.stderr, p.stderr


def test_a_symlink_cannot_lead_a_mount_into_proc(oci, bundle, workdir):
    fake = workdir / "fakesys"
    fake.mkdir()
    os.symlink("/proc/sys", bundle.rootfs / "innocent")
    bundle.mount(destination="/innocent", type="bind", source=str(fake), options=["rbind"])
    bundle.args("/bin/true")
    p = run(oci, bundle)
    assert p.returncode != 0 and "`/innocent` resolves into /proc" in p.stderr, p.stderr


def test_lxcfs_style_bind_onto_a_proc_file_is_allowed(oci, bundle, workdir):
    cpuinfo = workdir / "cpuinfo"
    cpuinfo.write_text("processor : 0 (from lxcfs)\n")
    bundle.mount(destination="/proc/cpuinfo", type="bind", source=str(cpuinfo), options=["bind", "ro"])
    bundle.args("/bin/cat", "/proc/cpuinfo")
    p = run(oci, bundle)
    assert p.returncode == 0 and "from lxcfs" in p.stdout, p.stderr


# ---- CVE-2025-52881: a sysctl write redirected by a mount over /proc/sys --------------------------

def test_sysctl_write_is_not_redirected_by_a_mount_over_proc_sys(oci, bundle, workdir):
    """A createContainer hook (it runs in the container's mount namespace, after the config's
    mounts) puts a host directory over the container's /proc/sys, as a malicious rootfs or racing
    process could: the write must reach the real sysctl of the container's ipc namespace, never
    the file that now sits at /proc/sys/kernel/shmmax."""
    decoy = workdir / "decoy"
    (decoy / "kernel").mkdir(parents=True)
    (decoy / "kernel" / "shmmax").write_text("untouched\n")
    hook = workdir / "overmount.sh"
    hook.write_text(f"#!/bin/sh\nexec mount --bind {decoy} {bundle.rootfs}/proc/sys\n")
    hook.chmod(0o755)
    bundle.config["hooks"] = {"createContainer": [{"path": str(hook), "args": ["overmount.sh"]}]}
    bundle.config["linux"]["sysctl"] = {"kernel.shmmax": "123456789"}
    bundle.config["linux"]["readonlyPaths"] = [p for p in bundle.config["linux"]["readonlyPaths"]
                                               if p != "/proc/sys"]
    bundle.args("/bin/true")
    before = read_sysctl("kernel.shmmax")
    cid = new_id()
    with open(workdir / "create.err", "w+") as errf:  # the container keeps its stdio: no pipe
        p = oci("create", "-b", bundle.write().path, cid, check=False, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=errf, capture_output=False)
        errf.seek(0)
        p.stderr = errf.read()
    try:
        assert (decoy / "kernel" / "shmmax").read_text() == "untouched\n", "the sysctl write landed in the decoy"
        assert p.returncode == 0, p.stderr
        init = oci.state(cid)["pid"]
        # the container's ipc namespace got the value; the host kept its own
        inside = subprocess.run(["nsenter", "-t", str(init), "-i", "cat", "/proc/sys/kernel/shmmax"],
                                capture_output=True, text=True, check=True).stdout.strip()
        assert inside == "123456789"
        assert read_sysctl("kernel.shmmax") == before
    finally:
        oci("delete", "--force", cid, check=False)
