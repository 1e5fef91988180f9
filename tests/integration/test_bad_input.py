"""Input that used to be accepted and then did the wrong thing (issue 21 item 10): capsa-oci refuses
out-of-range resources and an unknown ociVersion major before creating anything; the CLI refuses bad
-m, --cpu-quota/--cpu-period, -v and `volume create` flags with a usage error (125) and makes
nothing; `capsa cp` copies FIFOs and device nodes, and names every file it skips."""
import json
import os
import pathlib
import socket
import stat

import pytest

from conftest import new_id, state_left
from test_cli_run import capsa  # noqa: F401  (the fixture)


# ---- capsa-oci ---------------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    (lambda c: c["linux"].setdefault("resources", {}).update(memory={"limit": -5}),
     "linux.resources.memory.limit: -5 is out of range (bytes, or -1 for unlimited)"),
    (lambda c: c["linux"].setdefault("resources", {}).update(cpu={"quota": -2, "period": 0}),
     "linux.resources.cpu.quota: -2 is out of range"),
    (lambda c: c["linux"].setdefault("resources", {}).update(cpu={"quota": 50000, "period": 0}),
     "linux.resources.cpu.period: 0 with a quota (50000)"),
    (lambda c: c.update(ociVersion="99.0.0"),
     "ociVersion 99.0.0: unsupported major version, capsa supports 1.x"),
])
def test_oci_refuses_before_creating(oci, bundle, change, message):
    change(bundle.config)
    bundle.args("true").write()
    cid = new_id()
    p = oci("create", "--bundle", bundle.path, cid, check=False)
    assert p.returncode != 0 and message in p.stderr, p.stderr
    assert cid not in oci.ids()
    assert state_left(oci.root) == []


def test_oci_update_refuses_out_of_range(oci, bundle):
    cid = new_id()
    oci.detach(bundle.args("sleep", "30"), cid)
    for res, message in [({"memory": {"limit": -5}}, "update.memory.limit: -5 is out of range"),
                         ({"cpu": {"quota": -2}}, "update.cpu.quota: -2 is out of range")]:
        p = oci("update", "--resources", "-", cid, input=json.dumps(res), check=False)
        assert p.returncode != 0 and message in p.stderr, p.stderr
    oci("delete", "--force", cid)


def test_oci_accepts_minus_one_as_unlimited(oci, bundle):
    bundle.config["linux"]["resources"] = {"memory": {"limit": -1}, "cpu": {"quota": -1}}
    bundle.args("true").write()
    oci("run", "--bundle", bundle.path, new_id())


# ---- capsa run / create --------------------------------------------------------------------------

def assert_nothing_made(capsa):
    assert capsa.ps() == []
    assert capsa("volume", "ls", "-q").stdout == ""
    d = pathlib.Path(capsa.root) / "containers"
    assert not d.exists() or os.listdir(d) == []


@pytest.mark.parametrize("args, message", [
    (["-m", "-5"], "--memory: invalid size `-5`"),
    (["--memory=-2g"], "--memory: invalid size `-2g`"),
    (["--cpu-quota", "-2"], "--cpu-quota: invalid number `-2`"),
    (["--cpu-quota", "500"], "--cpu-quota: 500 is below 1000 microseconds"),
    (["--cpu-period", "0"], "--cpu-period: invalid number `0` (1000 to 1000000)"),
    (["--cpus", "1", "--cpu-quota", "50000"], "conflicting options: --cpus and --cpu-quota"),
    (["-v", ":/d"], "-v `:/d`: an empty section between colons"),
    (["-v", "src:"], "-v `src:`: an empty section between colons"),
    (["-v", "/tmp:"], "-v `/tmp:`: an empty section between colons"),
    (["-v", ""], "-v ``: an empty volume spec"),
    (["-v", "v:/d:ro:x"], "-v `v:/d:ro:x`: too many colons"),
])
@pytest.mark.parametrize("cmd", ["run", "create"])
def test_bad_run_flags_are_usage_errors(capsa, cmd, args, message):
    p = capsa(cmd, *args, "busybox", "true", check=False)
    assert p.returncode == 125 and message in p.stderr, p.stderr
    assert_nothing_made(capsa)


def test_cpu_quota_and_period_reach_the_config(capsa):
    cid = capsa("create", "--cpu-quota", "50000", "--cpu-period", "200000", "busybox", "true").stdout.strip()
    cfg = json.loads((pathlib.Path(capsa.root) / "containers" / cid / "bundle" / "config.json").read_text())
    assert cfg["linux"]["resources"]["cpu"] == {"quota": 50000, "period": 200000}
    hc = capsa.inspect(cid)["HostConfig"]
    assert (hc["CpuQuota"], hc["CpuPeriod"]) == (50000, 200000)
    capsa("rm", cid)


# ---- capsa volume create ---------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--bogus"], "unknown option `--bogus`"),
    (["--bogus", "v1"], "unknown option `--bogus`"),
    (["-x"], "unknown option `-x`"),
    (["a", "b"], "takes at most 1 argument"),
    (["--driver", "nfs", "v1"], "--driver `nfs`: only `local` is supported"),
])
def test_volume_create_bad_flags(capsa, args, message):
    p = capsa("volume", "create", *args, check=False)
    assert p.returncode == 125 and message in p.stderr, p.stderr
    assert capsa("volume", "ls", "-q").stdout == ""


def test_volume_create_labels_and_driver(capsa):
    assert capsa("volume", "create", "--driver", "local", "-l", "a=1", "--label", "b", "v1").stdout == "v1\n"
    v = json.loads(capsa("volume", "inspect", "v1").stdout)[0]
    assert v["Labels"] == {"a": "1", "b": ""}
    capsa("volume", "rm", "v1")


# ---- capsa cp ------------------------------------------------------------------------------------

def special_tree(top):
    top.mkdir()
    (top / "file").write_text("x")
    os.mkfifo(top / "fifo", 0o640)
    os.mknod(top / "null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(top / "sock"))
    s.close()


def test_cp_copies_fifos_and_devices_and_names_what_it_skips(capsa):
    capsa("create", "--name", "c", "busybox", "true")
    src = pathlib.Path(capsa.tmp) / "tree"
    special_tree(src)
    p = capsa("cp", str(src), "c:/tree")
    assert "skipped socket `" in p.stderr and "tree/sock`" in p.stderr, p.stderr
    merged = pathlib.Path(capsa.inspect("c")["GraphDriver"]["Data"]["MergedDir"]) / "tree"
    st = os.lstat(merged / "fifo")
    assert stat.S_ISFIFO(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o640
    st = os.lstat(merged / "null")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3) and stat.S_IMODE(st.st_mode) == 0o600
    assert not (merged / "sock").exists()
    # back to the host: the FIFO comes back, the container's device node does not (named)
    back = pathlib.Path(capsa.tmp) / "back"
    p = capsa("cp", "c:/tree", str(back))
    assert stat.S_ISFIFO(os.lstat(back / "fifo").st_mode)
    assert (back / "file").read_text() == "x"
    assert not (back / "null").exists()
    assert "skipped character device `/tree/null`" in p.stderr, p.stderr
    capsa("rm", "c")
