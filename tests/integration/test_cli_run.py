"""The `capsa` container commands end to end: run/create/start/stop/rm/ps/logs/exec/inspect/wait, the
monitor, volumes, resource limits, security flags and cp, with a busybox image built offline
(scripts/mkimage-busybox.sh).  Every test has its own --root in a temp dir and must leave no
container, mount, cgroup or process behind."""
import contextlib
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, TOP, procs_mentioning

CAPSA = BUILD / "src" / "cli" / "capsa"

pytestmark = pytest.mark.skipif(not CAPSA.exists(), reason=f"build capsa first: {CAPSA} is missing")


def _monitors(root):
    """pids of processes whose command line mentions this test's root (monitors, containers)."""
    return procs_mentioning(str(root))


class Capsa:
    def __init__(self, root):
        self.root = root

    def __call__(self, *args, check=True, timeout=60, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.run([str(CAPSA), "--root", str(self.root), *map(str, args)], timeout=timeout, **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"capsa {' '.join(map(str, args))} exited {p.returncode}\n"
                                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def popen(self, *args, **kw):
        return subprocess.Popen([str(CAPSA), "--root", str(self.root), *map(str, args)], **kw)

    def ps(self):
        return [json.loads(l) for l in self("ps", "-a", "--no-trunc", "--format", "json").stdout.splitlines()]

    def inspect(self, name):
        return json.loads(self("inspect", name).stdout)[0]

    def state(self, name):
        return self.inspect(name)["State"]


@pytest.fixture
def capsa():
    d = pathlib.Path(tempfile.mkdtemp(prefix="capsa-cli-"))
    os.chmod(d, 0o755)
    root = d / "root"
    c = Capsa(root)
    env = dict(os.environ, CAPSA=str(CAPSA))
    subprocess.run(["sh", str(TOP / "scripts" / "mkimage-busybox.sh"), "busybox", "--", "--root", str(root)],
                   check=True, capture_output=True, env=env)
    c.tmp = d
    yield c
    leftovers = []
    with contextlib.suppress(Exception):
        left = c.ps()
        if left:
            leftovers.append(f"containers: {[x['Names'] for x in left]}")
            c("rm", "-f", "-v", *[x["ID"] for x in left], check=False)
    # containers run without --network are on the default network (as root): its bridge capsa0 and
    # the nftables table go with it
    if (root / "network" / "bridge.json").exists():
        c("network", "rm", "-f", "bridge", check=False)
    with open("/proc/self/mountinfo") as f:
        mounts = [l.split()[4] for l in f if str(d) in l.split()[4]]
    if mounts:
        leftovers.append(f"mounts: {mounts}")
        for m in sorted(mounts, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
    deadline = time.time() + 5
    while _monitors(root) and time.time() < deadline:
        time.sleep(0.05)
    procs = _monitors(root)
    if procs:
        leftovers.append(f"processes: {procs}")
        for p in procs:
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGKILL)
    for cg in pathlib.Path("/sys/fs/cgroup").glob("*/capsa/*"):
        if cg.is_dir() and any(i in cg.name for i in getattr(c, "ids", [])):
            leftovers.append(f"cgroup: {cg}")
    subprocess.run(["rm", "-rf", str(d)])
    assert not leftovers, "leaked: " + "; ".join(leftovers)


def wait_for(pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out")


# ---- run in the foreground ------------------------------------------------------------------

def test_run_output_and_exit_codes(capsa):
    p = capsa("run", "--rm", "busybox", "echo", "hello")
    assert p.stdout == "hello\n"
    assert capsa("run", "--rm", "busybox", "sh", "-c", "exit 3", check=False).returncode == 3
    p = capsa("run", "--rm", "busybox", "/no/such/program", check=False)
    assert p.returncode == 127, p.stderr
    p = capsa("run", "--rm", "busybox", "/etc/passwd", check=False)
    assert p.returncode == 126, p.stderr
    p = capsa("run", "--rm", "--pull", "never", "no-such-image", "true", check=False)
    assert p.returncode == 125
    assert "not found locally" in p.stderr and "capsa pull no-such-image" in p.stderr
    # (the default pulls it: from docker.io, which this machine cannot reach)
    p = capsa("run", "--rm", "no-such-image", "true", check=False)
    assert p.returncode == 125 and "Unable to find image 'no-such-image' locally" in p.stderr, p.stderr
    p = capsa("run", "--rm", "--bogus-flag", "busybox", check=False)
    assert p.returncode == 125
    assert capsa.ps() == []


def test_run_env_key_alone_comes_from_here(capsa):
    """-e KEY and an --env-file line KEY: the value in capsa's environment, left out when it has none."""
    env = dict(os.environ, CAPSA_T_SET="from here", CAPSA_T_FILE="file too")
    env.pop("CAPSA_T_UNSET", None)
    envf = capsa.tmp / "env"
    envf.write_text("CAPSA_T_FILE\nCAPSA_T_UNSET\n")
    p = capsa("run", "--rm", "--network", "none", "-e", "CAPSA_T_SET", "-e", "CAPSA_T_UNSET", "--env-file", envf,
              "busybox", "sh", "-c", 'echo "$CAPSA_T_SET|$CAPSA_T_FILE|${CAPSA_T_UNSET-unset}"', env=env)
    assert p.stdout.strip() == "from here|file too|unset"


def test_run_env_workdir_user_entrypoint(capsa):
    p = capsa("run", "--rm", "-e", "FOO=bar", "-w", "/tmp", "-u", "nobody", "busybox",
              "sh", "-c", 'echo "$FOO $(pwd) $(id -u):$(id -g)"')
    assert p.stdout.strip() == "bar /tmp 65534:65534"
    p = capsa("run", "--rm", "-u", "1234:55", "busybox", "id")
    assert "uid=1234" in p.stdout and "gid=55" in p.stdout
    envf = capsa.tmp / "env"
    envf.write_text("# comment\nA=1\nB=two words\n")
    p = capsa("run", "--rm", "--env-file", envf, "busybox", "sh", "-c", 'echo "$A|$B|$PATH"')
    assert p.stdout.strip().startswith("1|two words|/usr/local/sbin")
    p = capsa("run", "--rm", "--entrypoint", "echo", "busybox", "via", "entrypoint")
    assert p.stdout == "via entrypoint\n"
    p = capsa("run", "--rm", "--hostname", "box1", "busybox", "hostname")
    assert p.stdout.strip() == "box1"


def test_run_without_rm_is_kept_then_removed(capsa):
    capsa("run", "--name", "once", "busybox", "sh", "-c", "exit 7", check=False)
    [c] = capsa.ps()
    assert c["Names"] == "once" and c["State"] == "exited" and c["Status"].startswith("Exited (7)")
    assert "Exited (7)" in capsa("ps", "-a").stdout
    assert capsa("ps", "-q").stdout == ""
    assert capsa("wait", "once").stdout.strip() == "7"
    p = capsa("run", "--name", "once", "busybox", "true", check=False)
    assert p.returncode == 125 and "already in use" in p.stderr
    capsa("rm", "once")
    assert capsa.ps() == []


# ---- detached: the monitor ------------------------------------------------------------------

LOOP = 'echo started; echo to-stderr >&2; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done'


def test_detached_ps_logs_stop_rm(capsa):
    cid = capsa("run", "-d", "--name", "web", "busybox", "sh", "-c", LOOP).stdout.strip()
    assert len(cid) == 64
    wait_for(lambda: "tick 3" in capsa("logs", "web").stdout)
    [c] = [json.loads(l) for l in capsa("ps", "--format", "json").stdout.splitlines()]
    assert c["ID"] == cid[:12] and c["State"] == "running" and c["Status"].startswith("Up")
    assert capsa("ps", "-q").stdout.strip() == cid[:12]
    logs = capsa("logs", "web")
    assert logs.stdout.startswith("started\n") and "to-stderr" in logs.stderr
    assert len(capsa("logs", "--tail", "2", "web").stdout.splitlines()) == 2
    ts = capsa("logs", "-t", "web").stdout.splitlines()[0]
    assert ts.endswith(" started") and ts[:4].isdigit() and "T" in ts.split()[0]
    assert capsa("logs", "--since", "1h", "web").stdout.startswith("started")
    assert capsa("logs", "--since", "2099-01-01T00:00:00Z", "web").stdout == ""
    st = capsa.state("web")
    assert st["Running"] and st["Pid"] > 0
    assert "sh -c" in capsa("top", "web").stdout
    p = capsa("rm", "web", check=False)
    assert p.returncode == 125 and "capsa stop web" in p.stderr
    t0 = time.time()
    assert capsa("stop", "-t", "1", "web").stdout.strip() == "web"
    assert time.time() - t0 < 8
    st = capsa.state("web")
    assert st["Status"] == "exited" and st["ExitCode"] == 137  # sh as PID 1 ignores SIGTERM
    assert "tick" in capsa("logs", "web").stdout  # kept after it stopped
    capsa("rm", "web")
    assert capsa.ps() == []
    assert not (capsa.root / "containers" / cid).exists()


def test_detached_exit_code_and_rm(capsa):
    capsa("run", "-d", "--name", "quick", "busybox", "sh", "-c", "echo bye; exit 5")
    assert capsa("wait", "quick").stdout.strip() == "5"
    assert capsa("logs", "quick").stdout == "bye\n"
    capsa("rm", "quick")
    capsa("run", "-d", "--rm", "--name", "gone", "busybox", "true")
    wait_for(lambda: capsa.ps() == [])
    p = capsa("run", "-d", "--name", "bad", "busybox", "/no/such", check=False)
    assert p.returncode == 127 and "/no/such" in p.stderr, p.stderr
    # as with docker, the record stays (with the reason) until removed
    st = capsa.state("bad")
    assert st["Status"] == "exited" and st["ExitCode"] == 127 and "/no/such" in st["Error"]
    capsa("rm", "bad")


def test_create_start_restart_kill(capsa):
    cid = capsa("create", "--name", "c1", "busybox", "sleep", "1000").stdout.strip()
    assert capsa.state("c1")["Status"] == "created"
    capsa("start", "c1")
    wait_for(lambda: capsa.state("c1")["Status"] == "running")
    pid1 = capsa.state("c1")["Pid"]
    capsa("restart", "-t", "0", "c1")
    st = wait_for(lambda: (s := capsa.state("c1"))["Status"] == "running" and s)
    assert st["Pid"] != pid1
    capsa("pause", "c1")
    assert capsa.state("c1")["Status"] == "paused"
    capsa("unpause", "c1")
    capsa("kill", "-s", "KILL", "c1")
    assert capsa("wait", cid[:10]).stdout.strip() == "137"
    capsa("start", "c1")
    wait_for(lambda: capsa.state("c1")["Status"] == "running")
    capsa("rename", "c1", "c2")
    assert capsa.state("c2")["Running"]
    capsa("rm", "-f", "c2")
    assert capsa.ps() == []


def test_exec(capsa):
    capsa("run", "-d", "--name", "ex", "busybox", "sleep", "1000")
    p = capsa("exec", "-e", "X=1", "-w", "/tmp", "-u", "nobody", "ex", "sh", "-c", 'echo "$X $(pwd) $(id -u)"')
    assert p.stdout.strip() == "1 /tmp 65534"
    assert capsa("exec", "ex", "sh", "-c", "exit 4", check=False).returncode == 4
    assert capsa("exec", "ex", "/no/such", check=False).returncode == 127
    capsa("exec", "-d", "ex", "sh", "-c", "echo detached > /tmp/d")
    wait_for(lambda: capsa("exec", "ex", "cat", "/tmp/d", check=False).stdout == "detached\n")
    capsa("rm", "-f", "ex")
    assert capsa("exec", "ex", "true", check=False).returncode == 125


def test_restart_policy(capsa):
    capsa("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3")
    st = wait_for(lambda: (s := capsa.inspect("flaky"))["State"]["Status"] == "exited" and s, timeout=20)
    assert st["RestartCount"] == 2 and st["State"]["ExitCode"] == 3
    assert capsa("logs", "flaky").stdout == "run\nrun\nrun\n"
    capsa("rm", "flaky")
    capsa("run", "-d", "--name", "always", "--restart", "always", "busybox", "sh", "-c", "exit 0")
    wait_for(lambda: capsa.inspect("always")["RestartCount"] >= 2, timeout=20)
    capsa("stop", "-t", "1", "always")
    assert capsa.state("always")["Status"] == "exited"
    time.sleep(0.5)
    assert capsa.state("always")["Status"] == "exited"  # a stop is not followed by a restart
    capsa("rm", "always")


def test_cli_killed_while_detached_container_runs(capsa):
    capsa("run", "-d", "--name", "survivor", "busybox", "sh", "-c", LOOP)
    follower = capsa.popen("logs", "-f", "survivor", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    waiter = capsa.popen("wait", "survivor", stdout=subprocess.PIPE)
    time.sleep(0.5)
    follower.kill()
    waiter.kill()
    follower.wait()
    waiter.wait()
    [c] = capsa.ps()
    assert c["State"] == "running"
    wait_for(lambda: "tick 5" in capsa("logs", "survivor").stdout)
    capsa("kill", "survivor")
    assert capsa("wait", "survivor").stdout.strip() == "137"
    [c] = capsa.ps()
    assert c["State"] == "exited" and c["Status"].startswith("Exited (137)")
    assert "tick 5" in capsa("logs", "survivor").stdout
    capsa("rm", "survivor")


def test_monitor_killed_ps_still_true(capsa):
    capsa("run", "-d", "--name", "orphan", "busybox", "sleep", "1000")
    run = json.loads((capsa.root / "containers" / capsa.inspect("orphan")["Id"] / "run.json").read_text())
    os.kill(run["MonitorPid"], signal.SIGKILL)
    time.sleep(0.2)
    assert capsa.state("orphan")["Status"] == "running"
    pid = capsa.state("orphan")["Pid"]
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: capsa.state("orphan")["Status"] == "exited")
    capsa("rm", "orphan")
    assert capsa.ps() == []


def _ps_rows(capsa, *args):
    """The plain table (the brief path: no --format, no filter), as {NAME: STATUS}."""
    out = capsa("ps", *args).stdout.splitlines()
    col = out[0].index("STATUS"), out[0].index("PORTS")
    return {line.split()[-1]: line[col[0]:col[1]].strip() for line in out[1:]}


def test_ps_table_status_from_the_record(capsa):
    """A plain `ps` takes a running container's status from its record (run.json and its Brief),
    not from the runtime: a pause, a rename, a killed monitor and an exit all still show as they
    are, and it opens neither the runtime's state nor container.json of a running container."""
    try:
        _ps_record(capsa)
    finally:
        capsa("rm", "-f", "rec", "rec2", check=False)


def _ps_record(capsa):
    cid = capsa("run", "-d", "--name", "rec", "busybox", "sleep", "1000").stdout.strip()
    assert _ps_rows(capsa)["rec"].startswith("Up ")
    capsa("pause", "rec")
    assert _ps_rows(capsa)["rec"].endswith("(Paused)")
    capsa("unpause", "rec")
    assert not _ps_rows(capsa)["rec"].endswith("(Paused)")
    capsa("rename", "rec", "rec2")
    assert list(_ps_rows(capsa)) == ["rec2"]
    if shutil.which("strace"):
        log = capsa.root.parent / "ps.strace"
        subprocess.run(["strace", "-f", "-e", "trace=openat", "-o", str(log), str(CAPSA), "--root", str(capsa.root),
                        "ps"], check=True, capture_output=True)
        opened = log.read_text()
        assert "run.json" in opened and "state.json" not in opened and "container.json" not in opened, opened
    run = json.loads((capsa.root / "containers" / cid / "run.json").read_text())
    os.kill(run["MonitorPid"], signal.SIGKILL)
    time.sleep(0.2)
    assert _ps_rows(capsa)["rec2"].startswith("Up "), "the runtime says running: the init lives"
    os.kill(capsa.state("rec2")["Pid"], signal.SIGKILL)
    wait_for(lambda: "rec2" not in _ps_rows(capsa))
    assert _ps_rows(capsa, "-a")["rec2"].startswith("Exited")


def test_ps_does_not_take_a_foreground_start_from_the_record(capsa):
    """A foreground run records its StartedAt (and itself as the monitor) before its network and
    container are up, marked ForegroundRun: ps asks the runtime about that run, so a container not
    running yet is not listed as running.  Here a created container's record is made to say so,
    with this process as its live monitor."""
    cid = capsa("create", "--name", "fgw", "busybox", "true").stdout.strip()
    run = capsa.root / "containers" / cid / "run.json"
    saved = run.read_text()
    try:
        start = int(open(f"/proc/{os.getpid()}/stat").read().rsplit(")", 1)[1].split()[19])
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())
        boot = open("/proc/sys/kernel/random/boot_id").read().strip()
        rec = dict(json.loads(saved), MonitorPid=os.getpid(), MonitorStart=start, StartedAt=now, BootId=boot)
        run.write_text(json.dumps(rec))
        assert _ps_rows(capsa).get("fgw", "").startswith("Up "), "a monitor's run: taken from the record"
        run.write_text(json.dumps(dict(rec, ForegroundRun=now)))
        assert "fgw" not in _ps_rows(capsa), "a foreground run's: the runtime says created"
        assert _ps_rows(capsa, "-a")["fgw"] == "Created"
    finally:
        run.write_text(saved)
        capsa("rm", "-f", "fgw")


# ---- volumes, read-only root, tmpfs ---------------------------------------------------------

def test_volumes(capsa):
    host = capsa.tmp / "host"
    host.mkdir()
    (host / "f").write_text("from host\n")
    p = capsa("run", "--rm", "-v", f"{host}:/h", "busybox", "sh", "-c", "cat /h/f; echo back > /h/g")
    assert p.stdout == "from host\n" and (host / "g").read_text() == "back\n"
    p = capsa("run", "--rm", "-v", f"{host}:/h:ro", "busybox", "sh", "-c", "echo x > /h/x", check=False)
    assert p.returncode != 0 and "Read-only" in p.stderr and not (host / "x").exists()
    capsa("run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo kept > /data/k")
    assert capsa("run", "--rm", "-v", "data:/data:ro", "busybox", "cat", "/data/k").stdout == "kept\n"
    assert "data" in capsa("volume", "ls", "-q").stdout.split()
    assert json.loads(capsa("volume", "inspect", "data").stdout)[0]["Name"] == "data"
    capsa("run", "--name", "user", "-v", "data:/data", "busybox", "true")
    p = capsa("volume", "rm", "data", check=False)
    assert p.returncode == 125 and "in use" in p.stderr
    capsa("rm", "user")
    capsa("volume", "rm", "data")
    capsa("volume", "create", "v2")
    capsa("run", "--rm", "--mount", "type=volume,source=v2,target=/m", "busybox", "touch", "/m/ok")
    assert (capsa.root / "volumes" / "v2" / "_data" / "ok").exists()
    # anonymous volumes go with rm -v
    capsa("run", "--name", "anon", "-v", "/anon", "busybox", "touch", "/anon/x")
    assert len(capsa("volume", "ls", "-q").stdout.split()) == 2
    capsa("rm", "-v", "anon")
    assert capsa("volume", "ls", "-q").stdout.split() == ["v2"]
    out = capsa("volume", "prune", "-f").stdout
    assert out.splitlines()[:2] == ["Deleted Volumes:", "v2"] and "Total reclaimed space: " in out, out


def test_read_only_and_tmpfs(capsa):
    p = capsa("run", "--rm", "--read-only", "--tmpfs", "/scratch", "busybox", "sh", "-c",
              "touch /x 2>/dev/null && echo root-writable; touch /scratch/y && echo tmpfs-ok; "
              "grep ' /scratch ' /proc/mounts")
    assert "root-writable" not in p.stdout and "tmpfs-ok" in p.stdout and "tmpfs" in p.stdout
    p = capsa("run", "--rm", "--shm-size", "8m", "busybox", "df", "-k", "/dev/shm")
    assert "8192" in p.stdout


# ---- resources and security -----------------------------------------------------------------

def _cgroup_file(pid, controller, name):
    for line in open(f"/proc/{pid}/cgroup"):
        _, ctrls, path = line.strip().split(":", 2)
        if controller in ctrls.split(","):
            return pathlib.Path(f"/sys/fs/cgroup/{ctrls}{path}/{name}")
        if ctrls == "" and pathlib.Path(f"/sys/fs/cgroup/cgroup.controllers").exists():
            return pathlib.Path(f"/sys/fs/cgroup{path}/{name}")
    pytest.skip(f"no {controller} cgroup here")


def test_memory_and_pids_limits_land_in_cgroup(capsa):
    cid = capsa("run", "-d", "--name", "lim", "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5",
                "busybox", "sleep", "1000").stdout.strip()
    capsa.ids = [cid]
    pid = capsa.state("lim")["Pid"]
    mem = _cgroup_file(pid, "memory", "memory.limit_in_bytes")
    if not mem.exists():
        mem = mem.with_name("memory.max")
    assert int(mem.read_text()) == 64 * 1024 * 1024
    assert _cgroup_file(pid, "pids", "pids.max").read_text().strip() == "50"
    assert cid in str(mem)
    capsa("update", "--memory", "32m", "lim")
    assert int(mem.read_text()) == 32 * 1024 * 1024
    assert "lim" in capsa("stats", "--no-stream").stdout
    capsa("rm", "-f", "lim")
    assert not mem.parent.exists()


def _capeff(capsa, *flags):
    p = capsa("run", "--rm", *flags, "busybox", "grep", "CapEff", "/proc/self/status")
    return int(p.stdout.split()[1], 16)


def test_cap_add_drop(capsa):
    CAP_NET_RAW, CAP_SYS_ADMIN, CAP_CHOWN = 13, 21, 0
    default = _capeff(capsa)
    assert default & (1 << CAP_NET_RAW) and not default & (1 << CAP_SYS_ADMIN)
    eff = _capeff(capsa, "--cap-add", "SYS_ADMIN", "--cap-drop", "net_raw")
    assert eff & (1 << CAP_SYS_ADMIN) and not eff & (1 << CAP_NET_RAW)
    assert _capeff(capsa, "--cap-drop", "ALL") == 0
    p = capsa("run", "--rm", "--cap-drop", "CHOWN", "busybox", "chown", "65534", "/tmp", check=False)
    assert p.returncode != 0
    assert capsa("run", "--rm", "busybox", "chown", "65534", "/tmp").returncode == 0
    assert capsa("run", "--rm", "--cap-add", "NOPE", "busybox", "true", check=False).returncode == 125
    # the seccomp filter follows: mount(2) is allowed with SYS_ADMIN, denied without
    p = capsa("run", "--rm", "--cap-add", "SYS_ADMIN", "busybox", "mount", "-t", "tmpfs", "t", "/tmp")
    assert p.returncode == 0
    assert capsa("run", "--rm", "busybox", "mount", "-t", "tmpfs", "t", "/tmp", check=False).returncode != 0
    assert _capeff(capsa, "--privileged") & (1 << CAP_SYS_ADMIN)


def test_seccomp_default_and_unconfined(capsa):
    p = capsa("run", "--rm", "busybox", "grep", "Seccomp:", "/proc/self/status")
    assert p.stdout.split()[1] == "2"
    p = capsa("run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "grep", "Seccomp:", "/proc/self/status")
    assert p.stdout.split()[1] == "0"
    p = capsa("run", "--rm", "--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs", "/proc/self/status")
    assert p.stdout.split()[1] == "1"
    # unshare is one of the denied syscalls: EPERM from the filter even with the capability to pass the kernel check
    p = capsa("run", "--rm", "busybox", "unshare", "-U", "true", check=False)
    assert p.returncode != 0
    p = capsa("run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "unshare", "-U", "true", check=False)
    assert p.returncode == 0, p.stderr


def test_init_ulimit_sysctl_label(capsa):
    p = capsa("run", "--rm", "--init", "busybox", "ps", "-o", "pid,args")
    assert "1 /dev/init" in p.stdout
    p = capsa("run", "--rm", "--ulimit", "nofile=1000:2000", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn")
    assert p.stdout.split() == ["1000", "2000"]
    p = capsa("run", "--rm", "--sysctl", "net.ipv4.ip_forward=1", "busybox", "cat", "/proc/sys/net/ipv4/ip_forward")
    assert p.stdout.strip() == "1"
    capsa("create", "--name", "lab", "--label", "a=b", "busybox", "true")
    assert capsa("inspect", "-f", "{{.Config.Labels.a}}", "lab").stdout.strip() == "b"
    capsa("rm", "lab")
    p = capsa("run", "--rm", "--network", "nosuchnet", "busybox", "true", check=False)
    assert p.returncode == 125 and "nosuchnet" in p.stderr, p.stderr


# ---- cp -------------------------------------------------------------------------------------

def test_cp_both_ways_and_symlink_escape(capsa):
    capsa("run", "-d", "--name", "box", "busybox", "sh", "-c",
          "echo inside > /tmp/in; ln -s / /escape; ln -s /etc/hostname /leak; sleep 1000")
    wait_for(lambda: capsa("exec", "box", "test", "-L", "/leak", check=False).returncode == 0)
    out = capsa.tmp / "out"
    out.mkdir()
    capsa("cp", "box:/tmp/in", out)
    assert (out / "in").read_text() == "inside\n"
    src = capsa.tmp / "src"
    src.mkdir()
    (src / "a").write_text("to container\n")
    capsa("cp", src / "a", "box:/tmp/a")
    assert capsa("exec", "box", "cat", "/tmp/a").stdout == "to container\n"
    capsa("cp", src, "box:/tmp/")
    assert capsa("exec", "box", "cat", "/tmp/src/a").stdout == "to container\n"
    # escape attempts: a symlink to / inside the container must resolve to the container's root
    victim = capsa.tmp / "victim"
    victim.write_text("host\n")
    capsa("cp", src / "a", f"box:/escape{victim}", check=False)
    assert victim.read_text() == "host\n"
    capsa("cp", src / "a", "box:/escape/tmp/through-link")
    assert capsa("exec", "box", "cat", "/tmp/through-link").stdout == "to container\n"
    # a symlink copied out stays a symlink; it is not followed on the host
    capsa("cp", "box:/leak", out / "leak")
    assert (out / "leak").is_symlink() and os.readlink(out / "leak") == "/etc/hostname"
    # copying onto a symlink in the container replaces the link, never writes through it
    capsa("exec", "box", "ln", "-s", str(victim), "/tmp/trap")
    capsa("cp", src / "a", "box:/tmp/trap")
    assert victim.read_text() == "host\n"
    capsa("rm", "-f", "box")


def test_misc_commands(capsa):
    assert "Containers: 0" in capsa("info").stdout
    assert "0.1.0" in capsa("version").stdout
    assert "Images" in capsa("system", "df").stdout
    capsa("run", "--name", "p1", "busybox", "true")
    capsa("run", "-d", "--name", "p2", "busybox", "sleep", "100")
    assert capsa("port", "p2").stdout == ""
    p1 = capsa.inspect("p1")["Id"]
    out = capsa("container", "prune", "-f").stdout
    assert out.splitlines()[:2] == ["Deleted Containers:", p1] and "Total reclaimed space: " in out, out
    assert [c["Names"] for c in capsa.ps()] == ["p2"]
    assert capsa.inspect("p2")["HostConfig"]["NetworkMode"] == "bridge"  # docker's default, as root
    capsa("container", "rm", "-f", "p2")
    assert capsa.ps() == []
    h = capsa("--help").stdout
    for cmd in ["run", "create", "start", "stop", "restart", "kill", "rm", "ps", "exec", "logs", "inspect", "wait",
                "top", "pause", "unpause", "update", "stats", "rename", "port", "cp", "volume", "system", "info",
                "version", "container"]:
        assert f"\n  {cmd} " in h, cmd


def test_bridge_network_ports_and_names(capsa):
    """--network NAME and -p: a published port served from a container, reached from the host and
    by name from another container on the network, released on stop; nothing left afterwards."""
    import urllib.request
    www = capsa.tmp / "www"
    www.mkdir()
    (www / "index.html").write_text("served-by-capsa\n")
    p = capsa("run", "--rm", "--network", "none", "-p", "8080:80", "busybox", "true", check=False)
    assert p.returncode == 125 and "need a bridge network" in p.stderr
    capsa("network", "create", "--subnet", "10.99.7.0/24", "itnet")
    try:
        capsa("run", "-d", "--name", "web", "--network", "itnet", "-p", "127.0.0.1:18181:80", "-v",
              f"{www}:/www:ro", "busybox", "httpd", "-f", "-p", "80", "-h", "/www")
        body = wait_for(lambda: _get("http://127.0.0.1:18181/"))
        assert body == b"served-by-capsa\n"
        assert capsa("port", "web").stdout.strip() == "80/tcp -> 127.0.0.1:18181"
        p = capsa("run", "--rm", "--network", "itnet", "busybox", "wget", "-qO-", "http://web/")
        assert p.stdout == "served-by-capsa\n", p.stderr
        p = capsa("run", "--rm", "--network", "itnet", "busybox", "sh", "-c",
                  "ip -o -4 addr show eth0; ip route | grep default")
        assert "10.99.7." in p.stdout and "default via 10.99.7.1" in p.stdout, p.stdout
        capsa("stop", "-t", "1", "web")
        assert _get("http://127.0.0.1:18181/") is None  # released with the container
        capsa("rm", "web")
        # no --network: the default network, as docker's (root), and -p works without it
        p = capsa("run", "--rm", "-p", "127.0.0.1:18183:80", "busybox", "sh", "-c", "ip route | grep default")
        gw = json.loads(capsa("network", "inspect", "bridge").stdout)[0]["gateway"]
        assert f"default via {gw}" in p.stdout
    finally:
        capsa("rm", "-f", "web", check=False)
        capsa("network", "rm", "itnet", check=False)
        capsa("network", "rm", "bridge", check=False)
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert "capsa0" not in links and "cbr-" not in links, links
    assert "capsa" not in subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout


def test_ipv6_network(capsa):
    """network create --ipv6: a dual-stack network; a container gets an IPv6 address (inspect shows
    it), is reached over IPv6 by another one and through a port published on the host's IPv6
    address; nothing left afterwards."""
    assert "--ipv6" in capsa("network", "create", "--help").stdout
    www = capsa.tmp / "www6"
    www.mkdir()
    (www / "index.html").write_text("served-over-v6\n")
    capsa("network", "create", "--ipv6", "--subnet", "10.99.8.0/24", "v6net")
    try:
        net = json.loads(capsa("network", "inspect", "v6net").stdout)[0]
        assert net["subnet6"].startswith("fd") and net["subnet6"].endswith("::/64") and net["gateway6"], net
        assert net["subnet6"] in capsa("network", "ls").stdout
        capsa("run", "-d", "--name", "web6", "--network", "v6net", "-p", "18182:80", "-v", f"{www}:/www:ro",
              "busybox", "httpd", "-f", "-p", "80", "-h", "/www")
        ns = capsa.inspect("web6")["NetworkSettings"]
        addr6 = ns["GlobalIPv6Address"]
        assert addr6.startswith(net["subnet6"][:-len("/64")]) and ns["GlobalIPv6PrefixLen"] == 64, ns
        assert ns["IPv6Gateway"] == net["gateway6"] and ns["IPAddress"].startswith("10.99.8.")
        assert ns["Networks"]["v6net"]["GlobalIPv6Address"] == addr6
        assert capsa("port", "web6").stdout.splitlines() == ["80/tcp -> 0.0.0.0:18182", "80/tcp -> [::]:18182"]
        # the host, on the bridge's IPv6 address, through the published port
        assert wait_for(lambda: _get(f"http://[{net['gateway6']}]:18182/")) == b"served-over-v6\n"
        p = capsa("run", "--rm", "--network", "v6net", "busybox", "sh", "-c",
                  f"wget -qO- http://[{addr6}]/ && ip -6 route | grep default && nslookup -type=aaaa web6")
        assert p.stdout.startswith("served-over-v6\n") and f"default via {net['gateway6']}" in p.stdout, p.stdout
        assert addr6 in p.stdout  # the network's DNS server answers AAAA with the other's IPv6 address
    finally:
        capsa("rm", "-f", "web6", check=False)
        capsa("network", "rm", "v6net", check=False)
    assert set(capsa("network", "ls", "--format", "{{.Name}}").stdout.split()) <= {"bridge", "host", "none"}
    routes = subprocess.run(["ip", "-6", "route"], capture_output=True, text=True).stdout
    assert net["subnet6"] not in routes, routes
    assert "cbr-" not in subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout


def _get(url):
    import urllib.error
    import urllib.request
    try:
        return urllib.request.urlopen(url, timeout=1).read()
    except (urllib.error.URLError, ConnectionError, OSError):
        return None


def _default_gateway(capsa, *env):
    e = dict(os.environ, **dict(env))
    p = capsa("run", "--rm", "--network", "bridge", "busybox", "sh", "-c", "ip route | grep default", env=e)
    return p.stdout.split()[2]


@contextlib.contextmanager
def _dummy_link(name, addr):
    """An interface with an address: the host routes its subnet through it (traffic: none).  A bridge
    with no ports (a dummy link where the kernel has the module)."""
    kind = "dummy" if subprocess.run(["ip", "link", "add", name, "type", "dummy"], capture_output=True).returncode == 0 else None
    if kind is None:
        subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    try:
        subprocess.run(["ip", "addr", "add", addr, "dev", name], check=True)
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
        yield
    finally:
        subprocess.run(["ip", "link", "del", name])


def test_network_subnet_clashing_with_a_host_route(capsa):
    """Another engine's bridge (on a range of its own, 10.213.0.0/16: podman's cni-podman0 on
    10.88.0.0/16 may be up already, left by a podman run of another suite, and would be named
    first): an explicit overlapping subnet is refused naming the interface.  The default network
    takes the first free range of docker's pool (172.17.0.0/16, 172.18.0.0/16...), never podman's
    10.88.0.0/16, and skips one the host routes."""
    subprocess.run(["ip", "link", "add", "capsa-t-br", "type", "bridge"], check=True)
    try:
        subprocess.run(["ip", "addr", "add", "10.213.0.1/16", "dev", "capsa-t-br"], check=True)
        subprocess.run(["ip", "link", "set", "capsa-t-br", "up"], check=True)
        p = capsa("network", "create", "--subnet", "10.213.5.0/24", "clash", check=False)
        assert p.returncode == 125 and "overlaps the host's route through `capsa-t-br`" in p.stderr, p.stderr
    finally:
        subprocess.run(["ip", "link", "del", "capsa-t-br"])
    try:
        with _dummy_link("capsa-t-dum", "172.17.3.1/16"):
            assert _default_gateway(capsa) == "172.18.0.1"
        capsa("network", "rm", "bridge")
        assert _default_gateway(capsa) == "172.17.0.1"
        # at each start again: a route that came since is a clear error, not two routes
        with _dummy_link("capsa-t-dum", "172.17.3.1/16"):
            p = capsa("run", "--rm", "--network", "bridge", "busybox", "true", check=False)
            assert p.returncode == 125, p.stderr
            assert "subnet 172.17.0.0/16 overlaps the host's route through `capsa-t-dum`" in p.stderr, p.stderr
            assert "capsa network rm bridge" in p.stderr and capsa.ps() == []
    finally:
        capsa("network", "rm", "-f", "bridge", check=False)


def test_default_network_skips_other_engines_configured_networks(capsa):
    """A network podman has configured (netavark's /etc/containers/networks/*.json, CNI's
    /etc/cni/net.d/*.conflist; here a directory of such files, CAPSA_FOREIGN_NET_DIRS) is skipped by
    the default network even while its bridge is down, and refused for --subnet."""
    conf = capsa.tmp / "netconf"
    conf.mkdir()
    (conf / "other.json").write_text(json.dumps({"name": "other", "driver": "bridge",
                                                 "subnets": [{"subnet": "172.17.0.0/16", "gateway": "172.17.0.1"}]}))
    env = ("CAPSA_FOREIGN_NET_DIRS", str(conf))
    try:
        assert _default_gateway(capsa, env) == "172.18.0.1"
        p = capsa("network", "create", "--subnet", "172.17.9.0/24", "n1", check=False,
                  env=dict(os.environ, CAPSA_FOREIGN_NET_DIRS=str(conf)))
        assert p.returncode == 125 and f"configured in `{conf}/other.json`" in p.stderr, p.stderr
    finally:
        capsa("network", "rm", "-f", "bridge", check=False)


def test_network_container_mode(capsa):
    """--network container:NAME joins that running container's network namespace."""
    capsa("run", "-d", "--name", "netowner", "busybox", "sleep", "30")
    pid = capsa.inspect("netowner")["State"]["Pid"]
    p = capsa("run", "--rm", "--network", "container:netowner", "busybox", "readlink", "/proc/self/ns/net")
    assert p.stdout.strip() == os.readlink(f"/proc/{pid}/ns/net")
    capsa("stop", "-t", "1", "netowner")
    p = capsa("run", "--rm", "--network", "container:netowner", "busybox", "true", check=False)
    assert p.returncode == 125 and "not running" in p.stderr
    p = capsa("run", "--rm", "--network", "container:nobody", "busybox", "true", check=False)
    assert p.returncode == 125 and "nobody" in p.stderr
    capsa("rm", "netowner")


def test_new_named_volume_starts_with_the_image_content(capsa):
    """docker's behaviour: a new named volume mounted where the image has files gets a copy of them;
    an existing volume keeps its own content; an anonymous volume too starts from the image."""
    p = capsa("run", "--rm", "-v", "etcvol:/etc", "busybox", "cat", "/etc/passwd")
    assert p.stdout.startswith("root:x:0:0"), p.stdout
    capsa("run", "--rm", "-v", "etcvol:/etc", "busybox", "sh", "-c", "echo changed > /etc/passwd")
    p = capsa("run", "--rm", "-v", "etcvol:/etc", "busybox", "cat", "/etc/passwd")
    assert p.stdout == "changed\n"  # not filled again
    p = capsa("run", "--rm", "-v", "/etc", "busybox", "cat", "/etc/group")
    assert p.stdout.startswith("root:x:0:")
    p = capsa("run", "--rm", "-v", "emptyvol:/nothing-here", "busybox", "ls", "-A", "/nothing-here")
    assert p.stdout == ""
    capsa("volume", "rm", "etcvol", "emptyvol")


def test_publish_all_exposed_ports(capsa):
    """-P publishes every port the image exposes (import --change 'EXPOSE 80') on a free host port."""
    mnt = capsa("image", "mount", "busybox", "pexp").stdout.strip()
    capsa("import", "--change", "EXPOSE 80", "--change", 'CMD ["httpd", "-f", "-p", "80", "-h", "/etc"]', mnt, "web:1")
    capsa("image", "unmount", "pexp")
    p = capsa("import", "--change", "EXPOSE eighty", capsa.tmp, "bad:1", check=False)
    assert p.returncode == 125 and "is not PORT[/tcp|/udp]" in p.stderr
    try:
        capsa("run", "-d", "--name", "pall", "--network", "bridge", "-P", "web:1")
        line = capsa("port", "pall").stdout.strip()
        assert line.startswith("80/tcp -> 0.0.0.0:"), line
        port = int(line.rsplit(":", 1)[1])
        assert wait_for(lambda: _get(f"http://127.0.0.1:{port}/passwd")).startswith(b"root:x:0:0")
        p = capsa("run", "--rm", "--network", "none", "-P", "web:1", "true", check=False)
        assert p.returncode == 125 and "need a bridge network" in p.stderr
    finally:
        capsa("rm", "-f", "pall", check=False)
        capsa("network", "rm", "bridge", check=False)


def test_system_prune_networks(capsa):
    """system prune: stopped containers, then user networks nobody uses; a network in use stays."""
    capsa("network", "create", "inuse")
    capsa("network", "create", "idle")
    try:
        capsa("run", "-d", "--name", "netuser", "--network", "inuse", "busybox", "sleep", "30")
        capsa("run", "--name", "stopped1", "busybox", "true")
        p = capsa("system", "prune", "-f")
        assert "Deleted network: idle" in p.stdout and "inuse" not in p.stdout, p.stdout
        names = [r["Names"] for r in capsa.ps()]
        assert not any("stopped1" in n for n in names) and any("netuser" in n for n in names)
        assert "inuse" in capsa("network", "ls").stdout
        capsa("rm", "-f", "netuser")
        assert "Deleted network: inuse" in capsa("system", "prune", "-f").stdout
        assert "Networking: none, host, bridge" in capsa("info").stdout
    finally:
        capsa("rm", "-f", "netuser", check=False)
        capsa("network", "rm", "inuse", check=False)
        capsa("network", "rm", "idle", check=False)


def test_published_udp_port(capsa):
    """-p HOST:CTR/udp: a datagram sent to the host's port reaches the container."""
    import socket
    from conftest import PROBE
    capsa("run", "-d", "--name", "udp", "--network", "bridge", "-p", "127.0.0.1:15353:5353/udp", "-v",
          f"{PROBE}:/probe:ro", "busybox", "/probe", "udprecv", "5353")
    try:
        assert capsa("port", "udp").stdout.strip() == "5353/udp -> 127.0.0.1:15353"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        got = None
        for _ in range(50):  # until the probe listens
            s.sendto(b"hello-udp", ("127.0.0.1", 15353))
            time.sleep(0.1)
            logs = capsa("logs", "udp").stdout
            if "received" in logs:
                got = json.loads(logs.strip().splitlines()[-1])
                break
        s.close()
        assert got == {"received": "hello-udp"}, capsa("logs", "udp").stdout
    finally:
        capsa("rm", "-f", "udp", check=False)
        capsa("network", "rm", "bridge", check=False)


def test_container_record_is_private(capsa):
    """container.json holds the environment (secrets): root's alone, though its directory is 0711
    (a container root mapped to another host uid must reach its root filesystem)."""
    cid = capsa("create", "--network", "none", "-e", "TOKEN=s3cret", "busybox", "true").stdout.strip()
    rec = capsa.root / "containers" / cid / "container.json"
    assert "s3cret" in rec.read_text()
    assert os.stat(rec).st_mode & 0o077 == 0, oct(os.stat(rec).st_mode)
    capsa("rename", cid, "renamed")
    assert os.stat(rec).st_mode & 0o077 == 0, oct(os.stat(rec).st_mode)
    capsa("rm", "renamed")


def test_ps_filters(capsa):
    """ps --filter as docker's: id (prefix), name (a part), label (K, K=V), status (shows stopped ones
    without -a), exited, ancestor, network; keys AND, a key's values OR; an unknown key is an error."""
    capsa("run", "-d", "--name", "web-1", "--network", "none", "--label", "tier=front", "--label", "x",
          "busybox", "sleep", "60")
    capsa("run", "--name", "job-1", "--network", "none", "busybox", "sh", "-c", "exit 3", check=False)
    capsa("create", "--name", "idle-1", "--network", "none", "busybox", "true")

    def names(*flags):
        return sorted(capsa("ps", *flags, "--format", "{{.Names}}").stdout.split())
    wid = capsa.inspect("web-1")["Id"]
    assert names("-f", f"id={wid[:8]}") == ["web-1"]
    assert names("-a", "-f", "name=-1") == ["idle-1", "job-1", "web-1"]
    assert names("-f", "label=tier=front") == names("-f", "label=x") == ["web-1"]
    assert names("-f", "label=tier=back") == []
    assert names("-f", "status=exited") == ["job-1"]
    assert names("-f", "status=created", "-f", "status=exited") == ["idle-1", "job-1"]
    assert names("-a", "-f", "exited=3") == ["job-1"] and names("-a", "-f", "exited=0") == []
    assert names("-a", "-f", "ancestor=busybox", "-f", "name=web") == ["web-1"]
    assert names("-a", "-f", "network=none") == ["idle-1", "job-1", "web-1"]
    p = capsa("ps", "-f", "colour=red", check=False)
    assert p.returncode == 125 and "invalid filter 'colour'" in p.stderr, p.stderr
    p = capsa("ps", "-f", "nokey", check=False)
    assert p.returncode == 125 and "expected KEY=VALUE" in p.stderr, p.stderr
    capsa("rm", "-f", "web-1", "job-1", "idle-1")
