"""run/create flags of issue 18 (item 9, and item 4's --platform): --pid/--ipc/--uts host|container:X,
--cgroupns, --volumes-from, --group-add, --cidfile, -p ranges, --annotation, --cgroup-parent,
--memory-reservation, --cpuset-mems, --device-*-bps/iops, --oom-kill-disable, --oom-score-adj,
--pids-limit -1, --env-host, the working directory made, --platform.  Each flag's effect is looked at
inside the container (or in its cgroup, on this hybrid host's v1 controllers); each bad value exits
125 with nothing left behind (no record, no cgroup).  Where the docker 20.10 CLI checks a value
itself (-p ranges), its message is compared; the namespace modes follow docker's documented
behaviour (docker run reference: --pid, --ipc, --uts, --cgroupns, --volumes-from, --cidfile)."""
import json
import os
import pathlib
import shutil
import socket
import subprocess

import pytest

from service_fixtures import needs_docker, needs_service, service_running
from test_cli_run import _get, capsa, wait_for  # noqa: F401  (the fixture)
from test_cli_rootless import rl, user  # noqa: F401  (a rootless capsa)
from test_dockerd import IMAGE, docker  # noqa: F401  (dockerd 20.10 with its own roots)

BASE = 18601  # 18601-18619: this file's host ports
DOCKER = pathlib.Path("/usr/bin/docker")


def _cgroups():
    return {str(p) for p in pathlib.Path("/sys/fs/cgroup").glob("*/capsa/*")}


def _refused(capsa, *args, want):
    """run ARGS exits 125 saying `want`, and leaves no container and no cgroup."""
    before, cgs = capsa("ps", "-aq").stdout.split(), _cgroups()
    p = capsa("run", "--rm", "--network", "none", *args, check=False)
    assert p.returncode == 125, (args, p.returncode, p.stderr)
    assert want in p.stderr, (args, p.stderr)
    assert capsa("ps", "-aq").stdout.split() == before
    assert _cgroups() == cgs
    return p.stderr


def _ns(pid, name):
    return os.readlink(f"/proc/{pid}/ns/{name}")


def _pid(capsa, name):
    return capsa.inspect(name)["State"]["Pid"]


def _run(capsa, *args):
    return capsa("run", "--rm", "--network", "none", *args).stdout


def test_host_namespaces(capsa):
    """--pid/--ipc/--uts/--cgroupns host: the host's namespaces (docker: "use the host's ...
    namespace inside the container"); the defaults are the container's own."""
    out = _run(capsa, "--pid", "host", "--ipc", "host", "--uts", "host", "--cgroupns", "host", "busybox", "sh", "-c",
               "for n in pid ipc uts cgroup; do readlink /proc/self/ns/$n; done; hostname").split()
    assert out[:4] == [_ns("self", n) for n in ("pid", "ipc", "uts", "cgroup")]
    assert out[4] == socket.gethostname()
    own = _run(capsa, "busybox", "sh", "-c", "for n in pid ipc uts cgroup; do readlink /proc/self/ns/$n; done").split()
    assert not set(own) & {_ns("self", n) for n in ("pid", "ipc", "uts", "cgroup")}
    # the cgroup namespace: private (capsa's default, docker's on cgroup v2) shows "/", host the path
    assert all(line.endswith(":/") for line in _run(capsa, "busybox", "cat", "/proc/self/cgroup").split())
    host = _run(capsa, "--cgroupns", "host", "busybox", "cat", "/proc/self/cgroup")
    assert "/capsa/" in host
    # --ipc host: the host's /dev/shm; none: no /dev/shm at all
    marker = pathlib.Path("/dev/shm") / f"capsa-test-{os.getpid()}"
    marker.write_text("x")
    try:
        assert _run(capsa, "--ipc", "host", "busybox", "ls", "/dev/shm").split().count(marker.name) == 1
    finally:
        marker.unlink()
    assert _run(capsa, "--ipc", "none", "busybox", "sh", "-c", "grep -c ' /dev/shm ' /proc/mounts || true").strip() == "0"
    capsa("create", "--name", "modes", "--network", "none", "--pid", "host", "--ipc", "shareable", "--uts", "host",
          "--cgroupns", "host", "busybox", "true")
    hc = capsa.inspect("modes")["HostConfig"]
    assert (hc["PidMode"], hc["IpcMode"], hc["UTSMode"], hc["CgroupnsMode"]) == ("host", "shareable", "host", "host")
    capsa("rm", "modes")


