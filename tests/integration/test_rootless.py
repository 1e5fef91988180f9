"""capsa-oci run by an ordinary user: a user namespace mapping the user itself (written directly)
or ranges from /etc/subuid (through the setuid newuidmap/newgidmap)."""
import json
import os
import pwd
import shutil
import subprocess

import pytest

from conftest import OCI, new_id, state_left

USER = "capsa-it"


@pytest.fixture(scope="module")
def user():
    if shutil.which("newuidmap") is None:
        pytest.skip("newuidmap is missing (apt-get install uidmap)")
    created = False
    try:
        pw = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", USER], check=True)
        pw = pwd.getpwnam(USER)
        created = True
    ranges = {}
    for f in ("/etc/subuid", "/etc/subgid"):
        line = next((l for l in open(f) if l.startswith(USER + ":")), None)
        if line is None:
            subprocess.run(["usermod", "--add-subuids" if "uid" in f else "--add-subgids",
                            "300000-365535", USER], check=True)
            line = next(l for l in open(f) if l.startswith(USER + ":"))
        _, start, count = line.strip().split(":")
        ranges[f] = (int(start), int(count))
    yield pw, ranges["/etc/subuid"], ranges["/etc/subgid"]
    if created:
        subprocess.run(["userdel", USER], check=False)


def as_user(pw, workdir, *args):
    xdg = workdir / "xdg"
    xdg.mkdir(exist_ok=True)
    os.chown(xdg, pw.pw_uid, pw.pw_gid)

    def demote():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)

    env = {"PATH": "/usr/bin:/bin", "HOME": "/", "XDG_RUNTIME_DIR": str(xdg)}
    return subprocess.run([str(OCI), *map(str, args)], preexec_fn=demote, env=env, capture_output=True,
                          text=True, timeout=60)


def rootless_bundle(bundle, workdir, pw):
    spec_dir = workdir / "spec"
    spec_dir.mkdir()
    os.chown(spec_dir, pw.pw_uid, pw.pw_gid)
    p = as_user(pw, workdir, "spec", "--rootless", "--bundle", spec_dir)
    assert p.returncode == 0, p.stderr
    cfg = json.loads((spec_dir / "config.json").read_text())
    assert cfg["linux"]["uidMappings"] == [{"containerID": 0, "hostID": pw.pw_uid, "size": 1}]
    cfg["process"]["terminal"] = False
    bundle.config = cfg
    return bundle


def test_rootless_single_id(user, oci, bundle, workdir):
    pw, _, _ = user
    rootless_bundle(bundle, workdir, pw).args("/probe", "id").write()
    p = as_user(pw, workdir, "run", "-b", bundle.path, new_id())
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["uid"] == 0 and out["gid"] == 0  # root inside, the user outside
    assert not state_left(workdir / "xdg" / "capsa-oci")  # default root under XDG_RUNTIME_DIR


def test_rootless_subuid_ranges(user, oci, bundle, workdir):
    pw, (ustart, ucount), (gstart, gcount) = user
    b = rootless_bundle(bundle, workdir, pw)
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": pw.pw_uid, "size": 1},
                                        {"containerID": 1, "hostID": ustart, "size": ucount}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": pw.pw_gid, "size": 1},
                                        {"containerID": 1, "hostID": gstart, "size": gcount}]
    b.process["user"] = {"uid": 1000, "gid": 1000}
    b.args("/bin/cat", "/proc/self/uid_map", "/proc/self/gid_map").write()
    p = as_user(pw, workdir, "run", "-b", b.path, new_id())
    assert p.returncode == 0, p.stderr
    rows = [l.split() for l in p.stdout.splitlines()]
    assert rows[0] == ["0", str(pw.pw_uid), "1"]
    assert rows[1] == ["1", str(ustart), str(ucount)]
    assert rows[2] == ["0", str(pw.pw_gid), "1"]


def test_rootless_unowned_range_is_refused_clearly(user, oci, bundle, workdir):
    pw, _, _ = user
    b = rootless_bundle(bundle, workdir, pw)
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
    b.write()
    p = as_user(pw, workdir, "run", "-b", b.path, new_id())
    assert p.returncode != 0
    assert "newuidmap" in p.stderr and "/etc/subuid" in p.stderr
    assert not state_left(workdir / "xdg" / "capsa-oci")
