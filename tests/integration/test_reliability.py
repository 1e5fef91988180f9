"""Reliability: many cycles leak nothing, a runtime SIGKILLed at any step leaves a container that
`delete --force` cleans up, concurrent commands do not corrupt state, a full disk is a clear error.

Sized for the suite (100 cycles); CAPSA_RELIABILITY_LONG=1 runs the long mode (1000 cycles)."""
import concurrent.futures
import json
import os
import subprocess
import time

import pytest

from conftest import Runtime, new_id, state_left

LONG = os.environ.get("CAPSA_RELIABILITY_LONG") == "1"


def cgroup_dirs(prefix):
    out = []
    for ctrl in os.listdir("/sys/fs/cgroup"):
        base = f"/sys/fs/cgroup/{ctrl}"
        for dirpath, dirnames, _ in os.walk(base):
            out += [os.path.join(dirpath, d) for d in dirnames if prefix in d]
            if dirpath.count("/") > 8:
                dirnames[:] = []
    return out


def counts(workdir, prefix):
    mounts = sum(1 for l in open("/proc/self/mountinfo") if str(workdir) in l)
    links = len(subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout.splitlines())
    runtimes = sum(1 for p in os.listdir("/proc") if p.isdigit() and _exe_is_capsa(p))
    return {"mounts": mounts, "cgroups": len(cgroup_dirs(prefix)), "links": links, "runtime processes": runtimes,
            "state dirs": len(state_left(workdir / "state"))}


def _exe_is_capsa(pid):
    try:
        return "capsa-oci" in os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False


def fds_of_children_baseline():
    return len(os.listdir("/proc/self/fd"))


def test_cycles_leak_nothing(oci, bundle, workdir):
    prefix = f"capsa-rel-{os.getpid()}"
    bundle.config["linux"]["cgroupsPath"] = f"/{prefix}/c"
    bundle.args("/probe", "sleep", "30")
    bundle.write()
    before = counts(workdir, prefix)
    fds_before = fds_of_children_baseline()
    for i in range(1000 if LONG else 100):
        cid = f"cyc{i}"
        bundle.config["linux"]["cgroupsPath"] = f"/{prefix}/{cid}"
        bundle.write()
        oci("create", "-b", bundle.path, cid, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, capture_output=False)
        oci("start", cid)
        oci("kill", cid, "KILL")
        oci("delete", "--force", cid)
    after = counts(workdir, prefix)
    assert after == before, f"leaked: before {before}, after {after}"
    assert fds_of_children_baseline() == fds_before


FAULTS = [("create", "create:recorded"), ("create", "create:spawned"), ("create", "create:done"),
          ("start", "start:released"), ("delete", "delete:killed"), ("delete", "delete:cgroup"),
          ("exec", "exec:spawned")]


@pytest.mark.parametrize("step,point", FAULTS, ids=[p for _, p in FAULTS])
def test_sigkill_at_each_step_then_delete_force_cleans_up(oci, bundle, workdir, step, point):
    prefix = f"capsa-fault-{os.getpid()}"
    bundle.config["linux"]["cgroupsPath"] = f"/{prefix}/x"
    bundle.args("/probe", "sleep", "30")
    bundle.write()
    cid = new_id()
    quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, capture_output=False)
    env = dict(os.environ, CAPSA_FAULT=point)
    if step != "create":
        oci("create", "-b", bundle.path, cid, **quiet)
    if step in ("delete", "exec"):
        oci("start", cid)
    args = {"create": ("create", "-b", bundle.path, cid), "start": ("start", cid),
            "delete": ("delete", "--force", cid), "exec": ("exec", "-d", cid, "/probe", "sleep", "30")}[step]
    p = subprocess.run(oci.cmd(*args), env=env, timeout=30, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    assert p.returncode == -9, f"{point}: the fault point was not reached (exit {p.returncode})"
    # the state stays readable, whatever was left
    listed = json.loads(oci("list", "--format", "json").stdout)
    st = oci("state", cid, check=False)
    assert st.returncode == 0 or "does not exist" in st.stderr, st.stderr
    if st.returncode == 0:
        assert json.loads(st.stdout)["id"] == cid and any(c["id"] == cid for c in listed)
        oci("delete", "--force", cid)
    assert oci("state", cid, check=False).returncode != 0
    for _ in range(100):
        if not cgroup_dirs(prefix):
            break
        time.sleep(0.02)
    assert cgroup_dirs(prefix) == [], f"{point}: cgroups left"
    # (the oci fixture then checks: no process in a new pid namespace, no mount, no state)


def test_concurrent_runs_and_deletes(oci, bundle, workdir):
    bundle.args("/probe", "sleep", "30")
    bundle.write()
    def call(*args):
        # stderr to a file: a detached container keeps its stdio, a pipe would wait for it
        import tempfile
        with tempfile.TemporaryFile() as f:
            p = subprocess.run(oci.cmd(*args), timeout=60, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=f)
            f.seek(0)
            p.stderr = f.read()
        return p

    def run(cid):
        return call("run", "-d", "-b", bundle.path, cid)

    same = "contended"
    with concurrent.futures.ThreadPoolExecutor(20) as ex:
        results = list(ex.map(run, [same] * 10 + [f"par{i}" for i in range(10)]))
    same_ok = [r for r in results[:10] if r.returncode == 0]
    assert len(same_ok) == 1, [r.stderr for r in results[:10]]
    assert all(b"exists" in r.stderr for r in results[:10] if r.returncode != 0), \
        [r.stderr for r in results[:10] if r.returncode != 0]
    assert all(r.returncode == 0 for r in results[10:]), [r.stderr for r in results[10:]]
    listed = json.loads(oci("list", "--format", "json").stdout)
    assert sorted(c["id"] for c in listed) == sorted([same] + [f"par{i}" for i in range(10)])
    assert all(c["status"] == "running" for c in listed), [(c["id"], c["status"], c["pid"]) for c in listed]

    def delete(cid):
        return call("delete", "--force", cid)

    with concurrent.futures.ThreadPoolExecutor(20) as ex:
        results = list(ex.map(delete, [same] * 5 + [f"par{i}" for i in range(10)] + [f"par{i}" for i in range(5)]))
    # each container deleted exactly once; the others say it does not exist (or delete it again: no harm)
    bad = [r.stderr for r in results if r.returncode != 0 and b"does not exist" not in r.stderr]
    assert not bad, bad
    assert json.loads(oci("list", "--format", "json").stdout) == []


def test_full_disk_is_a_clear_error(bundle, workdir):
    root = workdir / "tiny"
    root.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(root)], check=True)
    try:
        rt = Runtime(root)
        bundle.args("/probe", "sleep", "30")
        bundle.write()
        first = new_id()
        rt("create", "-b", bundle.path, first, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
           stderr=subprocess.DEVNULL, capture_output=False)
        with open(root / "filler", "wb", buffering=0) as f:  # fill what is left
            try:
                while True:
                    f.write(b"x" * 1024)
                    f.flush()
            except OSError:
                pass
        p = rt("create", "-b", bundle.path, new_id(), check=False)
        assert p.returncode != 0 and "no space left on device" in p.stderr, p.stderr
        # nothing half-made is listed; the first container is intact
        listed = json.loads(rt("list", "--format", "json").stdout)
        assert [c["id"] for c in listed] == [first] and listed[0]["status"] == "created"
        rt("delete", "--force", first)
        assert json.loads(rt("list", "--format", "json").stdout) == []
    finally:
        subprocess.run(["umount", "-l", str(root)])
