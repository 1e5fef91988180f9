"""Mount behaviour real engines rely on, as runc 1.1 has it (issue 13, items 9 and 10): bind
sources opened by the runtime before the user namespace, tmpfs modes, device paths, rootfs
propagation, exec's session, hooks' environment, state and failures, idmapped mounts."""
import json
import os
import subprocess

from conftest import default_config, new_id


def userns_bundle(bundle):
    bundle.config = default_config(userns=True)
    bundle.chown_rootfs(100000, 100000)
    return bundle


def test_root_only_bind_source_with_userns(oci, bundle, workdir):
    """A source under a 0700 root directory: the container's root (host uid 100000) could not
    reach it; the runtime opens it as the host's root before the user namespace (runc 1.1+)."""
    secret = workdir / "secret"
    (secret / "sub").mkdir(parents=True)
    (secret / "sub" / "data").write_text("only-root-reaches-me\n")
    os.chmod(secret, 0o700)
    userns_bundle(bundle).mount(destination="/mnt", type="bind", source=str(secret / "sub"),
                                options=["rbind", "ro"])
    bundle.args("/bin/cat", "/mnt/data")
    p = oci("run", "-b", bundle.write().path, new_id())
    assert p.stdout == "only-root-reaches-me\n"


def test_root_only_bind_file_and_relative_source(oci, bundle, workdir):
    """A file source, given relative to the bundle as runc allows, also behind a 0700 directory."""
    d = bundle.path / "private"
    d.mkdir()
    (d / "f").write_text("relative\n")
    os.chmod(d, 0o700)
    os.chmod(d / "f", 0o644)
    userns_bundle(bundle).mount(destination="/etc/f", type="bind", source="private/f", options=["bind"])
    bundle.args("/bin/cat", "/etc/f")
    assert oci("run", "-b", bundle.write().path, new_id()).stdout == "relative\n"


def test_bind_from_fd_does_not_propagate_back(oci, bundle, workdir):
    """open_tree clones a shared host mount into the host's peer group: the runtime makes the
    attached tree rslave, so a mount made under it in the container stays in the container."""
    src = workdir / "shared"
    src.mkdir()
    os.chown(src, 100000, 100000)
    subprocess.run(["mount", "--bind", str(src), str(src)], check=True)
    try:
        subprocess.run(["mount", "--make-shared", str(src)], check=True)
        userns_bundle(bundle).mount(destination="/mnt", type="bind", source=str(src), options=["rbind"])
        bundle.config["mounts"].append({"destination": "/mnt/inner", "type": "tmpfs", "source": "tmpfs"})
        bundle.args("/bin/sh", "-c", "grep -c ' /mnt/inner ' /proc/self/mountinfo")
        assert oci("run", "-b", bundle.write().path, new_id()).stdout.strip() == "1"
        with open("/proc/self/mountinfo") as f:
            assert str(src / "inner") not in f.read()
    finally:
        subprocess.run(["umount", "-R", str(src)], check=False)


def stat_modes(oci, bundle, *paths):
    bundle.args("/bin/sh", "-c", " ".join(f"stat -c '%n %a' {p};" for p in paths))
    out = oci("run", "-b", bundle.write().path, new_id()).stdout
    return dict(l.split() for l in out.splitlines())


def test_tmpfs_keeps_the_mountpoint_mode(oci, bundle):
    """runc stats the destination and gives the tmpfs its mode; a new destination gets 1777."""
    for d in ("m1", "m2"):
        (bundle.rootfs / d).mkdir()
        os.chmod(bundle.rootfs / d, 0o710)
    bundle.mount(destination="/m1", type="tmpfs", source="tmpfs", options=["nosuid"])
    bundle.mount(destination="/m2", type="tmpfs", source="tmpfs", options=["mode=1777"])
    bundle.mount(destination="/m3", type="tmpfs", source="tmpfs")
    bundle.config["root"]["readonly"] = False
    try:
        assert stat_modes(oci, bundle, "/m1", "/m2", "/m3") == {"/m1": "710", "/m2": "1777", "/m3": "1777"}
    finally:
        if (bundle.rootfs / "m3").exists():
            (bundle.rootfs / "m3").rmdir()


def test_device_path_with_trailing_slash(oci, bundle):
    """runc cleans the path (filepath.Join): "/dev/fuse/" creates /dev/fuse."""
    bundle.config["linux"]["devices"] = [{"path": "/dev/fuse/", "type": "c", "major": 10, "minor": 229,
                                          "fileMode": 0o600, "uid": 0, "gid": 0}]
    bundle.args("/probe", "stat", "/dev/fuse")
    st = oci.run_json(bundle)
    assert st["type"] == "char" and (st["major"], st["minor"]) == (10, 229), st


