"""`capsa system service`: docker's events (GET /events, from the engine's log ROOT/events.log, so
that what `capsa` and the containers' monitors do appears too) and GET /system/df, through docker
20.10's CLI and plain HTTP."""
import json
import select
import subprocess
import time

import pytest

from service_fixtures import DOCKER, needs_docker, needs_service, service_running
from test_service import api

pytestmark = [needs_service, needs_docker]

FMT = "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"


@pytest.fixture(scope="module")
def svc():
    with service_running() as s:
        yield s


def events(svc, since, *args):
    """The events from since to now, as FMT lines."""
    out = svc.docker("events", "--since", f"{since:.3f}", "--until", f"{time.time() + 0.2:.3f}", "--format", FMT,
                     *args, timeout=30).stdout
    return out.splitlines()


def in_order(lines, wanted):
    it = iter(lines)
    return all(any(line == w for line in it) for w in wanted)


def test_replay_lifecycle(svc):
    """create by `capsa`, start/stop/rm by docker's CLI: all of them, with the monitor's die, in order."""
    t0 = time.time() - 0.1
    svc.capsa("create", "--name", "ev1", "--label", "tier=web", "busybox", "sleep", "1000")
    svc.docker("start", "ev1")
    svc.docker("stop", "-t", "1", "ev1")
    svc.docker("rm", "ev1")
    lines = events(svc, t0)
    want = ["container create ev1", "network connect bridge", "container start ev1", "container kill ev1",
            "container die ev1", "network disconnect bridge", "container stop ev1", "container destroy ev1"]
    assert in_order(lines, want), lines
    assert events(svc, t0, "--filter", "event=die") == ["container die ev1"]
    assert events(svc, t0, "--filter", "container=ev1", "--filter", "event=create") == ["container create ev1"]
    assert len(events(svc, t0, "--filter", "label=tier=web")) == len([l for l in lines if l.endswith(" ev1")])
    assert events(svc, t0, "--filter", "label=tier=db") == []
    assert events(svc, t0, "--filter", "type=volume") == []
    assert events(svc, t0, "--filter", "network=bridge") == ["network connect bridge", "network disconnect bridge"]
    # docker's shape, and the exit code of the die
    st, raw, _ = api(svc, "GET", f"/v1.41/events?since={t0:.3f}&until={time.time():.3f}"
                     '&filters={"event":["die"]}')
    assert st == 200
    ev = raw if isinstance(raw, dict) else json.loads(raw.splitlines()[0])
    assert ev["Type"] == "container" and ev["Action"] == "die" and ev["status"] == "die"
    assert ev["from"] == "busybox" and ev["id"] == ev["Actor"]["ID"] and len(ev["id"]) == 64
    assert ev["Actor"]["Attributes"]["exitCode"] == "137"  # (sleep as PID 1 ignores SIGTERM)
    assert ev["Actor"]["Attributes"]["tier"] == "web" and ev["scope"] == "local"
    assert ev["time"] == ev["timeNano"] // 10**9 and ev["time"] >= int(t0)


def test_volume_network_events_and_errors(svc):
    t0 = time.time() - 0.1
    svc.docker("volume", "create", "evvol")
    svc.docker("volume", "rm", "evvol")
    svc.docker("network", "create", "evnet")
    svc.capsa("network", "rm", "evnet")
    by_id = "{{.Type}} {{.Action}} {{.Actor.ID}}"
    lines = events(svc, t0, "--format", by_id)
    assert in_order(lines, ["volume create evvol", "volume destroy evvol", "network create evnet",
                            "network destroy evnet"]), lines
    assert events(svc, t0, "--filter", "volume=evvol", "--format", by_id) == ["volume create evvol",
                                                                              "volume destroy evvol"]
    assert events(svc, t0, "--filter", "network=evnet", "--filter", "event=destroy", "--format", by_id) == [
        "network destroy evnet"]
    st, e, _ = api(svc, "GET", '/v1.41/events?until=1&filters={"bogus":["x"]}')
    assert st == 400 and "Invalid filter 'bogus'" in e["message"]
    st, e, _ = api(svc, "GET", "/v1.41/events?since=yesterday")
    assert st == 400


def test_stream_until_the_client_leaves(svc):
    """`docker events --filter event=die` prints the die of a container killed meanwhile, as it comes."""
    svc.capsa("run", "-d", "--name", "ev2", "busybox", "sleep", "1000")
    p = subprocess.Popen([str(DOCKER), "events", "--filter", "event=die", "--format", FMT], env=svc.env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1)  # (subscribed: only what comes from now on)
        assert p.poll() is None, p.stderr.read()
        svc.docker("kill", "ev2")
        ready, _, _ = select.select([p.stdout], [], [], 15)
        assert ready, "no event within 15 s"
        assert p.stdout.readline().strip() == "container die ev2"
    finally:
        p.terminate()
        p.wait(timeout=10)
    svc.capsa("rm", "ev2")
    # the service noticed the client going (its thread ends): it still answers
    assert api(svc, "GET", "/_ping")[0] == 200


def test_system_df(svc):
    svc.docker("volume", "create", "dfvol")
    svc.docker("create", "--name", "dfctr", "--network", "none", "busybox", "true")
    try:
        st, df, _ = api(svc, "GET", "/v1.41/system/df")
        assert st == 200
        assert df["LayersSize"] > 0 and df["BuildCache"] == []
        assert any("busybox:latest" in (i["RepoTags"] or []) for i in df["Images"])
        c = [x for x in df["Containers"] if x["Names"] == ["/dfctr"]][0]
        assert c["SizeRw"] >= 0 and c["State"] == "created"
        v = [x for x in df["Volumes"] if x["Name"] == "dfvol"][0]
        assert v["UsageData"] == {"Size": 0, "RefCount": 0} and v["Driver"] == "local"
        out = svc.docker("system", "df").stdout
        assert "Local Volumes" in out and "TYPE" in out and "RECLAIMABLE" in out
        row = [l for l in out.splitlines() if l.startswith("Containers")][0]
        assert row.split()[1] == "1"
    finally:
        svc.docker("rm", "dfctr")
        svc.docker("volume", "rm", "dfvol")


def test_capsa_events_prints_what_docker_prints(svc):
    """`capsa events` reads the same log: its text lines are docker's, byte for byte (in UTC)."""
    t0 = time.time() - 0.1
    svc.capsa("run", "--name", "ev3", "--label", "k=v", "busybox", "true")
    svc.docker("rename", "ev3", "ev4")
    svc.docker("rm", "ev4")
    span = ["--since", f"{t0:.3f}", "--until", f"{time.time() + 0.1:.3f}"]
    theirs = subprocess.run([str(DOCKER), "events", *span], env=svc.env(TZ="UTC"), capture_output=True, text=True,
                            timeout=30).stdout
    ours = svc.capsa("events", *span).stdout
    assert ours == theirs and "container rename" in ours and "oldName=/ev3" in ours, (ours, theirs)
    assert "exitCode=0" in ours and "k=v" in ours
    fmt = svc.capsa("events", *span, "--filter", "event=die", "--filter", "container=ev3", "--format",
                    "{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}} {{.Actor.Attributes.signal}}").stdout
    assert fmt == "ev3 0 <no value>\n"
    p = svc.capsa("events", "--filter", "nope", check=False)
    assert p.returncode == 125 and "KEY=VALUE" in p.stderr
