"""Healthchecks (issue 18 item 6): --health-* flags, the image's HEALTHCHECK, --no-healthcheck, the
checks the monitor runs (an exec each, killed at its timeout), State.Health in inspect (the CLI's
and the Docker API service's), ps STATUS and --filter health=, health_status events,
`capsa healthcheck run` and --health-on-failure; compared with dockerd 20.10 run the same way.
Short intervals (300 ms) keep it quick; every container is removed and nothing may be left."""
import datetime
import json
import re
import subprocess
import time

import pytest

from conftest import new_id, procs_mentioning
from service_fixtures import COMPOSE, needs_docker, needs_service, service_running
from test_cli_run import capsa  # noqa: F401  (the fixture)
from test_dockerd import IMAGE as DOCKER_IMAGE
from test_dockerd import docker  # noqa: F401  (the fixture: a private dockerd 20.10)

FAST = ("--health-interval", "300ms")


@pytest.fixture(autouse=True)
def _remove_containers(capsa):  # noqa: F811
    """The tests' containers go before the store's check (which wants none left)."""
    yield
    ids = capsa("ps", "-aq").stdout.split()
    if ids:
        capsa("rm", "-f", *ids)


def health(c, name):
    return c.state(name).get("Health")


def wait_health(c, name, want, timeout=15):
    deadline = time.time() + timeout
    h = None
    while time.time() < deadline:
        p = c("inspect", name, check=False)  # (a foreground run's may not be there yet)
        h = json.loads(p.stdout)[0]["State"].get("Health") if p.returncode == 0 else None
        if h and h["Status"] == want:
            return h
        time.sleep(0.1)
    raise AssertionError(f"{name}: Health {h}, never {want}")


def status_of(c, name):
    rows = c("ps", "-a", "--format", "{{.Names}}\t{{.Status}}").stdout.splitlines()
    return dict(r.split("\t", 1) for r in rows)[name]


def run(c, name, *args, image="busybox", cmd=("sleep", "300")):
    c("run", "-d", "--name", name, "--network", "none", *args, image, *cmd)


def test_passing_check_becomes_healthy(capsa):  # noqa: F811
    run(capsa, "ok", "--health-cmd", "echo hi; echo err >&2", *FAST)
    info = capsa.inspect("ok")
    assert info["Config"]["Healthcheck"] == {"Test": ["CMD-SHELL", "echo hi; echo err >&2"], "Interval": 300000000}
    assert info["State"]["Health"]["Status"] == "starting"
    assert re.fullmatch(r"Up .* \(health: starting\)", status_of(capsa, "ok"))
    h = wait_health(capsa, "ok", "healthy")
    assert h["FailingStreak"] == 0
    e = h["Log"][-1]
    assert set(e) == {"Start", "End", "ExitCode", "Output"} and e["ExitCode"] == 0 and e["Output"] == "hi\nerr\n"
    assert e["Start"] <= e["End"]
    assert re.fullmatch(r"Up .* \(healthy\)", status_of(capsa, "ok"))
    events = capsa("events", "--since", "1m", "--until", "0s", "--filter", "event=health_status", "--format",
                   "{{json .}}").stdout.splitlines()
    assert len(events) == 1
    ev = json.loads(events[0])
    assert ev["Action"] == ev["status"] == "health_status: healthy" and ev["Type"] == "container"
    assert ev["Actor"]["Attributes"]["name"] == "ok"


def test_failing_check_becomes_unhealthy_after_retries(capsa):  # noqa: F811
    run(capsa, "bad", "--health-cmd", "echo nope; exit 3", "--health-retries", "2", *FAST)
    h = wait_health(capsa, "bad", "unhealthy")
    assert h["FailingStreak"] >= 2
    assert [e["ExitCode"] for e in h["Log"]][:2] == [3, 3] and h["Log"][0]["Output"] == "nope\n"
    assert re.fullmatch(r"Up .* \(unhealthy\)", status_of(capsa, "bad"))
    time.sleep(2.5)  # more checks than the log keeps
    h = health(capsa, "bad")
    assert len(h["Log"]) == 5 and h["FailingStreak"] >= 6
    events = capsa("events", "--since", "1m", "--until", "0s", "--format", "{{.Action}}").stdout.splitlines()
    assert events.count("health_status: unhealthy") == 1  # only when it changed


