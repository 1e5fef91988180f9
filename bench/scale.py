#!/usr/bin/env python3
"""Cost as the work grows (issue 19): `run --rm`, `run -d`, `exec`, `stop`, `rm` on `--network none`
and on a user network, and `ps`, timed with 0, 100, 500 and 1000 containers already running, for
capsa and for podman where podman can start containers here.

Method (printed with the results):
- Each engine has its own roots under one temp dir; the image is busybox made offline
  (scripts/mkimage-busybox.sh) and loaded into podman from `capsa save`.
- The running containers are `busybox sleep 1d`, detached, on the user network (so its addresses,
  leases, DNS records and firewall rules grow too); a /16 subnet holds them all.
- At each count, N rounds of: run --rm NET true; run -d NET sleep 1d; exec it true; stop -t 0 it;
  rm it (NET none, then the user network); and ps.  Medians of the N rounds; the ratio divides the
  median at the largest count reached by the median at 0.
- The goals are printed beside the results as PASS/FAIL, never asserted: every command <= 1.1x at
  1000, and ps <= 30 ms at 1000.
- A count is skipped (and said so) when filling up to it would take longer than --budget seconds.
- The burst: --burst `run -d` (100; 32 with --quick) at once from 8 shells (threads, each its
  share one after another), on the user network, with nothing else running: the wall time,
  containers started a second, and whether every one is running afterwards (none lost: each
  `run -d` exited 0, and a plain ps, which lists the running ones, lists each). podman does the
  same where it can.
- Everything is removed at the end (containers, networks, roots), on failure and on ctrl-c too.
Usage: python3 bench/scale.py [--quick] [--runs N] [--counts 0,100,500,1000] [--burst N] [--build DIR]
"""
import argparse
import concurrent.futures
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from common import TOP, host_net_state, log, podman_host_cleanup, remove_workdir

NET = "scalenet"
SUBNET = "10.231.0.0/16"
CMDS = ["run --rm", "run -d", "exec", "stop", "rm"]
GOAL_RATIO, GOAL_PS_MS = 1.1, 30.0


def timed(cmd, env=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   env=env)
    return time.perf_counter() - t0


class Engine:
    """One engine's command line (capsa or podman) and what it leaves to clean up."""

    def __init__(self, name, base, env=None):
        self.name, self.base, self.env, self.fill = name, base, env, 0

    def __call__(self, *args, check=True):
        return subprocess.run(self.base + list(args), check=check, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, env=self.env)

    def t(self, *args):
        return timed(self.base + list(args), env=self.env)

    def round(self, tag, out):
        """One round of every command on both networks; appends seconds to out[(cmd, net)]."""
        for net in ("none", NET):
            name = f"scale-probe-{tag}"
            img = "busybox:bench"
            out.setdefault(("run --rm", net), []).append(self.t("run", "--rm", "--network", net, img, "true"))
            out.setdefault(("run -d", net), []).append(
                self.t("run", "-d", "--name", name, "--network", net, img, "sleep", "1d"))
            out.setdefault(("exec", net), []).append(self.t("exec", name, "true"))
            out.setdefault(("stop", net), []).append(self.t("stop", "-t", "0", name))
            out.setdefault(("rm", net), []).append(self.t("rm", name))
        out.setdefault(("ps", ""), []).append(self.t("ps"))

    def grow(self, n, budget):
        """Start containers until n run; False (nothing started) when that would outlast budget."""
        if n <= self.fill:
            return True
        t0 = time.perf_counter()
        self("run", "-d", "--name", f"scale-{self.fill}", "--network", NET, "busybox:bench", "sleep", "1d")
        self.fill += 1
        each = time.perf_counter() - t0
        if each * (n - self.fill) > budget:
            log(f"scale.py: {self.name}: {n} containers would take ~{each * (n - self.fill):.0f} s "
                f"(> --budget {budget} s): skipped")
            return False
        log(f"scale.py: {self.name}: starting {n - self.fill} more containers (~{each * (n - self.fill):.0f} s)")
        while self.fill < n:
            self("run", "-d", "--name", f"scale-{self.fill}", "--network", NET, "busybox:bench", "sleep", "1d")
            self.fill += 1
        return True

    def clean(self):
        ids = self("ps", "-aq", check=False).stdout.split()
        kill = ["-t", "0"] if self.name == "podman" else []  # (podman's rm -f left conmon and sleep running)
        for i in range(0, len(ids), 100):
            self("rm", "-f", *kill, *ids[i:i + 100], check=False)
        self("network", "rm", NET, check=False)