def test_join_a_running_containers_namespaces(capsa):
    """--pid/--ipc container:X: that container's namespaces (its processes seen); X not running or
    missing, a bad mode, -h with --uts host: errors, nothing made."""
    capsa("run", "-d", "--name", "donor", "--network", "none", "busybox", "sleep", "300")
    try:
        pid = _pid(capsa, "donor")
        out = _run(capsa, "--pid", "container:donor", "--ipc", "container:donor", "busybox", "sh", "-c",
                   "readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; ps -o comm").split()
        assert out[:2] == [_ns(pid, "pid"), _ns(pid, "ipc")]
        assert "sleep" in out[2:]
        capsa("create", "--name", "stopped", "--network", "none", "busybox", "true")
        _refused(capsa, "--pid", "container:stopped", "busybox", "true", want="not running")
        _refused(capsa, "--ipc", "container:nosuch", "busybox", "true", want="no such container: nosuch")
        _refused(capsa, "--pid", "private", "busybox", "true", want="--pid `private`: invalid mode")
        _refused(capsa, "--ipc", "bogus", "busybox", "true", want="--ipc `bogus`: invalid mode")
        _refused(capsa, "--uts", "container:donor", "busybox", "true", want="--uts `container:donor`: invalid mode")
        _refused(capsa, "--cgroupns", "x", "busybox", "true", want="--cgroupns `x`: invalid mode")
        _refused(capsa, "--uts", "host", "-h", "foo", "busybox", "true", want="conflicting options")
    finally:
        capsa("rm", "-f", "donor", "stopped", check=False)


def test_volumes_from(capsa):
    """--volumes-from CTR[:ro|rw]: its binds and named volumes at the same places (a stopped
    container's too), read-only with :ro; an unknown container or mode: errors."""
    src = capsa.tmp / "src"
    src.mkdir()
    (src / "f").write_text("from the bind\n")
    capsa("run", "--name", "vsrc", "--network", "none", "-v", f"{src}:/data", "-v", "flagvol:/vol", "busybox",
          "sh", "-c", "echo in the volume > /vol/v")
    try:
        out = _run(capsa, "--volumes-from", "vsrc", "busybox", "sh", "-c", "cat /data/f /vol/v; echo w > /data/g")
        assert out == "from the bind\nin the volume\n"
        assert (src / "g").read_text() == "w\n"
        p = capsa("run", "--rm", "--network", "none", "--volumes-from", "vsrc:ro", "busybox", "sh", "-c",
                  "echo x > /vol/v", check=False)
        assert p.returncode != 0 and "Read-only" in p.stderr
        capsa("create", "--name", "vdst", "--network", "none", "--volumes-from", "vsrc:ro", "busybox", "true")
        info = capsa.inspect("vdst")
        assert info["HostConfig"]["VolumesFrom"] == ["vsrc:ro"]
        assert sorted((m["Destination"], m["RW"]) for m in info["Mounts"]) == [("/data", False), ("/vol", False)]
        capsa("rm", "vdst")
        _refused(capsa, "--volumes-from", "nosuch", "busybox", "true", want="no such container: nosuch")
        _refused(capsa, "--volumes-from", "vsrc:rx", "busybox", "true", want="unknown mode `rx`")
    finally:
        capsa("rm", "-f", "vsrc", check=False)
        capsa("volume", "rm", "flagvol", check=False)


def test_group_add(capsa):
    """--group-add: a gid, or a name of the image's /etc/group (id -G); an unknown name: an error."""
    assert _run(capsa, "--group-add", "10", "--group-add", "nogroup", "busybox", "id", "-G").split() == \
        ["0", "10", "65534"]
    _refused(capsa, "--group-add", "nosuchgroup", "busybox", "true", want="unable to find group nosuchgroup")


def test_cidfile(capsa):
    """--cidfile: the id written at create; a file that exists is refused (docker's message) with
    nothing made; a create that fails leaves no file."""
    cid = capsa.tmp / "cid"
    out = capsa("create", "--cidfile", cid, "--network", "none", "busybox", "true").stdout.strip()
    assert cid.read_text() == out
    before = capsa("ps", "-aq").stdout
    p = capsa("create", "--cidfile", cid, "--network", "none", "busybox", "true", check=False)
    assert p.returncode == 125 and "container ID file found" in p.stderr
    assert capsa("ps", "-aq").stdout == before and cid.read_text() == out
    capsa("rm", out)
    bad = capsa.tmp / "bad-cid"
    _refused(capsa, "--cidfile", bad, "--pid", "x", "busybox", "true", want="invalid mode")
    assert not bad.exists()


