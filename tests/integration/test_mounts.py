"""The root filesystem: pivot_root/chroot, mounts in order with their options, the default /dev,
linux.devices, masked and read-only paths, and destinations that stay inside the rootfs."""
import json
import os

from conftest import new_id, state_left


def mounts_of(oci, bundle):
    bundle.args("/probe", "mounts")
    return {m["mountpoint"]: m for m in oci.run_json(bundle)["mounts"]}


def stat_in(oci, bundle, path):
    bundle.args("/probe", "stat", path)
    return oci.run_json(bundle)


def write_in(oci, bundle, path, text="x"):
    """The probe's report of the write (it exits 1 when the write fails)."""
    bundle.args("/probe", "write", path, text)
    return json.loads(oci("run", "-b", bundle.write().path, new_id(), check=False).stdout)


def test_pivot_root_hides_the_host(oci, bundle):
    ms = mounts_of(oci, bundle)
    assert "/" in ms
    assert ms["/"]["root"] == str(bundle.rootfs) or ms["/"]["root"].endswith("/rootfs")
    # the host's own mounts are gone (detached with the old root)
    assert not any(mp.startswith("/work") or mp.startswith(str(bundle.path)) for mp in ms)
    bundle.args("/probe", "ls", "/")
    names = set(oci.run_json(bundle)["entries"])
    assert "probe" in names and "bin" in names and "work" not in names


def test_no_pivot_uses_chroot(oci, bundle):
    bundle.args("/probe", "ls", "/")
    p = oci("run", "--no-pivot", "-b", bundle.write().path, new_id())
    names = set(json.loads(p.stdout)["entries"])
    assert "probe" in names and "work" not in names


def test_default_dev(oci, bundle):
    bundle.args("/probe", "ls", "/dev")
    ents = oci.run_json(bundle)["entries"]
    for name, (ma, mi) in {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
                           "urandom": (1, 9), "tty": (5, 0)}.items():
        e = ents[name]
        assert e["type"] == "char" and (e["major"], e["minor"]) == (ma, mi), (name, e)
        assert e["mode"] == 0o666, name
    links = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"}
    for name, target in links.items():
        assert ents[name]["type"] == "symlink" and ents[name]["target"] == target, name
    for d in ("pts", "shm", "mqueue"):
        assert ents[d]["type"] == "dir"
    ms = mounts_of(oci, bundle)
    assert ms["/dev"]["fstype"] == "tmpfs"
    assert ms["/dev/pts"]["fstype"] == "devpts" and "ptmxmode=666" in ms["/dev/pts"]["super_options"]
    assert ms["/dev/shm"]["fstype"] == "tmpfs"
    assert ms["/dev/mqueue"]["fstype"] == "mqueue"
    # a device really works
    bundle.args("/bin/sh", "-c", "head -c 16 /dev/urandom | wc -c; echo hi > /dev/null && echo null-ok")
    assert oci("run", "-b", bundle.write().path, new_id()).stdout.split() == ["16", "null-ok"]


def test_linux_devices(oci, bundle):
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o600, "uid": 0, "gid": 0},
        {"path": "/dev/sub/loopy", "type": "b", "major": 7, "minor": 0, "fileMode": 0o640, "uid": 12, "gid": 34},
    ]
    e = stat_in(oci, bundle, "/dev/fuse")
    assert (e["type"], e["major"], e["minor"], e["mode"]) == ("char", 10, 229, 0o600)
    e = stat_in(oci, bundle, "/dev/sub/loopy")
    assert (e["type"], e["major"], e["minor"], e["mode"], e["uid"], e["gid"]) == ("block", 7, 0, 0o640, 12, 34)


def test_mounts_with_options(oci, bundle, workdir):
    host = workdir / "hostdir"
    host.mkdir()
    (host / "f").write_text("from host")
    bundle.mount(destination="/data", type="tmpfs", source="tmpfs", options=["size=1m", "mode=700", "noexec"])
    bundle.mount(destination="/ro", type="bind", source=str(host), options=["rbind", "ro"])
    bundle.mount(destination="/rw", type="none", source=str(host), options=["bind", "nosuid"])
    bundle.mount(destination="/one-file", type="bind", source=str(host / "f"), options=["bind", "ro"])
    ms = mounts_of(oci, bundle)
    assert ms["/data"]["fstype"] == "tmpfs"
    assert "size=1024k" in ms["/data"]["super_options"] and "mode=700" in ms["/data"]["super_options"]
    assert "noexec" in ms["/data"]["options"].split(",")
    assert ms["/ro"]["options"].split(",")[0] == "ro"
    assert ms["/rw"]["options"].split(",")[0] == "rw" and "nosuid" in ms["/rw"]["options"]
    assert "/one-file" in ms
    assert write_in(oci, bundle, "/ro/new")["errname"] == "EROFS"
    assert write_in(oci, bundle, "/rw/new", "hello")["ok"]
    assert (host / "new").read_text() == "hello"
    bundle.args("/probe", "read", "/one-file")
    assert oci.run_json(bundle)["content"] == "from host"


def test_relative_bind_source_is_relative_to_the_bundle(oci, bundle):
    (bundle.path / "shared").mkdir()
    (bundle.path / "shared" / "hello").write_text("bundle-relative")
    bundle.mount(destination="/shared", type="bind", source="shared", options=["bind"])
    bundle.args("/probe", "read", "/shared/hello")
    assert oci.run_json(bundle)["content"] == "bundle-relative"


