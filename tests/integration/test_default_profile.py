"""share/: the default capabilities and seccomp filter (Docker's in effect) run ordinary programs
and refuse what Docker refuses.  These files are what the `capsa` CLI will use."""
import json
import subprocess

from conftest import TOP, new_id

SHARE = TOP / "share"


def profiled(bundle):
    bundle.process["capabilities"] = json.loads((SHARE / "capabilities-default.json").read_text())
    bundle.config["linux"]["seccomp"] = json.loads((SHARE / "seccomp-default.json").read_text())
    bundle.config["root"]["readonly"] = False
    return bundle


def test_profile_files_are_consistent():
    p = subprocess.run(["python3", str(SHARE / "check-profile.py")], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_ordinary_programs_run_under_the_default_profile(oci, bundle):
    profiled(bundle).args("/bin/sh", "-c",
                          "mkdir -p /tmp/d && echo hi > /tmp/d/f && cat /tmp/d/f && ls /tmp/d | wc -l && "
                          "(sleep 0.1 &) && wait && ps >/dev/null && id -u && chown 1:1 /tmp/d/f && "
                          "nc -l -p 9 -s 127.0.0.1 </dev/null & sleep 0.1; echo done")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["hi", "1", "0", "done"], (p.stdout, p.stderr)


def test_the_default_profile_refuses_what_docker_refuses(oci, bundle):
    profiled(bundle)
    for args in [("mount", "/tmp"), ("sethostname", "x"), ("init_module",)]:
        bundle.args("/probe", "try", *args)
        p = oci("run", "-b", bundle.write().path, new_id(), check=False)
        assert json.loads(p.stdout)["errname"] == "EPERM", (args, p.stdout)
    # namespaces cannot be made from inside (clone/unshare with CLONE_NEW*)
    bundle.args("/bin/sh", "-c", "unshare -n true; echo unshare=$?")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert "unshare=1" in p.stdout, (p.stdout, p.stderr)
    bundle.args("/probe", "caps")
    st = oci.run_json(bundle)
    assert st["Seccomp"] == "2" and int(st["CapBnd"], 16) == 0xa80425fb  # Docker's 14 capabilities


def test_compiled_filter_is_cached_and_checked(oci, bundle, workdir):
    """The profile is compiled once per runtime root; a cache file holding another profile under the
    same name is never used (it is recompiled, and the filter stays right)."""
    profiled(bundle).args("/probe", "try", "mount", "/tmp")
    bundle.write()
    assert json.loads(oci("run", "-b", bundle.path, new_id()).stdout)["errname"] == "EPERM"
    cache = workdir / "state" / "#seccomp-cache"
    files = list(cache.iterdir())
    assert len(files) == 1 and json.dumps(bundle.config["linux"]["seccomp"]["defaultAction"]) in files[0].read_text(
        errors="replace")
    # forge: same file name, an allow-everything program behind a different profile text
    forged = files[0].read_bytes().replace(b"SCMP_ACT_ERRNO", b"SCMP_ACT_ALLOW", 1)
    files[0].write_bytes(forged)
    assert json.loads(oci("run", "-b", bundle.path, new_id()).stdout)["errname"] == "EPERM"
    assert files[0].read_bytes() != forged  # recompiled and rewritten
