"""Cgroups on the host the tests run on (this machine: hybrid v1 + v2; pure v2 runs in a VM, see
test_vm_cgroup2.py): resources land in the kernel's files and are enforced, cgroupsPath forms,
update, pause/resume, ps, events, and nothing is left behind."""
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import new_id, state_left

V1_NAMES = {"memory": "memory", "pids": "pids", "cpu": "cpu", "cpuacct": "cpuacct", "cpuset": "cpuset",
            "freezer": "freezer", "devices": "devices", "blkio": "blkio"}


def hierarchies():
    """controller -> (mount point, version, our own cgroup there)."""
    mounts = {}
    for line in open("/proc/self/mountinfo"):
        pre, post = line.split(" - ")
        fstype, _, opts = post.split()[:3]
        mp = pre.split()[4]
        if fstype == "cgroup":
            for o in opts.split(","):
                mounts.setdefault(o, (mp, 1))
        elif fstype == "cgroup2":
            for c in open(os.path.join(mp, "cgroup.controllers")).read().split():
                mounts.setdefault(c, (mp, 2))
            mounts.setdefault("", (mp, 2))
    own = {}
    for line in open("/proc/self/cgroup"):
        _, ctrls, path = line.strip().split(":", 2)
        for c in (ctrls.split(",") if ctrls else [""]):
            own[c] = path
    out = {}
    for c, (mp, v) in mounts.items():
        out[c] = (mp, v, own.get(c if v == 1 else "", "/"))
    return out


H = hierarchies()


def cgdir(controller, cgpath):
    mp, _, _ = H[controller]
    return mp + cgpath


def version(controller):
    return H[controller][1]


def read(controller, cgpath, file):
    with open(os.path.join(cgdir(controller, cgpath), file)) as f:
        return f.read().strip()


@pytest.fixture
def cgpath():
    base = f"/capsa-it-{os.getpid()}"
    path = f"{base}/{new_id()}"
    yield path
    # the runtime removes what it made: nothing of the test's base may remain in any hierarchy
    left = [mp + base for mp, _, _ in H.values() if os.path.exists(mp + base)]
    assert not left, f"cgroups left behind: {left}"


def detached(oci, bundle, cgpath, resources=None, args=("/probe", "sleep", "60")):
    bundle.config["linux"]["cgroupsPath"] = cgpath
    if resources is not None:
        bundle.config["linux"]["resources"] = resources
    bundle.args(*args)
    cid = new_id()
    oci.detach(bundle, cid)
    return cid


def test_resources_land_in_the_kernels_files(oci, bundle, cgpath):
    res = {"memory": {"limit": 64 << 20, "reservation": 32 << 20, "swap": 96 << 20, "swappiness": 10,
                      "disableOOMKiller": False},
           "cpu": {"shares": 512, "quota": 30000, "period": 100000, "cpus": "0", "mems": "0"},
           "pids": {"limit": 42}}
    cid = detached(oci, bundle, cgpath, res)
    if version("memory") == 1:
        assert read("memory", cgpath, "memory.limit_in_bytes") == str(64 << 20)
        assert read("memory", cgpath, "memory.soft_limit_in_bytes") == str(32 << 20)
        assert read("memory", cgpath, "memory.memsw.limit_in_bytes") == str(96 << 20)
        assert read("memory", cgpath, "memory.swappiness") == "10"
    else:
        assert read("memory", cgpath, "memory.max") == str(64 << 20)
        assert read("memory", cgpath, "memory.swap.max") == str(32 << 20)
    if version("cpu") == 1:
        assert read("cpu", cgpath, "cpu.shares") == "512"
        assert read("cpu", cgpath, "cpu.cfs_quota_us") == "30000"
        assert read("cpu", cgpath, "cpu.cfs_period_us") == "100000"
    else:
        assert read("cpu", cgpath, "cpu.max") == "30000 100000"
    assert read("cpuset", cgpath, "cpuset.cpus") == "0"
    assert read("pids", cgpath, "pids.max") == "42"
    # the init is in every hierarchy's directory
    pid = oci.state(cid)["pid"]
    for c in ("memory", "pids", "cpu", "freezer"):
        assert str(pid) in read(c, cgpath, "cgroup.procs").split(), c
    oci("delete", "--force", cid)
    for c in ("memory", "pids", "cpu"):
        assert not os.path.exists(cgdir(c, cgpath)), c