def _docker_cli_error(*args):
    """The docker 20.10 CLI's own check of run flags (it parses -p before it reaches a daemon)."""
    if not DOCKER.exists():
        pytest.skip("no docker CLI")
    p = subprocess.run([str(DOCKER), "-H", "unix:///nonexistent/docker.sock", "create", *args, "busybox"],
                       capture_output=True, text=True, timeout=20)
    return p.stderr


def test_port_ranges(capsa):
    """-p ranges: 127.0.0.1:A-B:C-D (each pair), A-B:C (one free port of the range), /udp; the
    same errors as docker's CLI for ranges that do not match."""
    www = capsa.tmp / "www"
    www.mkdir()
    (www / "index.html").write_text("range\n")
    try:
        # the range's first port is taken: the next one is published
        capsa("run", "-d", "--name", "r1", "-p", f"{BASE + 10}:8082", "busybox", "sleep", "300")
        capsa("run", "-d", "--name", "rng", "-p", f"127.0.0.1:{BASE}-{BASE + 1}:8080-8081",
              "-p", f"{BASE + 10}-{BASE + 12}:8082", "-p", f"127.0.0.1:{BASE + 5}-{BASE + 6}:80-81/udp",
              "-v", f"{www}:/www:ro", "busybox", "sh", "-c",
              "httpd -p 8080 -h /www; httpd -p 8081 -h /www; exec httpd -f -p 8082 -h /www")
        assert capsa("port", "rng").stdout.splitlines() == [
            f"8080/tcp -> 127.0.0.1:{BASE}", f"8081/tcp -> 127.0.0.1:{BASE + 1}", f"8082/tcp -> 0.0.0.0:{BASE + 11}",
            f"80/udp -> 127.0.0.1:{BASE + 5}", f"81/udp -> 127.0.0.1:{BASE + 6}"]
        for port in (BASE, BASE + 1, BASE + 11):
            assert wait_for(lambda: _get(f"http://127.0.0.1:{port}/")) == b"range\n", port
        p = capsa("run", "-d", "--name", "r3", "-p", f"{BASE + 10}-{BASE + 11}:8082", "busybox", "true", check=False)
        assert p.returncode == 125 and f"no free host port in {BASE + 10}-{BASE + 11}" in p.stderr, p.stderr
    finally:
        capsa("rm", "-f", "r1", "rng", "r3", check=False)
        capsa("network", "rm", "-f", "bridge", check=False)
    for spec, want in [("8000-8001:80-83", "Invalid ranges specified for container and host Ports: 80-83 and 8000-8001"),
                       ("8000:80-81", "Invalid ranges specified for container and host Ports: 80-81 and 8000"),
                       ("8003-8000:80", "Invalid hostPort: 8003-8000"), ("x-y:80", "Invalid hostPort: x-y"),
                       ("8000:83-80", "Invalid containerPort: 83-80")]:
        _refused(capsa, "--network", "bridge", "-p", spec, "busybox", "true", want=want)
        docker = _docker_cli_error("-p", spec)
        assert want.lower() in docker.lower(), (spec, docker)


def test_annotations_in_config_json(capsa):
    """--annotation K=V: the OCI config's annotations, and HostConfig.Annotations."""
    cid = capsa("create", "--network", "none", "--annotation", "org.example.a=1", "--annotation", "b=x=y",
                "busybox", "true").stdout.strip()
    cfg = json.loads((capsa.root / "containers" / cid / "bundle" / "config.json").read_text())
    assert cfg["annotations"]["org.example.a"] == "1" and cfg["annotations"]["b"] == "x=y"
    assert capsa.inspect(cid)["HostConfig"]["Annotations"] == {"org.example.a": "1", "b": "x=y"}
    capsa("rm", cid)
    _refused(capsa, "--annotation", "novalue", "busybox", "true", want="--annotation `novalue`: expected KEY=VALUE")


def _block_device():
    for d in ("vda", "sda", "nvme0n1", "xvda", "loop0"):
        if pathlib.Path(f"/dev/{d}").is_block_device():
            return f"/dev/{d}"
    pytest.skip("no block device")


