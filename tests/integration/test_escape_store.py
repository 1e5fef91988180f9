"""Setuid files and device nodes from containers must not reach host users (CVE-2021-41091 class).

A container's root writes a setuid-root copy of the probe into a volume and into its own root
filesystem, and an image brings a setuid-root file and a 0666 device node; an unprivileged host
user (nobody) then tries to run or open them through the store's paths (the volume's _data, the
container's upper and merged dirs).  Each attempt is made with the store's modes (it must fail:
the user cannot even reach the path) and again with the one directory that guards it put back to
its old mode (it must then give euid 0), so no test passes because the attempt was broken.
Uses test_cli_run's `capsa` fixture (a temp --root, an offline busybox image, the leak check).
"""
import errno
import json
import os
import shutil
import stat
import subprocess

import pytest

from conftest import PROBE
from test_cli_run import capsa  # noqa: F401  (the fixture)

NOBODY = 65534


def _drop():
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)


def as_nobody(path):
    """Run `path id` as nobody: the probe's ids, or the errno name of the failed exec."""
    try:
        p = subprocess.run([str(path), "id"], preexec_fn=_drop, capture_output=True, text=True, timeout=10)
    except OSError as e:
        return errno.errorcode[e.errno]
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def open_as_nobody(path):
    """Open `path` read-only as nobody: "ok" or the errno name."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code = b"ok"
        try:
            _drop()
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        except OSError as e:
            code = errno.errorcode[e.errno].encode()
        os.write(w, code)
        os._exit(0)
    os.close(w)
    out = os.read(r, 64).decode()
    os.close(r)
    os.waitpid(pid, 0)
    return out


def probe_arg(capsa):
    """A copy of the probe, bind-mounted into the container at /probe."""
    dst = capsa.tmp / "probe"
    if not dst.exists():
        shutil.copy2(PROBE, dst)
        os.chmod(dst, 0o755)
    return ["-v", f"{dst}:/probe:ro"]


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def reopened(path, old_mode, attempt):
    """attempt() with `path` put back to old_mode for a moment (the control), then restored."""
    saved = mode(path)
    os.chmod(path, old_mode)
    try:
        return attempt()
    finally:
        os.chmod(path, saved)


SETUID_COPY = "cp /probe {0} && chmod 4755 {0}"


def test_setuid_file_in_a_volume(capsa):
    capsa("run", "--rm", "--network", "none", *probe_arg(capsa), "-v", "vol:/v", "busybox", "sh", "-c",
          SETUID_COPY.format("/v/su"))
    vdir = capsa.root / "volumes" / "vol"
    su = vdir / "_data" / "su"
    assert os.stat(su).st_mode & stat.S_ISUID and os.stat(su).st_uid == 0
    assert mode(vdir) == 0o700 and mode(capsa.root / "volumes") == 0o711
    assert as_nobody(su) == "EACCES"
    assert open_as_nobody(vdir / "_data") == "EACCES"
    # control: with the volume's directory as it was (0755), nobody becomes root
    assert reopened(vdir, 0o755, lambda: as_nobody(su))["euid"] == 0


def test_setuid_file_in_the_containers_own_root(capsa):
    cid = capsa("run", "-d", "--network", "none", *probe_arg(capsa), "busybox", "sh", "-c",
                SETUID_COPY.format("/su") + " && sleep 1000").stdout.strip()
    capsa.ids = [cid]
    cdir = capsa.root / "containers" / cid
    capsa("exec", cid, "test", "-u", "/su")
    assert mode(cdir) == 0o700 and mode(capsa.root / "containers") == 0o711
    for path in (cdir / "upper" / "su", cdir / "merged" / "su"):
        assert as_nobody(path) == "EACCES", path
        # control: with containers/ID as it was (0711), nobody becomes root through either
        assert reopened(cdir, 0o711, lambda: as_nobody(path))["euid"] == 0, path
    assert open_as_nobody(cdir / "bundle" / "config.json") == "EACCES"
    capsa("rm", "-f", cid)


def test_image_setuid_file_and_device_node(capsa):
    img = capsa.tmp / "img"
    for d in ("bin", "dev", "tmp", "proc", "sys"):
        (img / d).mkdir(parents=True)
    shutil.copy2(PROBE, img / "su")
    os.chmod(img / "su", 0o4755)
    shutil.copy2("/bin/busybox", img / "bin" / "busybox")
    os.symlink("busybox", img / "bin" / "sleep")
    os.mknod(img / "dev" / "lc", stat.S_IFCHR | 0o666, os.makedev(10, 237))  # /dev/loop-control's
    os.chmod(img / "dev" / "lc", 0o666)
    capsa("import", str(img), "suid:1")
    cid = capsa("run", "-d", "--network", "none", "suid:1", "/bin/sleep", "1000").stdout.strip()
    capsa.ids = [cid]
    cdir = capsa.root / "containers" / cid
    merged = cdir / "merged"
    assert as_nobody(merged / "su") == "EACCES"
    assert open_as_nobody(merged / "dev" / "lc") == "EACCES"
    # the layers themselves are for the host's root only
    assert mode(capsa.root / "layers") == 0o700
    layer_su = [p for p in capsa.root.glob("layers/*/diff/su")]
    assert layer_su and as_nobody(layer_su[0]) == "EACCES"
    # control: through containers/ID as it was (0711), the image's file runs as root and its device opens
    assert reopened(cdir, 0o711, lambda: as_nobody(merged / "su"))["euid"] == 0
    assert reopened(cdir, 0o711, lambda: open_as_nobody(merged / "dev" / "lc")) != "EACCES"
    capsa("rm", "-f", cid)


def test_user_namespaced_container_reaches_its_root_and_volume(capsa):
    cid = capsa("run", "-d", "--network", "none", "--uidmap", "0:200000:65536", *probe_arg(capsa), "-v", "uv:/v",
                "busybox", "sh", "-c", SETUID_COPY.format("/v/su") + " && sleep 1000").stdout.strip()
    capsa.ids = [cid]
    cdir, vdir = capsa.root / "containers" / cid, capsa.root / "volumes" / "uv"
    capsa("exec", cid, "test", "-u", "/v/su")
    # its root (host gid 200000) passes through the group; nobody else does
    for d in (cdir, vdir):
        st = os.stat(d)
        assert (mode(d), st.st_uid, st.st_gid) == (0o710, 0, 200000), d
    su = vdir / "_data" / "su"
    assert as_nobody(su) == "EACCES"
    assert reopened(vdir, 0o755, lambda: as_nobody(su))["euid"] == 200000
    # it starts again (capsa-oci walks the paths as the container's root)
    capsa("stop", "-t", "0", cid)
    capsa("start", cid)
    assert capsa("exec", cid, "sh", "-c", "id -u; ls /v").stdout.split() == ["0", "su"]
    # a container of another range cannot take the volume's group while this one uses it
    p = capsa("run", "--rm", "--network", "none", "--uidmap", "0:300000:65536", "-v", "uv:/v", "busybox", "true",
              check=False)
    assert p.returncode == 125 and "volume `uv`" in p.stderr and "200000" in p.stderr, p.stderr
    capsa("rm", "-f", cid)
    # once it is gone, the volume is another's
    capsa("run", "--rm", "--network", "none", "--uidmap", "0:300000:65536", "-v", "uv:/v", "busybox", "ls", "/v")
    assert os.stat(vdir).st_gid == 300000


def test_an_old_store_is_tightened_when_opened(capsa):
    plain = capsa("run", "-d", "--network", "none", "-v", "pv:/v", "busybox", "sleep", "1000").stdout.strip()
    mapped = capsa("run", "-d", "--network", "none", "--uidmap", "0:200000:65536", "-v", "mv:/v", "busybox",
                   "sleep", "1000").stdout.strip()
    capsa.ids = [plain, mapped]
    r = capsa.root
    old = {r: 0o711, r / "layers": 0o711, r / "containers": 0o711, r / "volumes": 0o755,
           r / "containers" / plain: 0o711, r / "containers" / mapped: 0o711, r / "volumes" / "pv": 0o755,
           r / "volumes" / "mv": 0o755}
    for path, m in old.items():
        os.chmod(path, m)
    os.chown(r / "containers" / mapped, 0, 0)
    os.chown(r / "volumes" / "mv", 0, 0)
    assert open_as_nobody(r / "containers" / plain / "merged" / "bin" / "busybox") == "ok"
    capsa("images")
    want = {r: 0o711, r / "layers": 0o700, r / "containers": 0o711, r / "volumes": 0o711,
            r / "containers" / plain: 0o700, r / "containers" / mapped: 0o710, r / "volumes" / "pv": 0o700,
            r / "volumes" / "mv": 0o710}
    assert {str(p): oct(mode(p)) for p in want} == {str(p): oct(m) for p, m in want.items()}
    assert os.stat(r / "containers" / mapped).st_gid == 200000 and os.stat(r / "volumes" / "mv").st_gid == 200000
    assert open_as_nobody(r / "containers" / plain / "merged" / "bin" / "busybox") == "EACCES"
    # both still start again and reach their roots and volumes
    for cid in (plain, mapped):
        capsa("stop", "-t", "0", cid)
        capsa("start", cid)
        capsa("exec", cid, "sh", "-c", "touch /v/ok /ok")
    capsa("rm", "-f", plain, mapped)


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv is missing")
def test_a_host_user_cannot_list_the_store(capsa):
    p = subprocess.run(["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups", "ls",
                        str(capsa.root), str(capsa.root / "containers"), str(capsa.root / "layers")],
                       capture_output=True, text=True)
    assert p.returncode != 0 and p.stderr.count("Permission denied") == 3, p.stderr
