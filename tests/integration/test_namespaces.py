"""Namespaces: every kind is new (or joined), the init is PID 1, names and id maps hold."""
import json
import os
import subprocess
import time

import pytest

from conftest import NAMESPACES, default_config, host_ns, new_id


def test_all_eight_namespaces_are_new(oci, bundle):
    bundle.config = default_config(userns=True)
    bundle.chown_rootfs(100000, 100000)
    out = oci.run_json(bundle)
    for n in NAMESPACES:
        assert out["ns"][n] != host_ns(n), f"{n} namespace is the host's"
    assert out["pid"] == 1
    assert out["ppid"] == 0


def test_without_userns_the_user_namespace_is_the_hosts(oci, bundle):
    out = oci.run_json(bundle)
    assert out["ns"]["user"] == host_ns("user")
    for n in ["pid", "net", "mnt", "ipc", "uts", "cgroup", "time"]:
        assert out["ns"][n] != host_ns(n), n


def test_only_requested_namespaces(oci, bundle):
    bundle.config["linux"]["namespaces"] = [{"type": "mount"}, {"type": "pid"}]
    bundle.config.pop("hostname")
    out = oci.run_json(bundle)
    assert out["ns"]["mnt"] != host_ns("mnt")
    assert out["ns"]["pid"] != host_ns("pid")
    for n in ["net", "ipc", "uts", "cgroup", "time"]:
        assert out["ns"][n] == host_ns(n), n


def test_hostname_and_domainname(oci, bundle):
    bundle.config["hostname"] = "box1"
    bundle.config["domainname"] = "example.test"
    bundle.args("/probe", "hostname")
    out = oci.run_json(bundle)
    assert out == {"hostname": "box1", "domainname": "example.test"}
    assert os.uname().nodename != "box1"


def test_hostname_needs_uts_namespace(oci, bundle):
    bundle.config["linux"]["namespaces"] = [{"type": "mount"}, {"type": "pid"}]
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0
    assert "unable to set hostname without a private UTS namespace" in p.stderr


def test_user_mapping(oci, bundle):
    bundle.config = default_config(userns=True)
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.chown_rootfs(100000, 100000)
    bundle.args("/bin/cat", "/proc/self/uid_map", "/proc/self/gid_map", "/proc/self/status")
    p = oci("run", "-b", bundle.write().path, new_id())
    lines = p.stdout.split("\n")
    assert lines[0].split() == ["0", "100000", "65536"]
    assert lines[1].split() == ["0", "100000", "65536"]
    uid_line = next(l for l in lines if l.startswith("Uid:"))
    assert uid_line.split()[1:] == ["1000"] * 4


def test_user_mapping_host_view(oci, bundle, workdir):
    """Seen from the host, the container's uid 0 is the mapped host uid."""
    bundle.config = default_config(userns=True)
    bundle.chown_rootfs(100000, 100000)
    bundle.args("/probe", "sleep", "30")
    cid = new_id()
    oci.detach(bundle, cid, "--pid-file", workdir / "pid")
    pid = int((workdir / "pid").read_text())
    status = open(f"/proc/{pid}/status").read()
    assert [l for l in status.splitlines() if l.startswith("Uid:")][0].split()[1] == "100000"
    oci("delete", "--force", cid)


def test_time_namespace_offsets(oci, bundle):
    bundle.config["linux"]["timeOffsets"] = {"monotonic": {"secs": 86400 * 365, "nanosecs": 0},
                                             "boottime": {"secs": 7200, "nanosecs": 0}}
    bundle.args("/probe", "time")
    out = oci.run_json(bundle)
    host_mono = time.clock_gettime(time.CLOCK_MONOTONIC)
    assert out["monotonic"] - host_mono > 86400 * 365 - 60
    host_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
    assert 7200 - 60 < out["boottime"] - host_boot < 7200 + 60


@pytest.fixture
def netns_holder():
    """A process holding a fresh network namespace and uts namespace to join by path."""
    p = subprocess.Popen(["unshare", "--net", "--uts", "sh", "-c", "hostname joined-uts; exec sleep 60"])
    for _ in range(100):
        if os.stat(f"/proc/{p.pid}/ns/net").st_ino != host_ns("net"):
            break
        time.sleep(0.02)
    yield p
    p.kill()
    p.wait()


def test_join_namespaces_by_path(oci, bundle, netns_holder):
    pid = netns_holder.pid
    time.sleep(0.1)
    ns = [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"},
          {"type": "network", "path": f"/proc/{pid}/ns/net"}, {"type": "uts", "path": f"/proc/{pid}/ns/uts"}]
    bundle.config["linux"]["namespaces"] = ns
    bundle.config.pop("hostname")
    out = oci.run_json(bundle)
    assert out["ns"]["net"] == os.stat(f"/proc/{pid}/ns/net").st_ino
    assert out["ns"]["uts"] == os.stat(f"/proc/{pid}/ns/uts").st_ino
    assert out["ns"]["pid"] != host_ns("pid")
    bundle.args("/probe", "hostname")
    assert oci.run_json(bundle)["hostname"] == "joined-uts"


def test_join_missing_namespace_path_is_clear(oci, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "network", "path": "/proc/999999999/ns/net"})
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"]
                                            if n.get("type") != "network" or "path" in n]
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0
    assert "/proc/999999999/ns/net" in p.stderr
    assert "no such file or directory" in p.stderr
