#!/usr/bin/env python3
"""`docker run --rm busybox true` through capsa's Docker API service (`capsa system service`)
against the same through dockerd 20.10 (containerd, runc) and podman's service, one run, as ratios;
then the idle memory of each service, and capsa's with 50 containers listed.

Method (printed with the results):
- Three engines, each private: its own roots, its own socket under one work directory.  capsa:
  `capsa --root R system service --time 0 unix://W/capsa.sock`.  dockerd: its own containerd
  (config, root, state, socket, namespace), data-root, exec-root, pidfile, cgroup parent, the
  cgroupfs driver, runc, overlay2 storage (vfs where overlay2 does not start), default-ulimits
  nofile 20000 (the host's hard limit; docker's default cannot be set here).  podman: `podman
  --root --runroot --tmpdir ... --runtime runc system service --time 0 unix://W/podman.sock`, the
  same containers.conf as bench/cli.py.
- The same image in all three: busybox made offline (scripts/mkimage-busybox.sh) in a scratch capsa
  store, `capsa save`d, and `docker load`ed into each engine through its socket.
- One client: docker 20.10's CLI (/usr/bin/docker) with its own DOCKER_CONFIG, DOCKER_HOST set to the
  engine's socket.  Default networking: capsa's bridge, dockerd's default `bridge` network,
  podman's CNI bridge.  dockerd's network is on a bridge of the bench's own (`"bridge": NAME`, a
  free 10.211.N.0/24), not docker0: any other dockerd started here with `"bridge": "none"` (the
  tests') deletes docker0.  dockerd runs with iptables, ip-forward and ip-masq off: its iptables
  set-up turns the host's FORWARD policy to DROP, which would cut every other bridge on this host
  (a container run without published ports adds no rule, so the work per container is the same).
- The timed step is `docker run --rm busybox true`; where capsa's service cannot attach yet it is
  `docker run -d busybox true` + `docker wait` + `docker rm` on all three (labelled so).  W warm-up
  rounds, then N rounds, the engines in a shuffled order each round; medians and p90, ratios of
  medians (goal: capsa <= 0.3x dockerd).
- The docker CLI's own cost (a Go program: start-up, /_ping, version negotiation) is in every step,
  the same for all three: the median `docker ps -a` (nothing to list) per engine is printed beside the times.
- Memory: VmRSS of each service after the runs, idle: capsa-service; dockerd + containerd;
  podman's service process.  Then 50 containers made with `docker create` on capsa and listed
  with `docker ps -a`: capsa-service's VmRSS after.
- At the end every container is removed, the engines are stopped, what is mounted under the work
  directory is unmounted, and the links, nft tables, cgroups and /run/docker directories the
  engines made are removed when they were not there before.
Usage: python3 bench/service.py [--runs N] [--build DIR]
"""
import contextlib
import ipaddress
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from common import TOP, args_and_capsa, log, p90, rss_kib

DOCKER = "/usr/bin/docker"
WARM = 3


