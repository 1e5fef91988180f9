#!/usr/bin/env python3
"""capsa's benchmark: capsa-oci against crun and runc (and podman where it applies), from one run.

Method (printed with the results):
- Every runtime runs the same busybox bundle (same config.json, ociVersion 1.0.2 so crun 1.8
  accepts it) from the same private mount namespace, in which the cgroup2 mount is hidden: crun
  1.8 refuses hybrid cgroup hosts, so all three see the same cgroup v1 layout.  State roots are
  on tmpfs under /run, as in real use.
- Two configs: "minimal" (namespaces, mounts, masked paths; /bin/true) and "docker" (plus Docker's
  default capabilities and seccomp filter from share/).
- Times are wall-clock medians (and p90) of N runs after W warm-up runs, the runtimes taking turns
  run by run (so background load hits them alike); ratios divide medians.
  Peak RSS is ru_maxrss (wait4) of the runtime process started by a tiny static launcher
  (bench/rss.c: a high-water mark survives exec, so Python must not be the parent), median of 10.
- Parallel: C containers started with `run --detach` from T threads; containers/s over the whole.
- Memory per running container: the mean of what each running `sleep` container's memory cgroup
  is charged (found through the init's /proc/PID/cgroup, so every runtime is read the same way).
Usage: python3 bench/run.py [--quick] [--build DIR] [--profile]
"""
import argparse
import concurrent.futures
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import log, p90

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- set-up -----------------------------------------------------------------------------------

def make_rootfs(dest):
    os.makedirs(f"{dest}/bin")
    for d in ("etc", "proc", "sys", "dev", "tmp", "root"):
        os.makedirs(f"{dest}/{d}", exist_ok=True)
    shutil.copy2("/bin/busybox", f"{dest}/bin/busybox")
    for a in subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True).stdout.split():
        if a != "busybox":
            os.symlink("busybox", f"{dest}/bin/{a}")
    open(f"{dest}/etc/passwd", "w").write("root:x:0:0:root:/root:/bin/sh\n")


def config(args, docker):
    c = {
        "ociVersion": "1.0.2",
        "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": args,
                    "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": True,
                    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]},
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "bench",
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
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount", "cgroup")],
            "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    }
    if docker:
        c["process"]["capabilities"] = json.load(open(f"{TOP}/share/capabilities-default.json"))
        c["linux"]["seccomp"] = json.load(open(f"{TOP}/share/seccomp-default.json"))
    return c


def bundle(base, name, args, docker):
    b = f"{base}/{name}"
    os.makedirs(b)
    c = config(args, docker)
    c["root"]["path"] = f"{base}/rootfs"  # one rootfs for every bundle (runc refuses a symlink)
    json.dump(c, open(f"{b}/config.json", "w"))
    return b


# ---- measuring --------------------------------------------------------------------------------

RSS_TOOL = None  # bench/rss, built by inner()


def timed(cmd, rss=False):
    """(seconds, peak RSS KiB or 0) of one command, which must succeed."""
    full = [RSS_TOOL, *cmd] if rss else cmd
    # stderr to a file, not a pipe: a created container keeps its stdio until it exits
    with tempfile.TemporaryFile() as errf:
        t0 = time.perf_counter()
        p = subprocess.run(full, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf)
        dt = time.perf_counter() - t0
        errf.seek(0)
        err = errf.read().decode()
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {err}")
    kib = int(err.rsplit("rss-kib ", 1)[1]) if rss else 0
    return dt, kib


def median(v):
    return statistics.median(v)


class Runtime:
    def __init__(self, name, binary):
        self.name, self.binary = name, binary
        self.root = f"/run/capsa-bench/{name}"

    def cmd(self, *args):
        return [self.binary, "--root", self.root, *args]

    def run_once(self, b, cid, rss=False):
        return timed(self.cmd("run", "--bundle", b, cid), rss=rss)

    def state(self, cid):
        return json.loads(subprocess.run(self.cmd("state", cid), capture_output=True, text=True).stdout or "{}")

    def cleanup(self):
        out = subprocess.run(self.cmd("list", "-q"), capture_output=True, text=True).stdout.split()
        for cid in out:
            subprocess.run(self.cmd("delete", "--force", cid), capture_output=True)


class Floor:
    """The floor (issue 19): util-linux unshare of the bundle's namespaces (pid, net, ipc, uts,
    mount, cgroup), chroot into the same rootfs and /bin/true: what any runtime pays at least,
    without cgroups, mounts, masks or the OCI state.  It takes its turns in the minimal rounds."""
    name = "floor"

    def __init__(self, rootfs):
        self.rootfs = rootfs

    def run_once(self, b, cid, rss=False):
        return timed(["unshare", "--pid", "--fork", "--net", "--ipc", "--uts", "--mount", "--cgroup",
                      "chroot", self.rootfs, "/bin/true"], rss=rss)


