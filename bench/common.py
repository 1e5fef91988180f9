"""What the bench scripts share: the log line, the 90th percentile, a process's resident memory."""
import contextlib
import sys


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