def test_failures_in_the_start_period_do_not_count(capsa):  # noqa: F811
    run(capsa, "slow", "--health-cmd", "test -e /tmp/up", "--health-retries", "1", "--health-start-period", "60s",
        *FAST)
    time.sleep(2)
    h = health(capsa, "slow")
    assert h["Status"] == "starting" and h["FailingStreak"] == 0 and len(h["Log"]) >= 3
    assert all(e["ExitCode"] == 1 for e in h["Log"])
    capsa("exec", "slow", "touch", "/tmp/up")
    wait_health(capsa, "slow", "healthy")


def test_start_interval(capsa):  # noqa: F811
    # docker 25's --health-start-interval: checks that often while starting in the start period
    run(capsa, "si", "--health-cmd", "false", "--health-interval", "1h", "--health-start-period", "60s",
        "--health-start-interval", "300ms")
    time.sleep(2)
    assert len(health(capsa, "si")["Log"]) >= 3


def test_image_healthcheck_merged_and_disabled(capsa, tmp_path):  # noqa: F811
    (tmp_path / "Dockerfile").write_text('FROM busybox\nHEALTHCHECK --interval=300ms --timeout=5s --retries=2 '
                                         'CMD test -e /tmp/ok\nCMD ["sleep", "300"]\n')
    capsa("build", "--network", "none", "-t", "hc", tmp_path, timeout=120)
    image_hc = {"Test": ["CMD-SHELL", "test -e /tmp/ok"], "Interval": 300000000, "Timeout": 5000000000, "Retries": 2}
    run(capsa, "img", image="hc", cmd=())
    run(capsa, "off", "--no-healthcheck", image="hc", cmd=())
    run(capsa, "over", "--health-cmd", "true", "--health-retries", "7", image="hc", cmd=())
    assert capsa.inspect("img")["Config"]["Healthcheck"] == image_hc
    # dockerd's merge: the flags' fields, the image's for the others (NONE keeps them too)
    assert capsa.inspect("off")["Config"]["Healthcheck"] == dict(image_hc, Test=["NONE"])
    assert capsa.inspect("over")["Config"]["Healthcheck"] == dict(image_hc, Test=["CMD-SHELL", "true"], Retries=7)
    wait_health(capsa, "img", "unhealthy")
    wait_health(capsa, "over", "healthy")
    time.sleep(0.7)
    assert "Health" not in capsa.state("off")
    assert re.fullmatch(r"Up [^()]*", status_of(capsa, "off"))
    capsa("exec", "img", "touch", "/tmp/ok")
    wait_health(capsa, "img", "healthy")


def test_ps_filter_health(capsa):  # noqa: F811
    run(capsa, "h1", "--health-cmd", "true", *FAST)
    run(capsa, "u1", "--health-cmd", "false", "--health-retries", "1", *FAST)
    run(capsa, "s1", "--health-cmd", "false", "--health-start-period", "60s", *FAST)
    run(capsa, "n1")
    wait_health(capsa, "h1", "healthy")
    wait_health(capsa, "u1", "unhealthy")

    def names(v):
        return sorted(capsa("ps", "--filter", f"health={v}", "--format", "{{.Names}}").stdout.split())
    assert names("healthy") == ["h1"]
    assert names("unhealthy") == ["u1"]
    assert names("starting") == ["s1"]
    assert names("none") == ["n1"]
    p = capsa("ps", "--filter", "health=bogus", check=False)
    assert p.returncode == 125 and "Unrecognised filter value for health: bogus" in p.stderr


