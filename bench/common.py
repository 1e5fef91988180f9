"""What the bench scripts share: the log line, the 90th percentile, a process's resident memory."""
import argparse
import contextlib
import os
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def p90(v):
    return sorted(v)[max(0, int(len(v) * 0.9) - 1)]


def rss_kib(pid):
    """VmRSS of pid in KiB; 0 when it is gone."""
    with contextlib.suppress(OSError):
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def args_and_capsa(doc, runs=20):
    """The command line of a bench script (--runs, --build) and the capsa it measures."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=runs)
    ap.add_argument("--build", default=f"{TOP}/build-bench")
    a = ap.parse_args()
    return a, os.path.abspath(f"{a.build}/src/cli/capsa")


def host_net_state():
    """The host's links and nft tables now: what podman_host_cleanup compares against."""
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    tables = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
    return links, tables


def podman_host_cleanup(before):
    """Remove what podman's CNI networking left that was not there before: its cni-podman
    bridges and the iptables-nft `ip nat`/`ip filter` tables."""
    links, tables = before
    now = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    for line in now.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith("cni-podman") and f": {name}:" not in links:
            subprocess.run(["ip", "link", "del", name], capture_output=True)
    for table in ("ip nat", "ip filter"):
        if f"table {table}" not in tables:
            subprocess.run(["nft", "delete", "table", *table.split()], capture_output=True)


def remove_workdir(w):
    """Unmount what is left under the bench's directory w (deepest first), then remove it."""
    for line in reversed(open("/proc/self/mountinfo").read().splitlines()):
        if line.split()[4].startswith(w):
            subprocess.run(["umount", "-l", line.split()[4]], stderr=subprocess.DEVNULL)
    shutil.rmtree(w, ignore_errors=True)