def test_mounts_apply_in_order(oci, bundle):
    bundle.mount(destination="/stack", type="tmpfs", source="tmpfs", options=["size=1m"])
    bundle.mount(destination="/stack/inner", type="tmpfs", source="tmpfs", options=["size=2m"])
    ms = mounts_of(oci, bundle)
    assert "size=2048k" in ms["/stack/inner"]["super_options"]
    assert ms["/stack/inner"]["parent"] == ms["/stack"]["id"]


def test_readonly_root(oci, bundle):
    assert write_in(oci, bundle, "/newfile")["errname"] == "EROFS"
    assert write_in(oci, bundle, "/tmp/newfile")["ok"]  # a tmpfs mount stays writable
    bundle.config["root"]["readonly"] = False
    assert write_in(oci, bundle, "/newfile")["ok"]
    assert (bundle.rootfs / "newfile").exists()


def test_masked_and_readonly_paths(oci, bundle):
    bundle.config["linux"]["maskedPaths"].append("/proc/timer_list")
    e = stat_in(oci, bundle, "/proc/timer_list")
    assert (e["type"], e["major"], e["minor"]) == ("char", 1, 3)
    bundle.args("/probe", "ls", "/sys/firmware")
    assert oci.run_json(bundle)["entries"] == {}
    assert write_in(oci, bundle, "/proc/sys/kernel/hostname", "x")["errname"] == "EROFS"
    if os.path.exists("/proc/sysrq-trigger"):  # absent from this kernel's build
        assert write_in(oci, bundle, "/proc/sysrq-trigger", "h")["errname"] in ("EROFS", "EACCES")
    bundle.config["linux"]["maskedPaths"] = []
    bundle.config["linux"]["readonlyPaths"] = []
    e = stat_in(oci, bundle, "/proc/timer_list")
    assert e["type"] == "file"


def test_proc_shows_only_the_container(oci, bundle):
    bundle.args("/bin/sh", "-c", "ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '")
    pids = oci("run", "-b", bundle.write().path, new_id()).stdout.split()
    assert pids[0] == "1" and max(map(int, pids)) < 20, pids  # sh, ls, grep, sort, tr


def test_symlinked_destination_stays_inside_the_rootfs(oci, bundle, workdir):
    """A rootfs link to a host path must not redirect a mount onto the host (CVE-2021-30465 kind)."""
    target = workdir / "victim"
    target.mkdir()
    (target / "precious").write_text("keep")
    bundle.config["root"]["readonly"] = False
    os.symlink(str(target), bundle.rootfs / "evil-abs")
    os.symlink("../../../../../../../../" + str(target).lstrip("/"), bundle.rootfs / "evil-rel")
    bundle.mount(destination="/evil-abs", type="tmpfs", source="tmpfs", options=["size=1m"])
    bundle.mount(destination="/evil-rel/sub", type="tmpfs", source="tmpfs", options=["size=1m"])
    bundle.args("/probe", "ls", str(target))
    out = oci.run_json(bundle)
    # inside the container: the fresh tmpfs (holding the second mount's point), not the host's directory
    assert set(out["entries"]) == {"sub"}
    assert (target / "precious").read_text() == "keep"
    assert sorted(os.listdir(target)) == ["precious"]


def test_bad_mounts_give_clear_errors_and_leave_nothing(oci, bundle, workdir):
    bundle.mount(destination="/x", type="nosuchfs", source="none")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0
    assert "mount nosuchfs on `/x`" in p.stderr and "no such device" in p.stderr
    bundle.config["mounts"].pop()
    bundle.mount(destination="/y", type="bind", source=str(workdir / "missing"), options=["bind"])
    p = oci("create", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0
    assert str(workdir / "missing") in p.stderr and "no such file or directory" in p.stderr
    assert not state_left(workdir / "state")


def test_missing_rootfs_is_clear(oci, bundle):
    bundle.config["root"]["path"] = "nope"
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0
    assert "rootfs" in p.stderr and "nope" in p.stderr and "no such file or directory" in p.stderr


def test_cgroup_mount_follows_the_host_layout(oci, bundle):
    bundle.mount(destination="/sys/fs/cgroup", type="cgroup", source="cgroup",
                 options=["nosuid", "noexec", "nodev", "relatime", "ro"])
    ms = mounts_of(oci, bundle)
    host = {l.split(" - ")[1].split()[0] for l in open("/proc/self/mountinfo")
            if l.split()[4] == "/sys/fs/cgroup"}
    if "cgroup2" in host:
        assert ms["/sys/fs/cgroup"]["fstype"] == "cgroup2"
        return
    # v1 or hybrid: a tmpfs holding one mount per hierarchy of /proc/self/cgroup
    assert ms["/sys/fs/cgroup"]["fstype"] == "tmpfs"
    inner = {mp: m for mp, m in ms.items() if mp.startswith("/sys/fs/cgroup/")}
    assert "/sys/fs/cgroup/memory" in inner and inner["/sys/fs/cgroup/memory"]["fstype"] == "cgroup"
    assert all(m["options"].startswith("ro") for m in inner.values())