# Before each timed command the bench lets the machine settle: moving a process into a cgroup
# takes a kernel lock that, once idle, first waits for an RCU grace period (5-12 ms here), and
# a runtime that starts right after another one's cgroup writes would skip that wait.  With the
# pause every runtime starts as a single `run` does on an idle machine; the order of the
# runtimes is also shuffled each round (fixed seed), so none always follows the same one.
SETTLE = 0.05
ORDER = random.Random(1)


def rounds(runtimes, settle=SETTLE):
    order = list(runtimes)
    ORDER.shuffle(order)
    for rt in order:
        time.sleep(settle)
        yield rt


def bench_run(runtimes, b, n, warm, settle=SETTLE):
    """Round-robin over the runtimes, so that whatever else the machine does hits them alike."""
    times = {rt.name: [] for rt in runtimes}
    rss = {rt.name: [] for rt in runtimes}
    for i in range(warm + n):
        for rt in rounds(runtimes, settle):
            dt, _ = rt.run_once(b, f"r{i}")
            if i >= warm:
                times[rt.name].append(dt)
    for i in range(min(n, 10)):  # RSS separately: the launcher must not add to the times
        for rt in runtimes:
            rss[rt.name].append(rt.run_once(b, f"m{i}", rss=True)[1])
    return times, rss


def bench_phases(runtimes, b, n, warm):
    out = {rt.name: {"create": [], "start": [], "delete": []} for rt in runtimes}
    for i in range(warm + n):
        for rt in rounds(runtimes):
            one_phase(rt, b, f"p{i}", out[rt.name] if i >= warm else None)
    return out


def one_phase(rt, b, cid, phases):
    """create, start, (wait for /bin/true to end), delete; times added to phases unless None."""
    c, _ = timed(rt.cmd("create", "--bundle", b, cid))
    time.sleep(SETTLE)
    s, _ = timed(rt.cmd("start", cid))
    for _ in range(1000):
        if rt.state(cid).get("status") == "stopped":
            break
        time.sleep(0.001)
    time.sleep(SETTLE)
    d, _ = timed(rt.cmd("delete", cid))
    if phases is not None:
        phases["create"].append(c)
        phases["start"].append(s)
        phases["delete"].append(d)


def bench_parallel(rt, b, count, threads):
    def one(i):
        timed(rt.cmd("run", "--detach", "--bundle", b, f"par{i}"))
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        list(ex.map(one, range(count)))
    dt = time.perf_counter() - t0
    rt.cleanup()
    return count / dt


def charged_kib(pid):
    """What the memory cgroup of `pid` is charged (v1 usage_in_bytes or v2 memory.current)."""
    for line in open(f"/proc/{pid}/cgroup"):
        _, ctrls, path = line.strip().split(":", 2)
        if "memory" in ctrls.split(","):
            return int(open(f"/sys/fs/cgroup/memory{path}/memory.usage_in_bytes").read()) / 1024
        if ctrls == "" and os.path.exists(f"/sys/fs/cgroup{path}/memory.current"):
            return int(open(f"/sys/fs/cgroup{path}/memory.current").read()) / 1024
    return float("nan")


def bench_memory(rt, b, count):
    """Mean memory charged to a running container's cgroup (its processes and the kernel memory
    charged to them); none of the three runtimes leaves a process of its own per container."""
    for i in range(count):
        timed(rt.cmd("run", "--detach", "--bundle", b, f"mem{i}"))
    time.sleep(0.5)
    kib = [charged_kib(rt.state(f"mem{i}")["pid"]) for i in range(count)]
    rt.cleanup()
    return statistics.mean(kib)


def profile(rt, b):
    out = subprocess.run(["strace", "-f", "-c", "-o", "/dev/stdout", *rt.cmd("run", "--bundle", b, "prof")],
                         capture_output=True, text=True).stdout
    return out


# ---- main -------------------------------------------------------------------------------------