def measure(eng, counts, runs, budget):
    """{count: {(cmd, net): median seconds}} at every count reached."""
    res = {}
    for n in counts:
        if not eng.grow(n, budget):
            break
        samples = {}
        eng.round("warm", {})
        for r in range(runs):
            eng.round(str(r), samples)
        res[n] = {k: statistics.median(v) for k, v in samples.items()}
        log(f"scale.py: {eng.name}: {n} running: " +
            " ".join(f"{k[0]}/{k[1] or '-'} {v * 1000:.0f}" for k, v in res[n].items()))
    return res


def report(name, res):
    counts = sorted(res)
    if not counts:
        print(f"{name}: no count reached")
        return
    top = counts[-1]
    print(f"{name}: median ms at N running containers (ratio = at {top} / at 0; goal <= {GOAL_RATIO}x"
          f"{'' if top == 1000 else ', goal is at 1000: not reached'})")
    print(f"  {'command':<10} {'network':<9}" + "".join(f"{n:>9}" for n in counts) + f"{'ratio':>8}  goal")
    for key in res[counts[0]]:
        base, last = res[0][key], res[top][key]
        ratio = last / base
        ok = ratio <= GOAL_RATIO
        goal = f"{'PASS' if ok else 'FAIL'} (<= {GOAL_RATIO}x)"
        if key[0] == "ps":
            ok = last * 1000 <= GOAL_PS_MS
            goal = f"{'PASS' if ok else 'FAIL'} (ps <= {GOAL_PS_MS:.0f} ms)"
        print(f"  {key[0]:<10} {key[1] or '-':<9}" + "".join(f"{res[n][key] * 1000:9.1f}" for n in counts) +
              f"{ratio:7.2f}x  {goal}")


def burst(eng, n, shells=8):
    """n `run -d` at once from shells threads; (seconds, started a second, lost) or None on failure."""
    names = [f"burst-{i}" for i in range(n)]

    def shell(k):
        failed = []
        for name in names[k::shells]:
            p = eng("run", "-d", "--name", name, "--network", NET, "busybox:bench", "sleep", "1d", check=False)
            if p.returncode != 0:
                failed.append(f"{name}: {p.stderr.strip()[-200:]}")
        return failed

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(shells) as ex:
        failed = [f for fs in ex.map(shell, range(shells)) for f in fs]
    wall = time.perf_counter() - t0
    running = set(eng("ps", "--format", "{{.Names}}", check=False).stdout.split())  # (ps: the running ones)
    lost = [nm for nm in names if nm not in running]
    for f in failed[:3]:
        log(f"scale.py: {eng.name}: burst: {f}")
    return wall, n / wall, lost


def report_burst(results, n, shells=8):
    print(f"burst: {n} `run -d` at once from {shells} shells, on {NET}, nothing else running")
    for name, (wall, rate, lost) in results.items():
        print(f"  {name:<8} {wall:7.2f} s  {rate:6.1f} containers/s  "
              f"{'all running' if not lost else f'LOST {len(lost)}: ' + ' '.join(lost[:5])}")
    if len(results) == 2:
        (a, ra), (b, rb) = results.items()
        print(f"  {a} / {b} wall time: {ra[0] / rb[0]:.2f}x")