def test_healthcheck_run_exit_codes(capsa):  # noqa: F811
    run(capsa, "m", "--health-cmd", "test -e /tmp/ok", "--health-interval", "1h")
    p = capsa("healthcheck", "run", "m", check=False)
    assert p.returncode == 1 and p.stdout == "starting\n"  # one failure of 3
    h = health(capsa, "m")
    assert h["FailingStreak"] == 1 and h["Log"][-1]["ExitCode"] == 1
    capsa("exec", "m", "touch", "/tmp/ok")
    p = capsa("healthcheck", "run", "m", check=False)
    assert p.returncode == 0 and p.stdout == ""
    assert health(capsa, "m")["Status"] == "healthy"
    capsa("exec", "m", "rm", "/tmp/ok")
    for _ in range(3):
        p = capsa("healthcheck", "run", "m", check=False)
    assert p.returncode == 1 and p.stdout == "unhealthy\n"
    run(capsa, "plain")
    p = capsa("healthcheck", "run", "plain", check=False)
    assert p.returncode == 125 and "has no healthcheck" in p.stderr
    capsa("create", "--name", "stopped", "--network", "none", "--health-cmd", "true", "busybox", "true")
    p = capsa("healthcheck", "run", "stopped", check=False)
    assert p.returncode == 125 and "is not running" in p.stderr
    p = capsa("healthcheck", "run", "nosuch", check=False)
    assert p.returncode == 125


def test_hanging_check_is_killed_at_its_timeout(capsa):  # noqa: F811
    marker = "31337"
    run(capsa, "hang", "--health-cmd", f"sleep {marker}", "--health-timeout", "500ms", "--health-retries", "2",
        *FAST)
    h = wait_health(capsa, "hang", "unhealthy")
    e = h["Log"][0]
    assert e["ExitCode"] == -1 and e["Output"] == "Health check exceeded timeout (500ms)"
    # killed each time: at most the one check in flight is alive
    assert len(procs_mentioning(f"sleep {marker}")) <= 1
    capsa("rm", "-f", "hang")
    time.sleep(0.3)
    assert procs_mentioning(f"sleep {marker}") == []
    assert procs_mentioning(str(capsa.root)) == []


def test_on_failure_restart_and_kill(capsa):  # noqa: F811
    bad = ("--health-cmd", "false", "--health-retries", "1", *FAST)
    run(capsa, "re", *bad, "--health-on-failure", "restart")
    run(capsa, "ki", *bad, "--health-on-failure", "kill")
    deadline = time.time() + 20
    while time.time() < deadline and capsa.inspect("re")["RestartCount"] < 1:
        time.sleep(0.2)
    assert capsa.inspect("re")["RestartCount"] >= 1
    st = capsa.state("ki")
    assert not st["Running"] and st["ExitCode"] == 137
    time.sleep(1)
    assert capsa.inspect("ki")["RestartCount"] == 0 and not capsa.state("ki")["Running"]
    p = capsa("run", "--rm", "--health-on-failure", "sometimes", "busybox", "true", check=False)
    assert p.returncode == 125 and "--health-on-failure" in p.stderr


def test_flag_errors(capsa):  # noqa: F811
    for args, msg in ((("--no-healthcheck", "--health-cmd", "true"), "--no-healthcheck conflicts with --health-*"),
                      (("--health-interval", "-1s"), "--health-interval cannot be negative"),
                      (("--health-interval", "10"), "invalid duration"),
                      (("--health-timeout", "500us"), "less than 1ms")):
        p = capsa("run", "--rm", "--network", "none", *args, "busybox", "true", check=False)
        assert p.returncode == 125 and msg in p.stderr, (args, p.stderr)


@needs_service
@needs_docker
def test_service_healthchecks():
    """The docker CLI against the service: --health-* reach the engine, inspect and ps show the health."""
    with service_running() as svc:
        svc.docker("run", "-d", "--name", "web", "--network", "none", "--health-cmd", "echo up", *FAST,
                   "--health-retries", "4", "busybox", "sleep", "300")
        info = json.loads(svc.docker("inspect", "web").stdout)[0]
        assert info["Config"]["Healthcheck"] == {"Test": ["CMD-SHELL", "echo up"], "Interval": 300000000,
                                                 "Retries": 4}
        wait_health(svc.capsa, "web", "healthy")
        h = json.loads(svc.docker("inspect", "web").stdout)[0]["State"]["Health"]
        assert h["Status"] == "healthy" and h["Log"][-1]["ExitCode"] == 0 and h["Log"][-1]["Output"] == "up\n"
        assert svc.docker("ps", "--filter", "health=healthy", "--format", "{{.Names}}").stdout.split() == ["web"]
        assert svc.docker("ps", "--format", "{{.Status}}").stdout.strip().endswith("(healthy)")
        status, body = svc.http("GET", '/containers/json?filters={"health":["unhealthy"]}')
        assert status == 200 and json.loads(body) == []
        svc.docker("rm", "-f", "web")