@pytest.mark.skipif(not shutil.which("strace"), reason="strace is not installed (.ci/packages-test.txt has it)")
def test_runtime_writes_no_cgroup_procs_without_a_user_namespace(oci, bundle, cgpath):
    """The init joins its v1 cgroups itself (`tasks`, which skips the kernel's global lock and its
    grace-period wait) and its v2 one at birth (CLONE_INTO_CGROUP): the runtime writes no
    cgroup.procs, and the init is in every hierarchy all the same."""
    bundle.config["linux"]["cgroupsPath"] = cgpath
    bundle.args("/probe", "cgroup")
    bundle.write()
    log = bundle.path / "strace.log"
    cid = new_id()
    p = subprocess.run(["strace", "-f", "-e", "trace=openat", "-o", str(log), *oci.cmd("run", "--bundle", bundle.path, cid)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    opened = log.read_text().splitlines()
    procs = [l for l in opened if "cgroup.procs" in l and "O_WRONLY" in l and cgpath in l]
    tasks = [l for l in opened if l.split("(", 1)[-1].find(cgpath) >= 0 and "/tasks\"" in l and "O_WRONLY" in l]
    assert not procs, procs
    v1 = [c for c, (mp, v, _) in H.items() if v == 1]
    assert len(tasks) == len({H[c][0] for c in v1}), tasks  # one per v1 hierarchy in use
    lines = json.loads(subprocess.run(oci.cmd("run", "--bundle", bundle.path, new_id()), check=True,
                                      capture_output=True, text=True).stdout)["cgroups"]
    assert lines and all(l.endswith(":/") for l in lines), lines  # (its cgroup namespace's root: joined first)


def test_container_sees_its_cgroup_as_root(oci, bundle, cgpath):
    bundle.config["linux"]["cgroupsPath"] = cgpath
    bundle.args("/probe", "cgroup")
    lines = oci.run_json(bundle)["cgroups"]
    assert lines and all(l.endswith(":/") for l in lines), lines


def test_cgroups_path_forms(oci, bundle, workdir):
    """absolute: under each hierarchy's root; relative and empty: under the caller's own cgroup."""
    bundle.args("/probe", "sleep", "60")
    mp, v, own = H["pids"]
    base = own if v == 1 or own == "/" else os.path.dirname(own)
    rel = f"capsa-it-rel-{os.getpid()}/x"
    for given, expect in [(f"/capsa-it-abs-{os.getpid()}/y", f"/capsa-it-abs-{os.getpid()}/y"),
                          (rel, os.path.join(base, rel)), ("", None)]:
        cid = new_id()
        bundle.config["linux"]["cgroupsPath"] = given
        oci.detach(bundle, cid)
        where = mp + (expect if expect else os.path.join(base, cid))
        pid = oci.state(cid)["pid"]
        assert str(pid) in open(os.path.join(where, "cgroup.procs")).read().split(), (given, where)
        oci("delete", "--force", cid)
        assert not os.path.exists(where)
        if expect:  # the parents it made went with it
            assert not os.path.exists(mp + "/" + expect.lstrip("/").split("/")[0] if given.startswith("/")
                                      else os.path.join(mp + base, rel.split("/")[0]))


def test_dotdot_in_cgroups_path_is_refused(oci, bundle, workdir):
    bundle.config["linux"]["cgroupsPath"] = "/a/../../b"
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0 and "`..` is not allowed" in p.stderr
    assert not state_left(workdir / "state")


def test_cgroup_manager_disabled(oci, bundle, cgpath):
    bundle.config["linux"]["cgroupsPath"] = cgpath
    bundle.args("/bin/cat", "/proc/self/cgroup")
    p = oci("run", "-b", bundle.write().path, new_id(), globals_=["--cgroup-manager", "disabled"])
    mine = open("/proc/self/cgroup").read().split()
    # no cgroup of its own: the container is where the runtime was (its cgroup namespace root)
    assert all(l.endswith(":/") for l in p.stdout.split())
    assert not os.path.exists(cgdir("pids", cgpath))
    assert mine  # (read for the record)


def test_pids_limit_refuses_a_fork(oci, bundle, cgpath):
    bundle.config["linux"]["cgroupsPath"] = cgpath
    bundle.config["linux"]["resources"] = {"pids": {"limit": 5}}
    bundle.args("/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait; echo end")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert "can't fork" in p.stderr or "Resource temporarily unavailable" in p.stderr, p.stderr


def test_memory_limit_oom_kills_a_hog(oci, bundle, cgpath):
    bundle.config["linux"]["cgroupsPath"] = cgpath
    bundle.config["linux"]["resources"] = {"memory": {"limit": 32 << 20, "swap": 32 << 20}}
    bundle.args("/bin/sh", "-c", "dd if=/dev/zero of=/dev/null bs=100M count=1; echo dd-exit=$?")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert "dd-exit=137" in p.stdout, (p.stdout, p.stderr)  # SIGKILLed by the OOM killer
    bundle.config["linux"]["resources"] = {"memory": {"limit": 256 << 20, "swap": 256 << 20}}
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert "dd-exit=0" in p.stdout


def test_cpu_quota_is_enforced(oci, bundle, cgpath):
    cid = detached(oci, bundle, cgpath, {"cpu": {"quota": 20000, "period": 100000}},
                   args=("/bin/sh", "-c", "while :; do :; done"))
    t0 = time.time()
    u0 = json.loads(oci("events", "--stats", cid).stdout)["data"]["cpu"]["usage"]["total"]
    time.sleep(1.0)
    u1 = json.loads(oci("events", "--stats", cid).stdout)["data"]["cpu"]["usage"]["total"]
    used = (u1 - u0) / 1e9 / (time.time() - t0)
    oci("delete", "--force", cid)
    assert 0.05 < used < 0.35, f"a busy loop under a 20% quota used {used:.2f} of a cpu"


def test_devices_allowlist(oci, bundle, cgpath):
    bundle.config["linux"]["cgroupsPath"] = cgpath
    bundle.config["linux"]["devices"] = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11,
                                          "fileMode": 0o644}]
    bundle.args("/bin/sh", "-c", "(exec 3</dev/kmsg) && echo opened || echo denied; exec 4</dev/null && echo null-ok")
    bundle.config["linux"]["resources"] = {"devices": [{"allow": False, "access": "rwm"}]}
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.stdout.split() == ["denied", "null-ok"], (p.stdout, p.stderr)  # /dev/null: allowed by default
    assert "Operation not permitted" in p.stderr, p.stderr
    bundle.config["linux"]["resources"]["devices"].append({"allow": True, "type": "c", "major": 1, "minor": 11,
                                                           "access": "r"})
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.stdout.split() == ["opened", "null-ok"], p.stderr