def test_rootfs_propagation_unbindable(oci, bundle):
    """rootfsPropagation "unbindable" (and "runbindable") is applied to the container's / ."""
    for prop in ("unbindable", "runbindable"):
        bundle.config["linux"]["rootfsPropagation"] = prop
        bundle.args("/bin/sh", "-c", "awk '$5 == \"/\"' /proc/self/mountinfo")
        line = oci("run", "-b", bundle.write().path, new_id()).stdout
        assert "unbindable" in line, (prop, line)


def test_exec_has_its_own_session(oci, bundle):
    """runc's nsexec calls setsid for every process it starts, exec included, terminal or not."""
    bundle.args("/bin/sleep", "30")
    cid = new_id()
    oci.detach(bundle, cid)
    try:
        # (with a terminal it was so already: the case that changed is the plain one)
        stat = oci("exec", cid, "/bin/cat", "/proc/self/stat").stdout
        pid = int(stat.split()[0])
        pgrp, session = (int(x) for x in stat.rsplit(")", 1)[1].split()[2:4])
        assert pgrp == pid and session == pid, stat
    finally:
        oci("delete", "--force", cid)


def hook_script(workdir, name):
    out = workdir / f"{name}.env"
    h = workdir / f"{name}.sh"
    h.write_text(f"#!/bin/sh\nenv > {out}\ncat > {workdir}/{name}.state\n")
    os.chmod(h, 0o755)
    return str(h), out


def test_hooks_inherit_the_runtime_environment(oci, bundle, workdir):
    """runc runs hooks with exec.Cmd{Env: hook.Env}: no `env` means the runtime's environment;
    an `env` given is the whole environment."""
    h1, env1 = hook_script(workdir, "noenv")
    h2, env2 = hook_script(workdir, "env")
    bundle.config["hooks"] = {"prestart": [{"path": h1}, {"path": h2, "env": ["ONLY=this"]}]}
    bundle.args("/bin/true")
    oci("run", "-b", bundle.write().path, new_id(), env={**os.environ, "CAPSA_HOOK_PROBE": "inherited"})
    assert "CAPSA_HOOK_PROBE=inherited" in env1.read_text().splitlines()
    assert env2.read_text().split() == ["ONLY=this"] or "CAPSA_HOOK_PROBE" not in env2.read_text()
    # prestart and createRuntime see "creating", as runc 1.1.5 sends (not "created")
    assert json.loads((workdir / "noenv.state").read_text())["status"] == "creating"


def owner_in(oci, bundle, path):
    bundle.args("/bin/stat", "-c", "%u:%g", path)
    return oci("run", "-b", bundle.write().path, new_id()).stdout.strip()


def test_idmap_with_the_mount_mappings(oci, bundle, workdir):
    """runtime-spec 1.2 mount uidMappings/gidMappings: an idmapped bind (MOUNT_ATTR_IDMAP), here
    without a user namespace: the source's uid 0 shows as 1234 inside."""
    src = workdir / "idsrc"
    src.mkdir()
    (src / "f").write_text("x")
    bundle.mount(destination="/mnt", type="bind", source=str(src), options=["bind", "idmap"],
                 uidMappings=[{"containerID": 0, "hostID": 1234, "size": 1}],
                 gidMappings=[{"containerID": 0, "hostID": 4321, "size": 1}])
    assert owner_in(oci, bundle, "/mnt/f") == "1234:4321"
    assert os.stat(src / "f").st_uid == 0  # the files themselves are untouched


def test_idmap_option_takes_the_container_mappings(oci, bundle, workdir):
    """`idmap` without mappings: the container's own; the host root's files are its root's."""
    src = workdir / "idsrc"
    src.mkdir()
    (src / "f").write_text("x")
    userns_bundle(bundle).mount(destination="/mnt", type="bind", source=str(src), options=["rbind", "ridmap"])
    assert owner_in(oci, bundle, "/mnt/f") == "0:0"
    # without the option the same file belongs to nobody in there (the overflow id)
    bundle.config["mounts"][-1]["options"] = ["rbind"]
    assert owner_in(oci, bundle, "/mnt/f") == "65534:65534"


def test_idmap_is_refused_where_it_cannot_be_honoured(oci, bundle):
    bundle.mount(destination="/mnt", type="tmpfs", source="tmpfs", options=["idmap"])
    bundle.args("/bin/true")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0 and "bind mounts only" in p.stderr, p.stderr
    bundle.config["mounts"][-1] = {"destination": "/mnt", "type": "bind", "source": "/tmp", "options": ["idmap"]}
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0 and "no mappings" in p.stderr, p.stderr