def _shape(h):
    """What inspect shows of State.Health, without the times and the counts that depend on them."""
    return {"keys": sorted(h), "Status": h["Status"], "log_keys": sorted(h["Log"][0]),
            "first": {k: h["Log"][0][k] for k in ("ExitCode", "Output")}}


def test_same_as_dockerd(capsa, docker):  # noqa: F811
    """The same containers under dockerd 20.10 (runc) and capsa: Config.Healthcheck, the shape of
    State.Health and ps STATUS."""
    cases = {
        "good": ("--health-cmd", "echo hi", "--health-interval", "1s"),
        "bad": ("--health-cmd", "echo no; exit 2", "--health-interval", "1s", "--health-retries", "1"),
        "hang": ("--health-cmd", "sleep 5", "--health-interval", "1s", "--health-timeout", "300ms",
                 "--health-retries", "1"),
        "off": ("--no-healthcheck",),
    }
    suffix = new_id()[:6]
    for name, args in cases.items():
        docker("run", "-d", "--name", f"{name}-{suffix}", "--network", "none", *args, DOCKER_IMAGE, "sleep", "300")
        run(capsa, name, *args)
    time.sleep(3.5)
    try:
        for name in cases:
            d = json.loads(docker("inspect", f"{name}-{suffix}").stdout)[0]
            c = capsa.inspect(name)
            assert c["Config"].get("Healthcheck") == d["Config"].get("Healthcheck"), name
            dh, ch = d["State"].get("Health"), c["State"].get("Health")
            assert (dh is None) == (ch is None), (name, dh, ch)
            if dh:
                assert _shape(ch) == _shape(dh), name
                assert ch["FailingStreak"] >= 1 if name != "good" else ch["FailingStreak"] == 0
            dps = docker("ps", "--filter", f"name={name}-{suffix}", "--format", "{{.Status}}").stdout.strip()
            cps = status_of(capsa, name)
            assert re.sub(r"^Up [^(]*", "Up X ", dps) == re.sub(r"^Up [^(]*", "Up X ", cps), (dps, cps)
            dfilter = docker("ps", "-q", "--filter", f"name={name}-{suffix}", "--filter",
                             f"health={dh['Status'] if dh else 'none'}").stdout.split()
            cfilter = capsa("ps", "--filter", f"health={ch['Status'] if ch else 'none'}", "--format",
                            "{{.Names}}").stdout.split()
            assert len(dfilter) == 1 and name in cfilter
        # stopped: the last health stays in inspect (docker 20.10), ps shows none
        docker("stop", "-t", "0", f"good-{suffix}")
        capsa("stop", "-t", "0", "good")
        dh = json.loads(docker("inspect", f"good-{suffix}").stdout)[0]["State"].get("Health")
        ch = capsa.state("good").get("Health")
        assert (dh or {}).get("Status") == (ch or {}).get("Status"), (dh, ch)
        dps = docker("ps", "-a", "--filter", f"name=good-{suffix}", "--format", "{{.Status}}").stdout.strip()
        assert "(" not in dps.replace("Exited (", "") and "(" not in status_of(capsa, "good").replace("Exited (", "")
        devents = docker("events", "--since", "1m", "--until", "0s", "--filter", f"container=bad-{suffix}",
                         "--format", "{{.Action}}").stdout
        assert "health_status: unhealthy" in devents
    finally:
        docker("rm", "-f", *[f"{n}-{suffix}" for n in cases], check=False)