def test_hugetlb_limit_where_the_controller_lives(oci, bundle, cgpath):
    if "hugetlb" not in H:
        pytest.skip("no hugetlb controller on this host")
    sizes = [d.split("-")[1].replace("kB", "") for d in os.listdir("/sys/kernel/mm/hugepages")]
    size = {"2048": "2MB", "1048576": "1GB"}.get(sizes[0])
    cid = detached(oci, bundle, cgpath, {"hugepageLimits": [{"pageSize": size, "limit": 4 << 21}]})
    f = f"hugetlb.{size}.limit_in_bytes" if version("hugetlb") == 1 else f"hugetlb.{size}.max"
    assert read("hugetlb", cgpath, f) == str(4 << 21)
    oci("delete", "--force", cid)


def test_unsupported_resources_are_clear_errors(oci, bundle, workdir, cgpath):
    bundle.config["linux"]["cgroupsPath"] = cgpath
    cases = [({"memory": {"limitt": 5}}, "linux.resources.memory.limitt: unknown resource"),
             ({"network": {"priorities": [{"name": "eth0", "priority": 1}]}},
              "the `net_prio` cgroup controller is not available"),
             ({"pids": {"limit": "many"}}, "linux.resources.pids.limit: must be an integer")]
    if version("memory") == 1:
        cases.append(({"unified": {"memory.high": "1"}}, "linux.resources.unified.memory.high"))
    else:
        cases.append(({"memory": {"swappiness": 1}}, "not supported on cgroup v2"))
    if version("blkio" if "blkio" in H else "io") == 1 and not os.path.exists(
            cgdir("blkio", "/") + "/blkio.weight"):
        cases.append(({"blockIO": {"weight": 500}}, "blkio.weight does not exist"))
    for res, msg in cases:
        bundle.config["linux"]["resources"] = res
        p = oci("run", "-b", bundle.write().path, new_id(), check=False)
        assert p.returncode != 0, res
        assert msg in p.stderr, (res, p.stderr)
    assert not state_left(workdir / "state")


