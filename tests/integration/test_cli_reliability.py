"""The capsa CLI and its monitor SIGKILLed at each step (CAPSA_FAULT, see src/lib/util.h): `capsa
ps` still tells the truth and `capsa rm -f` still removes everything (the fixture checks that no
container, mount, monitor or cgroup is left)."""
import json
import os
import time

import pytest

from test_cli_run import capsa, wait_for  # noqa: F401  (the fixture)


def faulty(point):
    return dict(os.environ, CAPSA_FAULT=point)


def status_of(capsa, name):
    rows = [r for r in capsa.ps() if name in r["Names"]]
    return rows[0]["Status"] if rows else None


def test_cli_killed_after_recording(capsa):
    p = capsa("run", "-d", "--name", "f1", "busybox", "sleep", "30", env=faulty("cli:recorded"), check=False)
    assert p.returncode == -9
    assert status_of(capsa, "f1") is not None  # listed, never started
    assert not status_of(capsa, "f1").startswith("Up")
    capsa("rm", "-f", "f1")
    assert status_of(capsa, "f1") is None


def test_monitor_killed_once_the_container_runs(capsa):
    capsa("run", "-d", "--name", "f2", "busybox", "sleep", "30", env=faulty("monitor:started"))
    assert wait_for(lambda: (status_of(capsa, "f2") or "").startswith("Up"))
    time.sleep(0.3)  # the monitor is gone; the container is not
    assert status_of(capsa, "f2").startswith("Up")
    assert capsa("exec", "f2", "true").returncode == 0
    capsa("rm", "-f", "f2")
    assert status_of(capsa, "f2") is None


def test_monitor_killed_as_the_container_exits(capsa):
    capsa("run", "-d", "--name", "f3", "busybox", "sh", "-c", "sleep 0.3; exit 4", env=faulty("monitor:exited"))
    assert wait_for(lambda: (status_of(capsa, "f3") or "").startswith("Exited"), timeout=10)
    capsa("rm", "f3")
    assert status_of(capsa, "f3") is None


@pytest.mark.parametrize("point", ["cli:rm:killed", "cli:rm:deleted"])
def test_rm_killed_half_way_then_again(capsa, point):
    capsa("run", "-d", "--name", "f4", "busybox", "sleep", "30")
    p = capsa("rm", "-f", "f4", env=faulty(point), check=False)
    assert p.returncode == -9
    json.loads(capsa("ps", "-a", "--format", "json").stdout)  # still readable
    assert not (status_of(capsa, "f4") or "Exited").startswith("Up")
    capsa("rm", "-f", "f4")
    assert status_of(capsa, "f4") is None