def inner(a):
    """Runs inside the private mount namespace."""
    global RSS_TOOL
    RSS_TOOL = f"{a.build}/bench-rss"
    subprocess.run(["cc", "-O2", "-static", "-o", RSS_TOOL, f"{TOP}/bench/rss.c"], check=True)
    if os.path.ismount("/sys/fs/cgroup/unified"):
        subprocess.run(["umount", "/sys/fs/cgroup/unified"], check=True)
    capsa = os.path.abspath(f"{a.build}/src/oci/capsa-oci")
    runtimes = [Runtime("capsa", capsa)]
    for name in ("crun", "runc"):
        if shutil.which(name):
            runtimes.append(Runtime(name, shutil.which(name)))
        else:
            log(f"{name} not installed: no comparison with it")
    n, warm = (20, 3) if a.quick else (100, 10)
    par, mem = (20, 10) if a.quick else (60, 30)
    base = tempfile.mkdtemp(prefix="capsa-bench-")
    os.chmod(base, 0o755)
    make_rootfs(f"{base}/rootfs")
    minimal = bundle(base, "minimal", ["/bin/true"], False)
    docker = bundle(base, "docker", ["/bin/true"], True)
    sleeper = bundle(base, "sleeper", ["/bin/sleep", "60"], False)
    res = {rt.name: {} for rt in runtimes}
    try:
        log("run, minimal config (and the floor) ...")
        t, m = bench_run(runtimes + [Floor(f"{base}/rootfs")], minimal, n, warm)
        floor = t.pop("floor")
        for rt in runtimes:
            res[rt.name]["run (minimal)"], res[rt.name]["peak RSS KiB"] = t[rt.name], m[rt.name]
        log("run, back to back ...")
        t, _ = bench_run(runtimes, minimal, n, warm, settle=0)
        for rt in runtimes:
            res[rt.name]["run (back to back)"] = t[rt.name]
        log("run, docker profile ...")
        t, _ = bench_run(runtimes, docker, n, warm)
        for rt in runtimes:
            res[rt.name]["run (docker profile)"] = t[rt.name]
        log("create, start, delete ...")
        for name, phases in bench_phases(runtimes, minimal, max(10, n // 2), warm).items():
            res[name].update(phases)
        for rt in runtimes:
            log(f"parallel and memory: {rt.name} ...")
            res[rt.name]["parallel containers/s"] = bench_parallel(rt, sleeper, par, 8)
            res[rt.name]["cgroup memory KiB / container"] = bench_memory(rt, sleeper, mem)
            rt.cleanup()
        report(a, res, n, warm, par, mem, floor)
        if a.profile:
            print("\nstrace -c of capsa-oci run (minimal):\n" + profile(runtimes[0], minimal))
    finally:
        for rt in runtimes:
            rt.cleanup()
        shutil.rmtree("/run/capsa-bench", ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)


def fmt(key, v):
    if isinstance(v, list):
        if "RSS" in key:
            return f"{median(v):8.0f}"
        return f"{median(v) * 1000:7.2f} ms (p90 {p90(v) * 1000:6.2f})"
    return f"{v:8.1f}"


def report(a, res, n, warm, par, mem, floor):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print("capsa bench: capsa-oci against the other OCI runtimes, one run")
    print(f"machine: {os.cpu_count()} cpus ({cpu}), {platform.release()}, "
          f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB")
    print(f"method: medians of {n} runs after {warm} warm-up; create/start/delete medians of {max(10, n // 2)}; "
          f"{par} parallel containers from 8 threads; memory over {mem} running containers; same bundle, "
          f"same private mount namespace (cgroup2 hidden), state on tmpfs; {SETTLE * 1000:.0f} ms idle before "
          "each timed command, runtimes in a shuffled order each round (\"back to back\": no pause). capsa built "
          f"from {a.build} ({'release' if 'bench' in a.build or 'rel' in a.build else 'as configured'}).")
    names = list(res)
    keys = list(res[names[0]])
    print()
    print(f"{'metric':32s}" + "".join(f"{n:>28s}" for n in names) +
          "".join(f"{'capsa/' + n:>12s}" for n in names[1:]))
    for k in keys:
        row = f"{k:32s}" + "".join(f"{fmt(k, res[n][k]):>28s}" for n in names)
        for other in names[1:]:
            mine, theirs = res["capsa"][k], res[other][k]
            mv = median(mine) if isinstance(mine, list) else mine
            tv = median(theirs) if isinstance(theirs, list) else theirs
            row += f"{(mv / tv if tv else float('nan')):12.2f}"
        print(row)
    print()
    c = res["capsa"]
    f = median(c["run (minimal)"]) / median(floor)
    print(f"floor: unshare of the same 6 namespaces + chroot + /bin/true {fmt('', floor)}; capsa-oci run (minimal) "
          f"{f:.2f}x of it (goal <= 1.0x: {'met' if f <= 1.0 else 'NOT met'})")
    for k in ("run (minimal)", "run (docker profile)"):
        if "crun" in res:
            r = median(c[k]) / median(res["crun"][k])
            print(f"goal {k} <= 0.5x crun: {r:.2f}x {'met' if r <= 0.5 else 'NOT met'}")
    if "crun" in res:
        r = median(c["run (minimal)"]) / median(res["crun"]["run (minimal)"])
        m = median(c["peak RSS KiB"]) / median(res["crun"]["peak RSS KiB"])
        print(f"targets: run time <= 0.8x crun: {r:.2f}x {'met' if r <= 0.8 else 'NOT met'}; "
              f"peak RSS <= crun: {m:.2f}x {'met' if m <= 1.0 else 'NOT met'}")
    print("capsa run --rm vs podman run --rm --network none: see bench/cli.py and bench/service.py (run.sh runs them last)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer runs (a smoke test of the bench itself)")
    ap.add_argument("--build", default=f"{TOP}/build-bench", help="meson build directory holding capsa-oci")
    ap.add_argument("--profile", action="store_true", help="also print strace -c of one capsa-oci run")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/run.py: run as root (it creates containers with every runtime)")
    if a.inner:
        return inner(a)
    # a private mount namespace for the whole run: the same environment for every runtime
    os.execvp("unshare", ["unshare", "-m", "--propagation", "private", sys.executable, os.path.abspath(__file__),
                          "--inner", "--build", a.build] + (["--quick"] if a.quick else [])
              + (["--profile"] if a.profile else []))


if __name__ == "__main__":
    main()