def test_cgroup_parent_and_resources(capsa):
    """--cgroup-parent (the cgroup is PATH/ID), --memory-reservation, --cpuset-mems, --device-*,
    --oom-kill-disable, --pids-limit -1: the files of the container's v1 cgroups; removed with it."""
    if not pathlib.Path("/sys/fs/cgroup/memory/memory.soft_limit_in_bytes").exists():
        pytest.skip("needs the cgroup v1 memory controller (this hybrid host's)")
    dev = _block_device()
    major, minor = os.major(os.stat(dev).st_rdev), os.minor(os.stat(dev).st_rdev)
    parent = f"capsa-test-parent-{os.getpid()}"
    try:
        capsa("run", "-d", "--name", "res", "--network", "none", "--cgroup-parent", f"/{parent}", "-m", "64m",
              "--memory-reservation", "32m", "--cpuset-mems", "0", "--oom-kill-disable", "--pids-limit", "-1",
              "--device-read-bps", f"{dev}:1m", "--device-write-bps", f"{dev}:2m", "--device-read-iops", f"{dev}:100",
              "--device-write-iops", f"{dev}:200", "busybox", "sleep", "300")
        cid = capsa.inspect("res")["Id"]
        cg = pathlib.Path("/sys/fs/cgroup")

        def read(ctl, f):
            return (cg / ctl / parent / cid / f).read_text()
        assert read("memory", "memory.soft_limit_in_bytes").strip() == str(32 << 20)
        assert "oom_kill_disable 1" in read("memory", "memory.oom_control")
        assert read("cpuset", "cpuset.mems").strip() == "0"
        assert read("pids", "pids.max").strip() == "max"
        assert read("blkio", "blkio.throttle.read_bps_device").split() == [f"{major}:{minor}", str(1 << 20)]
        assert read("blkio", "blkio.throttle.write_bps_device").split() == [f"{major}:{minor}", str(2 << 20)]
        assert read("blkio", "blkio.throttle.read_iops_device").split() == [f"{major}:{minor}", "100"]
        assert read("blkio", "blkio.throttle.write_iops_device").split() == [f"{major}:{minor}", "200"]
        hc = capsa.inspect("res")["HostConfig"]
        assert (hc["CgroupParent"], hc["MemoryReservation"], hc["CpusetMems"], hc["OomKillDisable"],
                hc["PidsLimit"]) == (f"/{parent}", 32 << 20, "0", True, -1)
        assert hc["BlkioDeviceReadBps"] == [{"Path": dev, "Rate": 1 << 20}]
        capsa("rm", "-f", "res")
        assert not (cg / "memory" / parent / cid).exists()
    finally:
        capsa("rm", "-f", "res", check=False)
        for d in pathlib.Path("/sys/fs/cgroup").glob(f"*/{parent}"):
            d.rmdir()
    _refused(capsa, "-m", "32m", "--memory-reservation", "64m", "busybox", "true", want="above --memory")
    _refused(capsa, "--cpuset-mems", "63", "busybox", "true", want="requested memory nodes are not available")
    _refused(capsa, "--cpuset-mems", "x", "busybox", "true", want="expected a list of memory nodes")
    _refused(capsa, "--device-read-bps", "/dev/null:1m", "busybox", "true", want="is not a block device")
    _refused(capsa, "--device-write-iops", f"{dev}:x", "busybox", "true", want="expected DEVICE:RATE")
    _refused(capsa, "--cgroup-parent", "../up", "busybox", "true", want="without `.` or `..`")


def _has_cap_sys_resource():
    with open("/proc/self/status") as f:
        eff = next(line for line in f if line.startswith("CapEff:"))
    return (int(eff.split()[1], 16) >> 24) & 1 == 1


def test_oom_score_adj(capsa):
    """--oom-score-adj: a raise is seen in /proc/self/oom_score_adj; lowering it below capsa's own
    needs CAP_SYS_RESOURCE, which root lacks on this host: the error says so; out of range: usage."""
    assert _run(capsa, "--oom-score-adj", "500", "busybox", "cat", "/proc/self/oom_score_adj").strip() == "500"
    with open("/proc/self/oom_score_adj") as f:
        own = int(f.read())
    if not _has_cap_sys_resource():
        _refused(capsa, "--oom-score-adj", str(own - 1), "busybox", "true", want="needs CAP_SYS_RESOURCE")
    _refused(capsa, "--oom-score-adj", "1001", "busybox", "true", want="expected a number from -1000 to 1000")


