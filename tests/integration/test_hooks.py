"""OCI hooks: each kind at its moment, in its namespace, with the state on stdin; failures."""
import json
import os
import stat
import subprocess
import time

from conftest import host_ns, new_id, state_left

HOOK = """#!/bin/sh
# $1: kind; appends "kind mnt-namespace-inode state-json" to LOG
echo "$1 $(stat -L -c %i /proc/self/ns/mnt) $(cat)" >> {log}
{extra}
"""


def write_hook(path, log, extra=""):
    path.write_text(HOOK.format(log=log, extra=extra))
    path.chmod(0o755)
    return str(path)


def entries(log):
    out = []
    for line in open(log).read().splitlines():
        kind, ino, state = line.split(" ", 2)
        out.append((kind, int(ino), json.loads(state)))
    return out


def test_every_hook_at_its_moment(oci, bundle, workdir):
    logdir = workdir / "hooklog"
    logdir.mkdir()
    log = logdir / "log"
    host_hook = write_hook(workdir / "hook.sh", log)
    # startContainer runs in the container: its path and its log are the container's
    (bundle.rootfs / "hooks").mkdir()
    write_hook(bundle.rootfs / "hooks" / "start.sh", "/hooklog/log")
    bundle.mount(destination="/hooklog", type="bind", source=str(logdir), options=["bind"])
    bundle.config["annotations"] = {"org.example.k": "v"}
    bundle.config["hooks"] = {
        kind: [{"path": host_hook, "args": ["hook.sh", kind]}]
        for kind in ("prestart", "createRuntime", "createContainer", "poststart", "poststop")}
    bundle.config["hooks"]["startContainer"] = [{"path": "/hooks/start.sh", "args": ["start.sh", "startContainer"]}]
    bundle.args("/probe", "sleep", "30")
    cid = new_id()
    oci("create", "-b", bundle.write().path, cid, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, capture_output=False)
    init = oci.state(cid)["pid"]
    container_mnt = os.stat(f"/proc/{init}/ns/mnt").st_ino
    assert [e[0] for e in entries(log)] == ["prestart", "createRuntime", "createContainer"]
    oci("start", cid)
    for _ in range(100):
        if len(entries(log)) >= 5:
            break
        time.sleep(0.02)
    oci("delete", "--force", cid)
    got = entries(log)
    kinds = [e[0] for e in got]
    assert kinds == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] or \
        kinds == ["prestart", "createRuntime", "createContainer", "poststart", "startContainer", "poststop"], kinds
    by = {k: (ino, st) for k, ino, st in got}
    for k in ("prestart", "createRuntime", "poststart", "poststop"):
        assert by[k][0] == host_ns("mnt"), k  # the runtime's namespace
    for k in ("createContainer", "startContainer"):
        assert by[k][0] == container_mnt, k  # the container's
    for k, (_, st) in by.items():
        assert st["id"] == cid and st["bundle"] == str(bundle.path), k
        assert st["annotations"] == {"org.example.k": "v"}, k
    assert by["createRuntime"][1]["status"] == "creating" and by["createRuntime"][1]["pid"] == init
    assert by["poststart"][1]["status"] == "running"
    assert by["poststop"][1]["status"] == "stopped"


def test_failing_hook_fails_create_and_leaves_nothing(oci, bundle, workdir):
    hook = write_hook(workdir / "fail.sh", workdir / "log", extra="echo 'no network for you' >&2; exit 3")
    bundle.config["hooks"] = {"createRuntime": [{"path": hook, "args": ["fail.sh", "createRuntime"]}]}
    bundle.config["linux"]["cgroupsPath"] = f"/capsa-it-hook-{os.getpid()}"
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0
    assert f"hooks.createRuntime[0] `{hook}`: exit status 3: no network for you" in p.stderr
    assert not state_left(workdir / "state")
    assert not os.path.exists(f"/sys/fs/cgroup/pids/capsa-it-hook-{os.getpid()}")


def test_hook_timeout(oci, bundle, workdir):
    hook = write_hook(workdir / "slow.sh", workdir / "log", extra="sleep 10")
    bundle.config["hooks"] = {"createContainer": [{"path": hook, "args": ["slow.sh", "cc"], "timeout": 1}]}
    t0 = time.time()
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0 and "hooks.createContainer[0]" in p.stderr and "timed out after 1 s" in p.stderr
    assert time.time() - t0 < 5


def test_poststop_failure_is_a_warning(oci, bundle, workdir):
    hook = write_hook(workdir / "ps.sh", workdir / "log", extra="echo cleanup-failed >&2; exit 1")
    bundle.config["hooks"] = {"poststop": [{"path": hook, "args": ["ps.sh", "poststop"]}]}
    bundle.args("/probe", "exit", "0")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode == 0
    assert "warning" in p.stderr and "cleanup-failed" in p.stderr


def test_failing_poststart_and_poststop_hooks_do_not_stop_the_next(oci, bundle, workdir):
    """runtime-spec: a failing poststart or poststop hook is a warning and the remaining hooks
    still run (runc 1.1.5 stops at the first; see hooks.h)."""
    bad = write_hook(workdir / "bad.sh", workdir / "log", extra="echo hook-failed >&2; exit 1")
    good = write_hook(workdir / "good.sh", workdir / "log")
    bundle.config["hooks"] = {k: [{"path": bad, "args": ["bad.sh", k + "-bad"]},
                                  {"path": good, "args": ["good.sh", k + "-good"]}]
                              for k in ("poststart", "poststop")}
    bundle.args("/probe", "exit", "0")
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode == 0, p.stderr
    assert p.stderr.count("hook-failed") == 2, p.stderr
    kinds = [k for k, _, _ in entries(workdir / "log")]
    assert kinds == ["poststart-bad", "poststart-good", "poststop-bad", "poststop-good"], kinds


def test_hook_env_and_args(oci, bundle, workdir):
    out = workdir / "env.out"
    hook = workdir / "env.sh"
    # (a script's $0 is its path whatever argv[0] was: the kernel passes the path to the interpreter)
    hook.write_text(f"#!/bin/sh\necho \"$1 $2 $HOOKVAR\" > {out}\n")
    hook.chmod(0o755)
    bundle.config["hooks"] = {"prestart": [{"path": str(hook), "args": ["name0", "arg1", "arg2"],
                                            "env": ["HOOKVAR=set"]}]}
    bundle.args("/probe", "exit", "0")
    oci("run", "-b", bundle.write().path, new_id())
    assert out.read_text().split() == ["arg1", "arg2", "set"]


def test_bad_hooks_config_is_refused(oci, bundle, workdir):
    for hooks, msg in [({"createRuntime": [{"path": "relative/x"}]}, "hooks.createRuntime[0].path"),
                       ({"preStart": []}, "hooks.preStart: unknown kind"),
                       ({"poststop": [{"path": "/bin/true", "timeout": 0}]}, "timeout")]:
        bundle.config["hooks"] = hooks
        p = oci("run", "-b", bundle.write().path, new_id(), check=False)
        assert p.returncode != 0 and msg in p.stderr, (hooks, p.stderr)