def test_update(oci, bundle, cgpath, workdir):
    cid = detached(oci, bundle, cgpath, {"memory": {"limit": 64 << 20}, "pids": {"limit": 10}})
    oci("update", "--memory", "128m", "--pids-limit", "20", cid)
    mem = "memory.limit_in_bytes" if version("memory") == 1 else "memory.max"
    assert read("memory", cgpath, mem) == str(128 << 20)
    assert read("pids", cgpath, "pids.max") == "20"
    oci("update", "--resources", "-", cid, input=json.dumps({"pids": {"limit": 33}}))
    assert read("pids", cgpath, "pids.max") == "33"
    f = workdir / "res.json"
    f.write_text(json.dumps({"cpu": {"quota": 50000, "period": 100000}}))
    oci("update", "-r", f, cid)
    q = read("cpu", cgpath, "cpu.cfs_quota_us" if version("cpu") == 1 else "cpu.max")
    assert q.split()[0] == "50000"
    f.write_text('{"pids": {"limit": 5,}}')
    p = oci("update", "-r", f, cid, check=False)
    assert p.returncode != 0 and "line 1, column" in p.stderr
    p = oci("update", "--memory", "lots", cid, check=False)
    assert p.returncode != 0 and "--memory" in p.stderr
    oci("kill", cid, "KILL")
    time.sleep(0.3)
    p = oci("update", "--pids-limit", "9", cid, check=False)
    assert p.returncode != 0 and "stopped" in p.stderr
    oci("delete", cid)


def test_pause_resume_kill_delete(oci, bundle, cgpath):
    cid = detached(oci, bundle, cgpath, args=("/bin/sh", "-c", "while :; do sleep 0.05; done"))
    pid = oci.state(cid)["pid"]
    oci("pause", cid)
    assert oci.state(cid)["status"] == "paused"
    state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    assert state in ("D", "S", "T"), state
    p = oci("pause", cid, check=False)
    assert p.returncode != 0 and "not running" in p.stderr
    oci("resume", cid)
    assert oci.state(cid)["status"] == "running"
    p = oci("resume", cid, check=False)
    assert p.returncode != 0 and "not paused" in p.stderr
    oci("pause", cid)
    oci("kill", cid, "KILL")  # a paused container can still be killed
    for _ in range(100):
        if oci.state(cid)["status"] == "stopped":
            break
        time.sleep(0.02)
    assert oci.state(cid)["status"] == "stopped"
    oci("delete", cid)
    cid = detached(oci, bundle, cgpath, args=("/probe", "sleep", "60"))
    oci("pause", cid)
    oci("delete", "--force", cid)  # and a paused one deleted


def test_ps(oci, bundle, cgpath):
    cid = detached(oci, bundle, cgpath, args=("/bin/sh", "-c", "sleep 60 & sleep 60"))
    time.sleep(0.2)
    pids = json.loads(oci("ps", "--format", "json", cid).stdout)
    init = oci.state(cid)["pid"]
    assert init in pids and len(pids) == 2
    table = oci("ps", cid).stdout.splitlines()
    assert "PID" in table[0].split()
    assert len(table) == 3 and all("sleep 60" in l for l in table[1:])
    table = oci("ps", cid, "-o", "pid,comm").stdout.splitlines()
    assert table[0].split() == ["PID", "COMMAND"] and {l.split()[0] for l in table[1:]} == set(map(str, pids))
    oci("delete", "--force", cid)