def test_env_host(capsa):
    """--env-host (podman's): this whole environment, under -e."""
    env = dict(os.environ, CAPSA_T_HOST="from the host", CAPSA_T_OVER="host")
    p = capsa("run", "--rm", "--network", "none", "--env-host", "-e", "CAPSA_T_OVER=flag", "busybox", "sh", "-c",
              'echo "$CAPSA_T_HOST|$CAPSA_T_OVER"', env=env)
    assert p.stdout == "from the host|flag\n"
    p = capsa("run", "--rm", "--network", "none", "busybox", "sh", "-c", 'echo "${CAPSA_T_HOST-unset}"', env=env)
    assert p.stdout == "unset\n"


def test_workdir_is_made(capsa):
    """-w DIR the image lacks: made (root's, 0755), as docker's create; a file: an error."""
    assert _run(capsa, "-w", "/made/here", "busybox", "sh", "-c", "pwd; stat -c '%u %a' .") == "/made/here\n0 755\n"
    # a user namespace of its own: its root's (docker's remapped root), writable by it
    assert _run(capsa, "--uidmap", "0:300000:65536", "-w", "/made/there", "busybox", "sh", "-c",
                "stat -c '%u %a' . ..; touch f && echo writable") == "0 755\n0 755\nwritable\n"
    _refused(capsa, "-w", "/etc/passwd", "busybox", "true", want="`/etc/passwd` is not a directory")
    _refused(capsa, "-w", "/etc/passwd/x", "busybox", "true", want="cannot mkdir")


def test_platform(capsa):
    """--platform: the local image's must match (docker's message); a malformed value: usage."""
    arch = json.loads(capsa("image", "inspect", "busybox").stdout)[0]["Architecture"]
    assert _run(capsa, "--platform", f"linux/{arch}", "busybox", "echo", "ok") == "ok\n"
    other = "arm64" if arch != "arm64" else "amd64"
    _refused(capsa, "--platform", f"linux/{other}", "--pull", "never", "busybox", "true",
             want=f"does not match the specified platform: wanted linux/{other}, actual: linux/{arch}")
    _refused(capsa, "--platform", "amd64", "busybox", "true", want="expected OS/ARCH[/VARIANT]")


def test_help_lists_the_flags(capsa):
    out = capsa("run", "--help").stdout
    for flag in ("--pid", "--ipc", "--uts", "--cgroupns", "--volumes-from", "--group-add", "--cidfile",
                 "--annotation", "--cgroup-parent", "--memory-reservation", "--cpuset-mems", "--device-read-bps",
                 "--device-write-iops", "--oom-kill-disable", "--oom-score-adj", "--env-host", "--platform"):
        assert f"  {flag} " in out, flag


@needs_service
@needs_docker
def test_through_the_docker_api():
    """The docker 20.10 CLI against capsa's service: the same flags land as from capsa's CLI
    (HostConfig's PidMode, IpcMode, UTSMode, GroupAdd, OomScoreAdj, VolumesFrom, CgroupParent,
    MemoryReservation, BlkioDeviceReadBps), and a bad one is refused with the engine's message."""
    with service_running() as svc:
        out = svc.docker("run", "--rm", "--network", "none", "--pid", "host", "--ipc", "host", "--uts", "host",
                         "--group-add", "10", "--oom-score-adj", "500", "busybox", "sh", "-c",
                         "readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts;"
                         " id -G; cat /proc/self/oom_score_adj").stdout.split()
        assert out == [_ns("self", "pid"), _ns("self", "ipc"), _ns("self", "uts"), "0", "10", "500"]
        svc.docker("create", "--name", "vsrc", "--network", "none", "-v", "/tmp:/hosttmp:ro", "busybox", "true")
        try:
            dev = _block_device()
            svc.docker("create", "--name", "vdst", "--network", "none", "--volumes-from", "vsrc",
                       "--memory-reservation", "32m", "--device-read-bps", f"{dev}:1mb", "busybox", "true")
            hc = json.loads(svc.docker("inspect", "vdst").stdout)[0]["HostConfig"]
            assert hc["VolumesFrom"] == ["vsrc"] and hc["MemoryReservation"] == 32 << 20
            assert hc["BlkioDeviceReadBps"] == [{"Path": dev, "Rate": 1 << 20}]
            p = svc.docker("create", "--network", "none", "--pid", "container:nosuch", "busybox", "true", check=False)
            assert p.returncode != 0 and "no such container: nosuch" in p.stderr, p.stderr
        finally:
            svc.docker("rm", "-f", "vsrc", "vdst", check=False)


