#!/usr/bin/env python3
"""`capsa run --rm --network none IMAGE true` against `podman run --rm --network none IMAGE true` on the same
image (busybox made offline and loaded into both), runs interleaved, medians and the ratio; the
same with capsa's bridge network against --network none and against podman's default bridge; and
the memory of capsa's per-container monitor against conmon's (RSS of each, with one detached
container running).  Usage: python3 bench/cli.py [--runs N] [--build DIR]
"""
import glob
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import TOP, args_and_capsa, host_net_state, podman_host_cleanup, remove_workdir, rss_kib



def timed(cmd, env=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)
    return time.perf_counter() - t0


def pids_named(name):
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if open(f"/proc/{p}/comm").read().strip() == name:
                    out.append(int(p))
            except OSError:
                pass
    return out


def main():
    a, capsa = args_and_capsa(__doc__)
    if not os.path.exists(capsa) or not shutil.which("podman"):
        sys.exit("bench/cli.py: needs the capsa CLI and podman (bench/run.sh installs and builds them)")
    w = tempfile.mkdtemp(prefix="capsa-clibench-")
    conf = f"{w}/containers.conf"
    open(conf, "w").write('[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
                          '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
    env = dict(os.environ, CONTAINERS_CONF=conf, CAPSA=capsa)
    croot = f"{w}/capsa"
    podman = ["podman", "--root", f"{w}/ps", "--runroot", f"{w}/pr", "--tmpdir", f"{w}/pt", "--cgroup-manager",
              "cgroupfs", "--events-backend", "file", "--runtime", "runc"]
    net_before = host_net_state()
    try:
        subprocess.run(["sh", f"{TOP}/scripts/mkimage-busybox.sh", "busybox:bench", "--", "--root", croot], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([capsa, "--root", croot, "save", "-o", f"{w}/img.tar", "busybox:bench"], check=True)
        subprocess.run(podman + ["load", "-q", "-i", f"{w}/img.tar"], env=env, check=True, stdout=subprocess.DEVNULL)
        cap, pod = [], []
        for i in range(a.runs + 3):
            # --network none on both sides: the same work (capsa's default network becomes bridge)
            c = timed([capsa, "--root", croot, "run", "--rm", "--network", "none", "busybox:bench", "true"])
            p = timed(podman + ["run", "--rm", "--network", "none", "busybox:bench", "true"], env=env)
            if i >= 3:
                cap.append(c)
                pod.append(p)
        c, p = statistics.median(cap), statistics.median(pod)
        print(f"capsa run --rm --network none vs podman run --rm --network none (runc), same image, median of {a.runs} "
              "interleaved after 3 warm-up:")
        print(f"  capsa run  {c * 1000:7.1f} ms")
        print(f"  podman run {p * 1000:7.1f} ms")
        print(f"  capsa/podman {c / p:.2f} (target 0.10)")
        # networking: bridge against none, and against podman's bridge network
        nb, pb = [], []
        for i in range(a.runs // 2 + 2):
            tb = timed([capsa, "--root", croot, "run", "--rm", "--network", "bridge", "busybox:bench", "true"])
            tp = timed(podman + ["run", "--rm", "busybox:bench", "true"], env=env)
            if i >= 2:
                nb.append(tb)
                pb.append(tp)
        b, pbm = statistics.median(nb), statistics.median(pb)
        print(f"capsa run --rm --network bridge, median of {len(nb)}: {b * 1000:.1f} ms; "
              f"against --network none {b / c:.2f}x; against podman's bridge ({pbm * 1000:.1f} ms) {b / pbm:.2f}x")
        subprocess.run([capsa, "--root", croot, "network", "rm", "bridge"], capture_output=True)
        # the per-container monitor against conmon
        subprocess.run([capsa, "--root", croot, "run", "-d", "--name", "mon", "--network", "none", "busybox:bench",
                        "sleep", "60"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(podman + ["run", "-d", "--name", "mon", "--network", "none", "busybox:bench", "sleep", "60"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        mon = [rss_kib(p) for p in pids_named("capsa-monitor")]
        con = [rss_kib(p) for p in pids_named("conmon")]
        print("memory of the per-container monitor (VmRSS):")
        print(f"  capsa-monitor {max(mon) if mon else float('nan'):6} KiB   conmon {max(con) if con else float('nan'):6} KiB")
        print_engine_cost(capsa, croot)
    finally:
        subprocess.run([capsa, "--root", croot, "rm", "-f", "mon"], capture_output=True)
        subprocess.run(podman + ["rm", "-f", "-t", "0", "mon"], env=env, capture_output=True)
        subprocess.run(podman + ["system", "reset", "-f"], env=env, capture_output=True)
        podman_host_cleanup(net_before)  # its CNI bridge and iptables-nft tables
        remove_workdir(w)


def print_engine_cost(capsa, croot):
    """What one running container costs the engine besides its own processes: its monitor (RSS, and
    PSS: the binary's pages shared among monitors), its records on disk (not the root filesystem's
    layers), and its cgroup directories."""
    cid = subprocess.run([capsa, "--root", croot, "inspect", "-f", "{{.Id}}", "mon"], capture_output=True,
                         text=True, check=True).stdout.strip()
    run = json.loads((pathlib.Path(croot) / "containers" / cid / "run.json").read_text())
    mpid = run["MonitorPid"]
    pss = next((int(l.split()[1]) for l in open(f"/proc/{mpid}/smaps_rollup") if l.startswith("Pss:")), 0)
    skip = {"merged", "upper", "work"}
    disk = 0
    for top in (pathlib.Path(croot) / "containers" / cid, pathlib.Path(croot) / "oci" / cid):
        for dirpath, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if d not in skip]
            disk += sum(os.lstat(os.path.join(dirpath, f)).st_size for f in files)
    cgroups = [d for d in glob.glob(f"/sys/fs/cgroup/*/capsa/{cid}") + glob.glob(f"/sys/fs/cgroup/capsa/{cid}")]
    print(f"engine cost per running container: monitor VmRSS {rss_kib(mpid)} KiB (PSS {pss} KiB), "
          f"records {disk / 1024:.1f} KiB on disk, {len(cgroups)} cgroup directories")


if __name__ == "__main__":
    main()