def test_events_stats_and_oom(oci, bundle, cgpath):
    cid = detached(oci, bundle, cgpath, {"memory": {"limit": 32 << 20, "swap": 32 << 20}, "pids": {"limit": 50}},
                   args=("/bin/sh", "-c", "sleep 0.8; dd if=/dev/zero of=/dev/null bs=100M count=1; sleep 60"))
    ev = json.loads(oci("events", "--stats", cid).stdout)
    assert ev["type"] == "stats" and ev["id"] == cid
    assert ev["data"]["memory"]["usage"]["limit"] == 32 << 20
    assert ev["data"]["pids"]["limit"] == 50 and ev["data"]["pids"]["current"] >= 1
    assert ev["data"]["cpu"]["usage"]["total"] > 0
    proc = subprocess.Popen(oci.cmd("events", "--interval", "300ms", cid), stdout=subprocess.PIPE, text=True)
    seen = []
    deadline = time.time() + 10
    while time.time() < deadline and not ("oom" in seen and seen.count("stats") >= 2):
        seen.append(json.loads(proc.stdout.readline())["type"])
    oci("delete", "--force", cid)
    proc.wait(timeout=10)  # the stream ends with the container
    assert "oom" in seen and seen.count("stats") >= 2, seen


def test_block_io_throttles_per_device(oci, bundle, cgpath):
    dev = open("/sys/block/vda/dev").read().strip() if os.path.exists("/sys/block/vda/dev") else None
    if dev is None:
        devs = [d for d in os.listdir("/sys/block") if not d.startswith(("loop", "ram", "zram"))]
        if not devs:
            pytest.skip("no block device on this host to throttle")
        dev = open(f"/sys/block/{devs[0]}/dev").read().strip()
    major, minor = map(int, dev.split(":"))
    res = {"blockIO": {"throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 1048576}],
                       "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 100}]}}
    cid = detached(oci, bundle, cgpath, res)
    ctrl = "blkio" if "blkio" in H else "io"
    if version(ctrl) == 1:
        assert read(ctrl, cgpath, "blkio.throttle.read_bps_device") == f"{dev} 1048576"
        assert read(ctrl, cgpath, "blkio.throttle.write_iops_device") == f"{dev} 100"
    else:
        line = read(ctrl, cgpath, "io.max")
        assert "rbps=1048576" in line and "wiops=100" in line
    oci("delete", "--force", cid)


@pytest.mark.skipif(version("cpuset") != 1, reason="a v1 cpuset hierarchy is what starts empty (this host has none)")
def test_concurrent_creates_under_a_new_cpuset_parent(oci, bundle, cgpath):
    """Starts that share a parent none of them found: the one that makes it fills its cpus and mems,
    and the others, who found it made, must not copy it before that (an empty cpuset refuses every
    task: ENOSPC). Several rounds, each parent new."""
    base = os.path.dirname(cgpath)
    bundle.args("/probe", "sleep", "60")
    for r in range(6):
        procs = []
        for i in range(4):
            cid = new_id()
            bundle.config["linux"]["cgroupsPath"] = f"{base}/r{r}/c{i}"
            d = bundle.path.parent / f"b-{cid}"
            d.mkdir()
            cfg = dict(bundle.config, root=dict(bundle.config["root"], path=str(bundle.rootfs)))
            (d / "config.json").write_text(json.dumps(cfg))
            errf = tempfile.TemporaryFile("w+")  # (not a pipe: the container's init keeps its stdio)
            procs.append((cid, errf, subprocess.Popen(oci.cmd("create", "--bundle", d, cid), stdin=subprocess.DEVNULL,
                                                      stdout=subprocess.DEVNULL, stderr=errf)))
        errors = []
        for cid, errf, p in procs:
            p.wait(timeout=60)
            errf.seek(0)
            errors.append((cid, p.returncode, errf.read()))
        for cid, _, _ in errors:
            oci("delete", "--force", cid, check=False)
        # each removes the parents it made itself, while empty: the one that made r{r} may go
        # while the others still use it, and they did not make it (runc removes no parent at all)
        for mp in {mp for mp, _, _ in H.values()}:
            for d in (f"{mp}{base}/r{r}", mp + base):
                with contextlib.suppress(FileNotFoundError):
                    os.rmdir(d)
        assert all(rc == 0 for _, rc, _ in errors), errors