def test_create_start_and_restart(capsa):  # noqa: F811
    capsa("create", "--name", "cs", "--network", "none", "--health-cmd", "true", *FAST, "busybox", "sleep", "300")
    assert "Health" not in capsa.state("cs")  # docker's: none before the first start
    capsa("start", "cs")
    assert capsa.state("cs")["Health"]["Status"] == "starting"
    n = len(wait_health(capsa, "cs", "healthy")["Log"])
    capsa("stop", "-t", "0", "cs")
    assert capsa.state("cs")["Health"]["Status"] == "unhealthy"  # dockerd 20.10's, once stopped
    capsa("start", "cs")
    h = capsa.state("cs")["Health"]
    assert h["Status"] == "starting" and h["FailingStreak"] == 0 and len(h["Log"]) == n  # the log stays
    wait_health(capsa, "cs", "healthy")


def test_foreground_run_is_checked_too(capsa):  # noqa: F811
    """No monitor: the run's own ticker makes the checks while it runs, and goes with it."""
    p = capsa.popen("run", "--name", "fg", "--network", "none", "--health-cmd", "echo fine", *FAST, "busybox",
                    "sh", "-c", "sleep 3; echo done", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        h = wait_health(capsa, "fg", "healthy", timeout=10)
        assert h["Log"][-1]["Output"] == "fine\n"
        out, _ = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0 and out == "done\n"
    assert capsa.state("fg")["Health"]["Status"] == "unhealthy"  # stopped, as dockerd's
    assert procs_mentioning(str(capsa.root)) == []


COMPOSE_HEALTHY = """\
version: "2.1"
services:
  db:
    image: busybox
    network_mode: none
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 300"]
    healthcheck:
      test: ["CMD-SHELL", "test -e /tmp/ready"]
      interval: 300ms
      retries: 20
  app:
    image: busybox
    network_mode: none
    command: ["sleep", "300"]
    depends_on:
      db:
        condition: service_healthy
"""


@needs_service
@needs_docker
@pytest.mark.skipif(not COMPOSE.exists(), reason="docker-compose 1.29 is not installed")
def test_compose_waits_for_service_healthy():
    """docker-compose's depends_on condition: service_healthy reads State.Health through the service."""
    with service_running() as svc:
        path = svc.tmp / "docker-compose.yml"
        path.write_text(COMPOSE_HEALTHY)
        cmd = [str(COMPOSE), "-H", svc.uri, "-p", "hc", "-f", str(path)]
        try:
            p = subprocess.run([*cmd, "up", "-d"], env=svc.env(), capture_output=True, text=True, timeout=120,
                               stdin=subprocess.DEVNULL)
            assert p.returncode == 0, p.stderr
            db, app = svc.capsa.inspect("hc_db_1"), svc.capsa.inspect("hc_app_1")
            log = db["State"]["Health"]["Log"]
            assert db["State"]["Health"]["Status"] == "healthy" and app["State"]["Running"]
            # the app was made only once db was healthy: not before its 1 s of sleep
            def t(s):
                return datetime.datetime.fromisoformat(s[:26])
            assert t(app["Created"]) - t(db["State"]["StartedAt"]) >= datetime.timedelta(seconds=1), (app, log)
        finally:
            subprocess.run([*cmd, "down", "-t", "0"], env=svc.env(), capture_output=True, timeout=120,
                           stdin=subprocess.DEVNULL)


def test_ps_table_aligned_with_a_health_suffix(capsa):  # noqa: F811
    """The default ps table is docker's tabwriter's: a STATUS with "(healthy)" widens its column
    rather than pushing the next ones out of line."""
    run(capsa, "hps", "--health-cmd", "true", *FAST)
    run(capsa, "plainps")
    wait_health(capsa, "hps", "healthy")
    out = capsa("ps").stdout.splitlines()
    assert re.split(r"\s{3,}", out[0]) == ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    names = out[0].index("NAMES")
    assert sorted(line[names:] for line in out[1:]) == ["hps", "plainps"], out
    assert any("(healthy)" in line for line in out), out
    for line in out[1:]:
        assert line[names - 3:names] == "   ", out
