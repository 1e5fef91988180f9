"""capsa-oci on a pure cgroup-v2 host: a qemu VM (Debian's cloud kernel, a busybox initramfs) runs
tests/vm/guest-cgroup2.sh with the built capsa-oci. Skipped when the VM cannot be set up (no qemu,
kernel not downloadable): tests/vm/cgroup2-vm.sh exits 77 then, saying why."""
import os
import re
import signal
import subprocess

import pytest

from conftest import BUILD, OCI, PROBE, TOP

HARNESS = TOP / "tests" / "vm" / "cgroup2-vm.sh"
VM_TIMEOUT = 240  # seconds for the VM itself; the harness adds setup (a first kernel download)
SKIP = 77


def run_vm(guest, timeout=VM_TIMEOUT):
    if not OCI.exists() or not PROBE.exists():
        pytest.fail(f"build capsa first: {OCI} or {PROBE} is missing (scripts/build.sh)")
    # own session: on a timeout, SIGTERM lets the harness stop its qemu and remove its temp dir
    p = subprocess.Popen(["bash", str(HARNESS), str(BUILD), str(guest), str(timeout)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout + 300)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            out, _ = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
        pytest.fail(f"{HARNESS.name} did not finish in {timeout + 300}s:\n{out}")
    if p.returncode == SKIP:
        reasons = [l for l in out.splitlines() if "SKIP:" in l]
        pytest.skip(reasons[-1].split("SKIP:", 1)[1].strip() if reasons else out.strip()[-500:])
    return p.returncode, out


def test_vm_cgroup2():
    rc, out = run_vm(TOP / "tests" / "vm" / "guest-cgroup2.sh")
    assert rc == 0, f"{HARNESS.name} exited {rc}:\n{out}"
    m = re.search(r"^VM-RESULT: (\d+) passed, (\d+) failed$", out, re.M)
    assert m, f"no VM-RESULT line:\n{out}"
    assert int(m.group(1)) > 0 and int(m.group(2)) == 0, out
