"""What the bench scripts share: the log line, the 90th percentile, a process's resident memory."""
import argparse
import contextlib
import os
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