def test_same_as_dockerd(capsa, docker):  # noqa: F811
    """The same runs under dockerd 20.10 (runc) and capsa give the same answers: the host's PID and
    UTS namespaces, --ipc none's missing /dev/shm, --group-add, --oom-score-adj (a raise; a lowering
    fails in both), a working directory made (root's, 0755), and one that is a file refused.
    (The default cgroup namespace differs on this cgroup v1 host: dockerd's is the host's, capsa's
    its own, as dockerd's on v2.)"""
    script = ("readlink /proc/self/ns/pid; hostname; grep -c ' /dev/shm ' /proc/mounts; id -G;"
              " cat /proc/self/oom_score_adj; pwd; stat -c '%u %a' .")
    flags = ["--network", "none", "--pid", "host", "--uts", "host", "--ipc", "none", "--group-add", "10",
             "--oom-score-adj", "500", "-w", "/made/here"]
    theirs = docker("run", "--rm", *flags, IMAGE, "sh", "-c", script, check=False)
    ours = capsa("run", "--rm", *flags, "busybox", "sh", "-c", script, check=False)
    assert theirs.stdout == ours.stdout and theirs.stdout, (theirs.stdout, theirs.stderr, ours.stdout, ours.stderr)
    for bad in (["-w", "/etc/passwd"], ["--oom-score-adj", "-5"] if not _has_cap_sys_resource() else None):
        if bad is None:
            continue
        theirs = docker("run", "--rm", "--network", "none", *bad, IMAGE, "true", check=False)
        ours = capsa("run", "--rm", "--network", "none", *bad, "busybox", "true", check=False)
        assert theirs.returncode != 0 and ours.returncode == 125, (bad, theirs.stderr, ours.stderr)


@pytest.mark.skipif(shutil.which("slirp4netns") is None, reason="slirp4netns is not installed")
def test_port_range_on_slirp4netns(capsa):
    """-p A-B:C on slirp4netns: the first port of the range slirp4netns can bind (the one before is
    a host program's), reachable from 127.0.0.1."""
    www = capsa.tmp / "www"
    www.mkdir()
    (www / "index.html").write_text("slirp range\n")
    taken = socket.socket()
    taken.bind(("127.0.0.1", BASE + 15))
    taken.listen(1)
    try:
        capsa("run", "-d", "--name", "sr", "--network", "slirp4netns", "-p", f"127.0.0.1:{BASE + 15}-{BASE + 17}:80",
              "-v", f"{www}:/www:ro", "busybox", "httpd", "-f", "-p", "80", "-h", "/www")
        assert capsa("port", "sr").stdout.split() == ["80/tcp", "->", f"127.0.0.1:{BASE + 16}"]
        assert wait_for(lambda: _get(f"http://127.0.0.1:{BASE + 16}/")) == b"slirp range\n"
    finally:
        taken.close()
        capsa("rm", "-f", "sr", check=False)


def test_rootless(rl):  # noqa: F811
    """Rootless on this host (no cgroup of its own): the new resource flags and --cgroup-parent are
    refused clearly; the namespace flags, --group-add and a made working directory work; a raise of
    the OOM score works, a lowering is refused (no CAP_SYS_RESOURCE in the host's namespace)."""
    rl.mkimage()
    probe = subprocess.run(["stat", "-fc", "%T", "/sys/fs/cgroup"], capture_output=True, text=True).stdout.strip()
    if probe != "cgroup2fs":
        for flag in (["--memory-reservation", "32m"], ["--cpuset-mems", "0"], ["--oom-kill-disable"],
                     ["--cgroup-parent", "/x"]):
            p = rl("run", "--rm", "--network", "none", *flag, "busybox", "true", check=False)
            assert p.returncode == 125 and "rootless" in p.stderr, (flag, p.stderr)
    out = rl("run", "--rm", "--network", "none", "--uts", "host", "--group-add", "10", "--oom-score-adj", "100",
             "-w", "/made", "busybox", "sh", "-c", "hostname; id -G; cat /proc/self/oom_score_adj; pwd").stdout
    assert out.split() == [socket.gethostname(), "0", "10", "100", "/made"]
    p = rl("run", "--rm", "--network", "none", "--oom-score-adj", "-1", "busybox", "true", check=False)
    assert p.returncode == 125 and "CAP_SYS_RESOURCE" in p.stderr
    assert rl("ps", "-aq").stdout == ""