def podman_engine(w, croot, capsa):
    """podman with its own roots and the image, or None (and why) when it cannot run a container here."""
    if not shutil.which("podman"):
        return None, "podman is not installed"
    conf = f"{w}/containers.conf"
    open(conf, "w").write('[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
                          '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
    env = dict(os.environ, CONTAINERS_CONF=conf)
    p = Engine("podman", ["podman", "--root", f"{w}/ps", "--runroot", f"{w}/pr", "--tmpdir", f"{w}/pt",
                          "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", "runc"], env)
    subprocess.run([capsa, "--root", croot, "save", "-o", f"{w}/img.tar", "busybox:bench"], check=True)
    r = p("load", "-q", "-i", f"{w}/img.tar", check=False)
    if r.returncode == 0:
        r = p("network", "create", "--subnet", "10.232.0.0/16", NET, check=False)
    if r.returncode == 0:
        r = p("run", "--rm", "--network", NET, "busybox:bench", "true", check=False)
    if r.returncode != 0:
        return p, (r.stderr.strip().splitlines() or ["exit status %d" % r.returncode])[-1]
    return p, None


def sweep(eng, counts, runs, budget):
    try:
        report(eng.name, measure(eng, counts, runs, budget))
    except subprocess.CalledProcessError as e:
        print(f"{eng.name}: stopped at {eng.fill} running: {' '.join(e.cmd[-6:])}: "
              f"{(e.stderr or b'').decode(errors='replace').strip()[-300:]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--counts", default="0,100,500,1000")
    ap.add_argument("--quick", action="store_true", help="counts 0 and 50, 3 runs, no podman")
    ap.add_argument("--no-podman", action="store_true")
    ap.add_argument("--budget", type=int, default=600, help="seconds allowed to fill up to one count")
    ap.add_argument("--burst", type=int, default=0, help="containers started at once from 8 shells (100; --quick 32)")
    ap.add_argument("--build", default=f"{TOP}/build-bench")
    a = ap.parse_args()
    counts = [0, 50] if a.quick else [int(c) for c in a.counts.split(",")]
    runs = 3 if a.quick else a.runs
    nburst = a.burst or (32 if a.quick else 100)
    bursts = {}
    capsa = os.path.abspath(f"{a.build}/src/cli/capsa")
    if not os.path.exists(capsa):
        sys.exit("bench/scale.py: needs the capsa CLI (bench/run.sh builds it)")
    # ctrl-c and kill both end in the finally below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    net_before = host_net_state()
    w = tempfile.mkdtemp(prefix="capsa-scale-")
    croot = f"{w}/capsa"
    cap = Engine("capsa", [capsa, "--root", croot])
    pod = None
    try:
        print(f"bench/scale.py: {capsa}, median of {runs} rounds after 1 warm-up, counts {counts}; "
              f"running containers: busybox sleep 1d on user network {NET} ({SUBNET})")
        subprocess.run(["sh", f"{TOP}/scripts/mkimage-busybox.sh", "busybox:bench", "--", "--root", croot],
                       env=dict(os.environ, CAPSA=capsa), check=True, stdout=subprocess.DEVNULL)
        cap("network", "create", "--subnet", SUBNET, NET)
        sweep(cap, counts, runs, a.budget)
        cap.clean()
        cap("network", "create", "--subnet", SUBNET, NET)
        bursts["capsa"] = burst(cap, nburst)
        cap.clean()
        if a.quick or a.no_podman:
            report_burst(bursts, nburst)
            print("podman: skipped (--quick or --no-podman)")
            return
        pod, why = podman_engine(w, croot, capsa)
        if why:
            report_burst(bursts, nburst)
            print(f"podman: skipped: it cannot run a container here: {why}")
            return
        sweep(pod, counts, runs, a.budget)
        pod.clean()
        pod("network", "create", "--subnet", "10.232.0.0/16", NET, check=False)
        bursts["podman"] = burst(pod, nburst)
        report_burst(bursts, nburst)
    finally:
        cap.clean()
        if pod:
            pod.clean()
            pod("system", "reset", "-f", check=False)
            podman_host_cleanup(net_before)
        remove_workdir(w)


if __name__ == "__main__":
    main()
