#!/usr/bin/env python3
"""`capsa build` against `buildah bud` (Debian's buildah 1.28) on the same Dockerfile and the same
base, cold and cached, as ratios (goal: capsa <= 0.3x buildah); and capsa's cached rebuild
against its cold build (the issue's goal: under 5 %).

Method (printed with the results):
- The base: busybox made offline (scripts/mkimage-busybox.sh) in capsa's store, `capsa save`d and
  pulled from that docker-archive into buildah: both build FROM the same layers.
- The Dockerfile (written into a context in the work directory): FROM busybox, three COPY steps
  (a file, a directory of 200 small files, a 4 MiB file), three RUN steps (a file written, files
  deleted, a loop of 100 shell commands), ENV, WORKDIR, CMD.
- buildah: its own --root/--runroot in the work directory, the overlay driver (vfs where overlay
  does not work here; the driver is printed), runc (crun refuses this host's hybrid cgroups),
  `bud --layers` (its step cache; without it buildah caches nothing).  capsa: its own --root,
  its default driver.  RUN on no network on both (`--network none`).
- cold: each with --no-cache (every step runs, intermediate images stored by both); cached: the
  same build again with nothing changed.  Wall time of the whole command, one run each by
  default (--runs N: the median of N), capsa and buildah alternating.
Usage: python3 bench/build.py [--runs N] [--build DIR]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import TOP, args_and_capsa, log, remove_workdir

DOCKERFILE = """FROM busybox
COPY one.txt /one.txt
COPY tree /tree
COPY big.bin /big.bin
RUN echo built > /built && wc -c /big.bin > /big.size
RUN rm -r /tree/d1 && rm /bin/zcat
RUN i=0; while [ $i -lt 100 ]; do echo $i >> /loop; i=$((i+1)); done
ENV BENCH=1
WORKDIR /srv
CMD ["cat", "/built"]
"""


def make_context(d):
    os.makedirs(f"{d}/tree")
    open(f"{d}/Dockerfile", "w").write(DOCKERFILE)
    open(f"{d}/one.txt", "w").write("one\n")
    for i in range(200):
        os.makedirs(f"{d}/tree/d{i % 10}", exist_ok=True)
        open(f"{d}/tree/d{i % 10}/f{i}", "w").write(f"file {i}\n" * 10)
    with open(f"{d}/big.bin", "wb") as f:
        f.write(os.urandom(4 << 20))


def run(cmd, env=None):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {(p.stdout + p.stderr).strip()[-800:]}")
    return p


def timed(cmd, env=None):
    t0 = time.perf_counter()
    p = run(cmd, env)
    return time.perf_counter() - t0, p.stdout


class Buildah:
    def __init__(self, w, driver):
        self.driver = driver
        os.makedirs(f"{w}/tmp", exist_ok=True)
        open(f"{w}/containers.conf", "w").write('[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n'
                                                'events_logger = "file"\n')
        open(f"{w}/registries.conf", "w").write('unqualified-search-registries = []\n')
        self.env = dict(os.environ, CONTAINERS_CONF=f"{w}/containers.conf", TMPDIR=f"{w}/tmp",
                        CONTAINERS_REGISTRIES_CONF=f"{w}/registries.conf")
        self.base = ["buildah", "--root", f"{w}/storage", "--runroot", f"{w}/run", "--storage-driver", driver]

    def __call__(self, *args):
        return run(self.base + list(args), self.env)

    def bud(self, ctx, *opts):
        return timed(self.base + ["bud", "--runtime", "runc", "--network", "none", "--layers", *opts, ctx], self.env)


def start_buildah(w, archive):
    """A buildah with the base pulled, on overlay when a RUN works there (overlay may mount and
    still not run), else vfs."""
    os.makedirs(f"{w}/probe")
    open(f"{w}/probe/Dockerfile", "w").write("FROM busybox\nRUN true\n")
    for driver in ("overlay", "vfs"):
        b = Buildah(f"{w}/buildah-{driver}", driver)
        try:
            b("pull", "-q", f"docker-archive:{archive}")
            b.bud(f"{w}/probe", "-t", "bench-probe")
            b("rmi", "bench-probe")
            return b
        except RuntimeError as e:
            log(f"bench/build.py: buildah on {driver} does not work here: {e}")
            close_buildah(b)
    raise RuntimeError("buildah works on neither overlay nor vfs here")


def close_buildah(b):
    subprocess.run(b.base + ["rm", "--all"], env=b.env, capture_output=True)
    subprocess.run(b.base + ["rmi", "-af"], env=b.env, capture_output=True)


def measure(capsa, root, b, ctx, runs):
    c_cmd = [capsa, "--root", root, "build", "--network", "none", "-t", "bench", ctx]
    t = {k: [] for k in ("capsa cold", "buildah cold", "capsa cached", "buildah cached")}
    for _ in range(runs):
        t["buildah cold"].append(b.bud(ctx, "--no-cache", "-t", "bench")[0])
        t["capsa cold"].append(timed(c_cmd[:4] + ["--no-cache"] + c_cmd[4:])[0])
        t["buildah cached"].append(b.bud(ctx, "-t", "bench")[0])
        sec, out = timed(c_cmd)
        t["capsa cached"].append(sec)
        if out.count("Using cache") < DOCKERFILE.count("\n") - 1:
            log(f"bench/build.py: capsa's rebuild did not use its cache for every step:\n{out}")
    return {k: statistics.median(v) for k, v in t.items()}


def report(m, runs, driver, capsa_driver):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"capsa build vs buildah bud --layers (buildah {driver}, runc; capsa {capsa_driver}), the same Dockerfile "
          f"(3 COPY, 3 RUN, 3 config steps) FROM the same busybox, RUN --network none, "
          f"{'one run' if runs == 1 else f'median of {runs}'} each, on {os.cpu_count()} x {cpu}:")
    for what in ("cold", "cached"):
        c, b = m[f"capsa {what}"], m[f"buildah {what}"]
        print(f"  {what + ':':8} capsa {c * 1000:8.1f} ms   buildah {b * 1000:8.1f} ms   "
              f"capsa/buildah {c / b:.2f} (goal <= 0.30)")
    print(f"  capsa cached/cold {m['capsa cached'] / m['capsa cold']:.3f} (goal < 0.05)")


def main():
    a, capsa = args_and_capsa(__doc__, runs=1)
    for x in (capsa, shutil.which("buildah"), shutil.which("runc")):
        if not x or not os.access(x, os.X_OK):
            sys.exit(f"bench/build.py: needs the capsa CLI, buildah and runc (bench/run.sh installs and builds "
                     f"them): {x or 'buildah/runc'} is missing")
    if os.geteuid() != 0:
        sys.exit("bench/build.py: run as root")
    if subprocess.run([capsa, "build", "--help"], capture_output=True).returncode != 0:
        print("bench/build.py: this capsa has no `build` command: skipped")
        return
    w = tempfile.mkdtemp(prefix="capsa-buildbench-")
    os.chmod(w, 0o755)
    root, ctx, b = f"{w}/capsa", f"{w}/ctx", None
    try:
        make_context(ctx)
        run(["sh", f"{TOP}/scripts/mkimage-busybox.sh", "busybox", "--", "--root", root],
            env=dict(os.environ, CAPSA=capsa))
        run([capsa, "--root", root, "save", "-o", f"{w}/busybox.tar", "busybox"])
        b = start_buildah(w, f"{w}/busybox.tar")
        info = run([capsa, "--root", root, "info"]).stdout
        capsa_driver = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("Storage Driver:")),
                            "its default driver")
        log(f"bench/build.py: capsa build vs buildah bud, {a.runs} run(s) ...")
        report(measure(capsa, root, b, ctx, a.runs), a.runs, b.driver, capsa_driver)
    finally:
        if b:
            close_buildah(b)
        remove_workdir(w)


if __name__ == "__main__":
    main()
