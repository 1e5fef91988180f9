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