def wait_for(pred, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return False


def stop(p, timeout=20):
    if p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


class Engine:
    """One engine's service processes and a docker CLI pointed at its socket."""

    def __init__(self, name, w, env, engines):
        """Listed in engines at once: what a failed start leaves is cleaned up with the rest."""
        self.name, self.w, self.procs = name, w, []
        engines.append(self)
        self.env = dict(env, DOCKER_HOST=f"unix://{w}/{name}.sock")

    def spawn(self, cmd, logname, env=None):
        out = open(f"{self.w}/{logname}.log", "w")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env or self.env,
                             start_new_session=True)
        out.close()
        self.procs.append(p)
        return p

    def docker(self, *args, check=True, timeout=120):
        p = subprocess.run([DOCKER, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError(f"{self.name}: docker {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
        return p

    def up(self, timeout=60):
        """Wait for the socket to answer; False (after timeout) when a process died or it never did."""
        ok = wait_for(lambda: any(p.poll() is not None for p in self.procs)
                      or self.docker("version", check=False, timeout=10).returncode == 0, timeout)
        return ok and all(p.poll() is None for p in self.procs)

    def log_tail(self, logname, n=8):
        with contextlib.suppress(OSError):
            return "\n".join(open(f"{self.w}/{logname}.log").read().splitlines()[-n:])
        return ""

    def rm_all(self):
        with contextlib.suppress(Exception):
            ids = self.docker("ps", "-aq", check=False, timeout=30).stdout.split()
            if ids:
                self.docker("rm", "-f", *ids, check=False, timeout=120)

    def down(self):
        for p in self.procs:
            stop(p)

    def rss(self):
        return sum(rss_kib(p.pid) for p in self.procs)


# ---- the three engines --------------------------------------------------------------------------

def start_capsa(w, env, engines, capsa):
    e = Engine("capsa", w, env, engines)
    e.root = f"{w}/capsa"
    e.spawn([capsa, "--root", e.root, "system", "service", "--time", "0", f"unix://{w}/capsa.sock"], "capsa")
    if not e.up():
        raise RuntimeError(f"capsa's service does not start: {e.log_tail('capsa')}")
    return e


def containerd_config(d):
    return f"""version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{d}/containerd.sock"
[ttrpc]
  address = "{d}/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
"""


def make_bridge(name):
    """A bridge for dockerd's default network, on the first 10.211.N.0/24 that no host route overlaps."""
    routes = subprocess.run(["ip", "-4", "route", "show", "table", "all"], capture_output=True, text=True).stdout
    used = [ipaddress.ip_network(r.split()[0], strict=False) for r in routes.splitlines()
            if r.split() and r.split()[0][0].isdigit()]
    net = next(n for n in (ipaddress.ip_network(f"10.211.{i}.0/24") for i in range(256))
               if not any(n.overlaps(u) for u in used))
    subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    subprocess.run(["ip", "addr", "add", f"{net[1]}/24", "dev", name], check=True)
    subprocess.run(["ip", "link", "set", name, "up"], check=True)


def dockerd_config(w, driver, cgparent, bridge):
    return {
        "data-root": f"{w}/docker/data-{driver}", "exec-root": f"{w}/docker/exec", "pidfile": f"{w}/docker/pid",
        "hosts": [f"unix://{w}/dockerd.sock"], "containerd": f"{w}/containerd/containerd.sock",
        "containerd-namespace": "capsa-bench", "containerd-plugins-namespace": "capsa-bench-plugins",
        # the default network on the bench's bridge, without the iptables set-up (it DROPs forwarding)
        "bridge": bridge, "iptables": False, "ip6tables": False, "ip-masq": False, "ip-forward": False,
        "storage-driver": driver, "exec-opts": ["native.cgroupdriver=cgroupfs"], "cgroup-parent": f"/{cgparent}",
        # the host's hard nofile limit is 20000: docker's default (1048576) cannot be set
        "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 20000, "Hard": 20000}},
        "deprecated-key-path": f"{w}/docker/key.json",
    }


def start_dockerd(w, env, engines, cgparent, bridge):
    e = Engine("dockerd", w, env, engines)
    make_bridge(bridge)
    d = f"{w}/containerd"
    os.makedirs(d)
    os.makedirs(f"{w}/docker")
    open(f"{d}/config.toml", "w").write(containerd_config(d))
    ctd = e.spawn(["containerd", "--config", f"{d}/config.toml"], "containerd")
    if not wait_for(lambda: os.path.exists(f"{d}/containerd.sock") or ctd.poll() is not None, 30) \
            or ctd.poll() is not None:
        raise RuntimeError(f"containerd does not start: {e.log_tail('containerd')}")
    for driver in ("overlay2", "vfs"):
        open(f"{w}/docker/daemon.json", "w").write(json.dumps(dockerd_config(w, driver, cgparent, bridge)))
        dd = e.spawn(["dockerd", "--config-file", f"{w}/docker/daemon.json"], f"dockerd-{driver}")
        if e.up():
            e.driver = driver
            return e
        log(f"bench/service.py: dockerd with {driver} does not start: {e.log_tail(f'dockerd-{driver}', 3)}")
        stop(dd)
        e.procs.remove(dd)
    raise RuntimeError("dockerd does not start with overlay2 nor vfs")


def start_podman(w, env, engines, conf):
    e = Engine("podman", w, env, engines)
    e.flags = ["podman", "--root", f"{w}/ps", "--runroot", f"{w}/pr", "--tmpdir", f"{w}/pt", "--cgroup-manager",
               "cgroupfs", "--events-backend", "file", "--runtime", "runc"]
    e.penv = dict(os.environ, CONTAINERS_CONF=conf)
    e.spawn(e.flags + ["system", "service", "--time", "0", f"unix://{w}/podman.sock"], "podman", env=e.penv)
    if not e.up():
        raise RuntimeError(f"podman's service does not start: {e.log_tail('podman')}")
    return e


# ---- the measure ------------------------------------------------------------------------------

def step_rm(e):
    e.docker("run", "--rm", "busybox", "true")


def step_detached(e):
    cid = e.docker("run", "-d", "busybox", "true").stdout.strip()
    e.docker("wait", cid)
    e.docker("rm", cid)


def attach_works(capsa):
    """Whether capsa's service serves `docker run --rm` (the attach stream); what it leaves is removed."""
    ok = capsa.docker("run", "--rm", "busybox", "true", check=False, timeout=30).returncode == 0
    capsa.rm_all()
    return ok


def measure(engines, step, runs):
    times = {e.name: [] for e in engines}
    order = list(engines)
    for i in range(WARM + runs):
        random.shuffle(order)
        for e in order:
            t0 = time.perf_counter()
            step(e)
            if i >= WARM:
                times[e.name].append(time.perf_counter() - t0)
    return times


def cli_floor(engines, n=5):
    """The docker CLI's own cost per call: median of `docker ps -a` (a _ping and one GET) on each engine
    (not `docker version`: podman's takes 0.5 s)."""
    out = {}
    for e in engines:
        v = []
        for _ in range(n):
            t0 = time.perf_counter()
            e.docker("ps", "-aq")
            v.append(time.perf_counter() - t0)
        out[e.name] = statistics.median(v)
    return out


def listed_rss(capsa, n=50):
    for _ in range(n):
        capsa.docker("create", "--network", "none", "busybox", "true")
    for _ in range(3):
        listed = len(capsa.docker("ps", "-aq").stdout.split())
    time.sleep(0.5)
    return listed, capsa.rss()


def report(engines, times, what, runs, floor, idle, listed):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    drv = next(e.driver for e in engines if e.name == "dockerd")
    print(f"capsa system service against dockerd and podman's service, one run ({os.cpu_count()} cpus, {cpu})")
    print(f"method: `{what}` through each engine's socket with docker 20.10's CLI, {runs} rounds after {WARM} "
          "warm-up, engines in a shuffled order each round; medians (p90); the same busybox image `docker load`ed "
          f"into each; dockerd: containerd + runc, {drv} storage, iptables off; podman: runc, cgroupfs; "
          "network: each engine's default bridge")
    print("versions: " + ", ".join(f"{e.name} {e.docker('version', '--format', '{{.Server.Version}}').stdout.strip()}"
                                    for e in engines))
    med = {n: statistics.median(v) for n, v in times.items()}
    for n, v in times.items():
        print(f"  {n:8s} {med[n] * 1000:8.1f} ms (p90 {p90(v) * 1000:7.1f})")
    r = med["capsa"] / med["dockerd"]
    print(f"  capsa/dockerd {r:.2f} (goal <= 0.3: {'met' if r <= 0.3 else 'NOT met'}); "
          f"capsa/podman {med['capsa'] / med['podman']:.2f}")
    print("  the CLI's own cost, one `docker ps -a` per engine (median of 5): "
          + ", ".join(f"{n} {v * 1000:.1f} ms" for n, v in floor.items()))
    print("idle service memory after the runs (VmRSS):")
    for e in engines:
        parts = " + ".join(f"{p.args[0].rsplit('/', 1)[-1]} {rss_kib(p.pid)}" for p in e.procs)
        print(f"  {e.name:8s} {idle[e.name]:7d} KiB" + (f"  ({parts})" if len(e.procs) > 1 else ""))
    print(f"capsa-service with {listed[0]} containers listed (`docker create` x50, `docker ps -a`): {listed[1]} KiB")


# ---- set-up and clean-up ----------------------------------------------------------------------

def host_state():
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    return {"links": {l.split(":")[1].strip().split("@")[0] for l in links.splitlines()},
            "tables": subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout,
            "dirs": {d for d in ("/run/docker", "/run/docker/plugins") if os.path.exists(d)}}


def make_image(w, capsa, env):
    store = f"{w}/mkimage"
    subprocess.run(["sh", f"{TOP}/scripts/mkimage-busybox.sh", "busybox:latest", "--", "--root", store],
                   env=dict(env, CAPSA=capsa), check=True, stdout=subprocess.DEVNULL)
    subprocess.run([capsa, "--root", store, "save", "-o", f"{w}/img.tar", "busybox:latest"], check=True)
    shutil.rmtree(store)


def cleanup(w, engines, before, cgparent, capsa, bridge):
    for e in engines:
        e.rm_all()
        if e.name == "capsa":
            subprocess.run([capsa, "--root", e.root, "network", "rm", "bridge"], capture_output=True)
        e.down()
        if e.name == "podman":
            subprocess.run(e.flags + ["system", "reset", "-f"], env=e.penv, capture_output=True)
    for line in reversed(open("/proc/self/mountinfo").read().splitlines()):
        if line.split()[4].startswith(w):
            subprocess.run(["umount", "-l", line.split()[4]], stderr=subprocess.DEVNULL)
    # dockerd's bridge, podman's CNI bridge and its iptables-nft tables (capsa removes its own)
    for link in (bridge, "cni-podman0"):
        if link not in before["links"]:
            subprocess.run(["ip", "link", "del", link], capture_output=True)
    for table in ("ip nat", "ip filter"):
        if f"table {table}" not in before["tables"]:
            subprocess.run(["nft", "delete", "table", *table.split()], capture_output=True)
    for d in ("/run/docker/plugins", "/run/docker"):
        if d not in before["dirs"]:
            with contextlib.suppress(OSError):
                os.rmdir(d)
    for h in os.listdir("/sys/fs/cgroup"):
        top = f"/sys/fs/cgroup/{h}/{cgparent}"
        for d, _, _ in sorted(os.walk(top), key=lambda x: -len(x[0])):
            with contextlib.suppress(OSError):
                os.rmdir(d)
    shutil.rmtree(w, ignore_errors=True)
    after = host_state()
    left = sorted(after["links"] - before["links"] - {"capsa0"})
    if left:
        log(f"bench/service.py: links still there after the clean-up (maybe another user's): {' '.join(left)}")


def main():
    a, capsa = args_and_capsa(__doc__)
    for b in (capsa, DOCKER, "/usr/sbin/dockerd", "/usr/bin/containerd", "/usr/bin/podman"):
        if not os.access(b, os.X_OK):
            sys.exit(f"bench/service.py: {b} is missing (bench/run.sh installs and builds what it needs)")
    if os.geteuid() != 0:
        sys.exit("bench/service.py: run as root")
    w = tempfile.mkdtemp(prefix="capsa-svcbench-")
    os.chmod(w, 0o755)
    conf = f"{w}/containers.conf"
    open(conf, "w").write('[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
                          '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
    os.makedirs(f"{w}/docker-config")
    env = dict(os.environ, DOCKER_CONFIG=f"{w}/docker-config")
    env.pop("DOCKER_CONTEXT", None)
    before, cgparent, engines = host_state(), f"capsa-svcbench-{os.getpid()}", []
    bridge = f"cbench{os.getpid() % 100000}"
    try:
        make_image(w, capsa, env)
        start_capsa(w, env, engines, capsa)
        start_dockerd(w, env, engines, cgparent, bridge)
        start_podman(w, env, engines, conf)
        for e in engines:
            e.docker("load", "-i", f"{w}/img.tar")
        if attach_works(engines[0]):
            step, what = step_rm, "docker run --rm busybox true"
        else:
            step, what = step_detached, "docker run -d busybox true; docker wait; docker rm (no attach in capsa yet)"
        log(f"bench/service.py: {what}, {a.runs} rounds ...")
        times = measure(engines, step, a.runs)
        floor = cli_floor(engines)
        time.sleep(1)
        idle = {e.name: e.rss() for e in engines}
        listed = listed_rss(engines[0])
        report(engines, times, what, a.runs, floor, idle, listed)
    finally:
        cleanup(w, engines, before, cgparent, capsa, bridge)


if __name__ == "__main__":
    main()
