"""Log drivers (issue 18, item 8): --log-driver json-file (docker's format, the default), k8s-file
(podman's), none, passthrough; --log-opt max-size/max-file rotation read back in order by `capsa
logs`; logs --details and --until.  json-file lines are checked against docker 20.10's
documented shape (daemon/logger/jsonfilelog: {"log","stream","time"}, "attrs" with labels=/env=)."""
import json
import os
import re

import pytest

from service_fixtures import needs_docker, service_running
from test_cli_run import capsa as _capsa, wait_for  # noqa: F401  (the fixture)
from test_dockerd import docker  # noqa: F401  (dockerd 20.10 with its own roots: skipped when missing)

RFC3339NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def capsa(_capsa):
    """capsa's fixture, the containers a test left (exited, to read their logs) removed after it."""
    yield _capsa
    left = [x["ID"] for x in _capsa.ps()]
    if left:
        _capsa("rm", "-f", *left, check=False)


def _exited(capsa, name):
    wait_for(lambda: capsa.state(name)["Status"] == "exited", timeout=20)


def _log_path(capsa, name):
    return capsa.inspect(name)["LogPath"]


def test_json_file_is_docker_shape_and_default(capsa):
    capsa("run", "-d", "--name", "j", "busybox", "sh", "-c", "echo out; echo err >&2; printf 'cut'")
    _exited(capsa, "j")
    ins = capsa.inspect("j")
    assert ins["HostConfig"]["LogConfig"] == {"Type": "json-file", "Config": {}}
    lines = open(ins["LogPath"]).read().splitlines()
    recs = [json.loads(l) for l in lines]
    assert [list(r) for r in recs] == [["log", "stream", "time"]] * 3, lines
    by = {r["log"]: r for r in recs}
    assert by["out\n"]["stream"] == "stdout" and by["err\n"]["stream"] == "stderr"
    assert "cut" in by  # (the last bytes before EOF, without a newline: no "\n", as docker)
    assert all(RFC3339NANO.match(r["time"]) for r in recs)
    p = capsa("logs", "j")
    assert p.stdout == "out\ncut" and p.stderr == "err\n"


def test_json_file_escapes_as_docker(capsa):
    # printf's \\ is one backslash; \t, \001 control characters
    capsa("run", "--name", "e", "--log-driver", "json-file", "busybox", "printf", 'a"b\\\\c<&>\\t\\001\\n')
    line = open(_log_path(capsa, "e")).read().splitlines()[0]
    assert line.startswith('{"log":"a\\"b\\\\c\\u003c\\u0026\\u003e\\u0009\\u0001\\n","stream":"stdout","time":"'), line
    assert capsa("logs", "e").stdout == 'a"b\\c<&>\t\x01\n'


def test_k8s_file_format_and_path(capsa):
    path = capsa.tmp / "k8s.log"
    capsa("run", "-d", "--name", "k", "--log-driver", "k8s-file", "--log-opt", f"path={path}", "busybox",
          "sh", "-c", "echo one; echo two >&2")
    _exited(capsa, "k")
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    for l, stream, text in zip(lines, ["stdout", "stderr"], ["one", "two"]):
        ts, s, flag, rest = l.split(" ", 3)
        assert RFC3339NANO.match(ts) and (s, flag, rest) == (stream, "F", text), l
    assert capsa.inspect("k")["HostConfig"]["LogConfig"] == {"Type": "k8s-file", "Config": {"path": str(path)}}
    assert capsa("logs", "k").stdout == "one\n"
    assert _log_path(capsa, "k") == str(path)
    assert not [f for f in os.listdir(capsa.root / "containers" / capsa.inspect("k")["Id"]) if f.startswith("ctr.log")]


def test_none_keeps_nothing_and_logs_says_so(capsa):
    capsa("run", "-d", "--name", "n", "--log-driver", "none", "busybox", "echo", "hidden")
    _exited(capsa, "n")
    d = capsa.root / "containers" / capsa.inspect("n")["Id"]
    assert not [f for f in os.listdir(d) if f.startswith("ctr.log")] and _log_path(capsa, "n") == ""
    p = capsa("logs", "n", check=False)
    assert p.returncode != 0 and "configured logging driver does not support reading" in p.stderr
    # the foreground run: its output still reaches the terminal, nothing kept
    p = capsa("run", "--rm", "--log-driver", "none", "busybox", "echo", "shown")
    assert p.stdout == "shown\n"


def test_passthrough_stdio_is_the_callers(capsa):
    """podman's passthrough: the container's stdout and stderr are the command's (run, and run -d,
    whose monitor keeps them), nothing is logged; refused with a tty."""
    p = capsa("run", "--rm", "--log-driver", "passthrough", "busybox", "sh", "-c", "echo o; echo e >&2")
    assert (p.stdout, p.stderr) == ("o\n", "e\n")
    # -d: the capture ends once the container (the last holder of the pipes) does
    p = capsa("run", "-d", "--name", "pd", "--log-driver", "passthrough", "busybox", "sh", "-c", "echo o; echo e >&2")
    cid = capsa.inspect("pd")["Id"]
    assert sorted(p.stdout.split()) == sorted([cid, "o"]) and p.stderr == "e\n", p
    d = capsa.root / "containers" / cid
    assert not [f for f in os.listdir(d) if f.startswith("ctr.log")]
    p = capsa("logs", "pd", check=False)
    assert p.returncode != 0 and "does not support reading" in p.stderr
    p = capsa("run", "-t", "--rm", "--log-driver", "passthrough", "busybox", "true", check=False)
    assert p.returncode == 125 and "tty" in p.stderr, p.stderr


def test_bad_driver_and_opts(capsa):
    for args, msg in ((["--log-driver", "syslog"], "not a log driver"),
                      (["--log-opt", "max-size=x"], "max-size"),
                      (["--log-opt", "nope=1"], "unknown log opt 'nope' for json-file log driver"),
                      (["--log-driver", "none", "--log-opt", "max-size=1k"], "unknown log opt 'max-size'"),
                      (["--log-opt", "max-file=0"], "max-file")):
        p = capsa("create", *args, "busybox", check=False)
        assert p.returncode == 125 and msg in p.stderr, (args, p.stderr)
    assert capsa.ps() == []


def test_rotation_keeps_max_file_and_reads_in_order(capsa):
    n = 300
    capsa("run", "-d", "--name", "r", "--log-opt", "max-size=1k", "--log-opt", "max-file=3", "busybox",
          "sh", "-c", f"i=1; while [ $i -le {n} ]; do echo line$i; i=$((i+1)); done")
    _exited(capsa, "r")
    # (exited: its init is gone; the monitor may still be writing what the pipe held)
    wait_for(lambda: capsa("logs", "--tail", "1", "r").stdout == f"line{n}\n")
    path = _log_path(capsa, "r")
    d = os.path.dirname(path)
    files = sorted(f for f in os.listdir(d) if f.startswith("ctr.log"))
    assert files == ["ctr.log", "ctr.log.1", "ctr.log.2"], files
    assert all(os.path.getsize(os.path.join(d, f)) < 1024 + 200 for f in files)
    out = capsa("logs", "r").stdout.split()
    nums = [int(x[4:]) for x in out]
    assert nums == list(range(nums[0], n + 1)) and nums[0] > 1, out[:3]  # the newest, in order
    tail = capsa("logs", "--tail", "5", "r").stdout.split()
    assert tail == [f"line{i}" for i in range(n - 4, n + 1)]


def test_follow_goes_on_across_rotations(capsa):
    """logs -f while the monitor rotates (1k files, 3 kept): every line once, in order (the old
    file's rest, then the new one)."""
    n = 150
    capsa("run", "-d", "--name", "fr", "--log-opt", "max-size=1k", "--log-opt", "max-file=3", "busybox",
          "sh", "-c", f"sleep 0.5; i=1; while [ $i -le {n} ]; do echo line$i; i=$((i+1)); sleep 0.02; done")
    p = capsa("logs", "-f", "fr", timeout=60)
    nums = [int(x[4:]) for x in p.stdout.split()]
    assert nums == list(range(1, n + 1)), nums


def test_details_labels_and_env(capsa):
    capsa("run", "--name", "d", "-l", "app=web site", "-l", "tier=b", "-e", "REGION=eu", "--log-opt", "labels=tier,app",
          "--log-opt", "env=REGION,MISSING", "busybox", "echo", "hi")
    rec = json.loads(open(_log_path(capsa, "d")).read().splitlines()[0])
    assert list(rec) == ["log", "stream", "attrs", "time"]
    assert rec["attrs"] == {"REGION": "eu", "app": "web site", "tier": "b"}
    assert capsa("logs", "--details", "d").stdout == "REGION=eu,app=web+site,tier=b hi\n"
    capsa("run", "--name", "plain", "busybox", "echo", "hi")
    assert capsa("logs", "--details", "plain").stdout == " hi\n"  # docker: a space alone
    ts = capsa("logs", "--details", "-t", "plain").stdout
    assert re.match(r"^\S+Z  hi\n$", ts), ts


def test_until_and_since_also_with_follow(capsa):
    capsa("run", "-d", "--name", "u", "busybox", "sh", "-c", "echo early; sleep 3; echo late; sleep 30")
    wait_for(lambda: "early" in capsa("logs", "u").stdout)
    p = capsa("logs", "--until", "1s", "u")  # (1 s ago: "early" was written before; "late" not yet)
    wait_for(lambda: "late" in capsa("logs", "u").stdout, timeout=10)
    assert "late" not in capsa("logs", "--until", "2s", "u").stdout
    assert capsa("logs", "--since", "2s", "u").stdout == "late\n"
    # -f with --until in the past: ends at once although the container runs
    p = capsa("logs", "-f", "--until", "1s", "u", timeout=10)
    assert p.stdout == "early\nlate\n" or p.stdout == "early\n"
    capsa("rm", "-f", "u")


@needs_docker
def test_service_log_config_details_until_and_none():
    """The Docker API service: HostConfig.LogConfig as --log-driver/--log-opt, GET /logs?details and
    until, and a driver that keeps nothing answered as dockerd (501, "does not support reading")."""
    with service_running() as svc:
        try:
            svc.docker("run", "--name", "sl", "-l", "k=v", "--log-opt", "labels=k", "--log-opt", "max-size=1k",
                       "busybox", "echo", "hi")
            lc = svc.capsa.inspect("sl")["HostConfig"]["LogConfig"]
            assert lc == {"Type": "json-file", "Config": {"labels": "k", "max-size": "1k"}}
            assert svc.docker("logs", "--details", "sl").stdout == "k=v hi\n"
            assert svc.docker("logs", "--until", "2000-01-01T00:00:00Z", "sl").stdout == ""
            svc.docker("run", "--name", "sn", "--log-driver", "none", "busybox", "echo", "x")
            p = svc.docker("logs", "sn", check=False)
            assert p.returncode != 0 and "configured logging driver does not support reading" in p.stderr
            p = svc.docker("run", "--log-opt", "bad=1", "busybox", "true", check=False)
            assert p.returncode != 0 and "unknown log opt 'bad'" in p.stderr
            p = svc.docker("run", "--log-driver", "passthrough", "busybox", "true", check=False)
            assert p.returncode != 0 and "passthrough" in p.stderr
        finally:
            svc.docker("rm", "-f", "sl", "sn", check=False)


def test_json_file_lines_as_dockerd_writes_them(docker, capsa):
    """dockerd 20.10's json-file (runc, its own roots: test_dockerd's daemon) and capsa's, for the
    same container: the same keys in the same order, the same escapes, labels= as "attrs", and the
    same `logs --details` text."""
    script = "echo out; echo err >&2; printf 'a<b>&\\\\c\\tq\\001\\r\\342\\200\\250\\377\\n'; printf cut"
    args = ["--name", "cmp", "-l", "app=a b", "--log-opt", "labels=app"]
    docker("run", "--runtime", "runc", *args, "capsa-test/busybox:latest", "sh", "-c", script, errors="replace")
    capsa("run", *args, "busybox", "sh", "-c", script, errors="replace")
    try:
        theirs = open(json.loads(docker("inspect", "cmp").stdout)[0]["LogPath"]).read().splitlines()
        ours = open(_log_path(capsa, "cmp")).read().splitlines()
        strip = [lambda l: re.sub(r'"time":"[^"]*"', '"time":""', l)]
        assert sorted(map(strip[0], theirs)) == sorted(map(strip[0], ours)), (theirs, ours)
        assert docker("logs", "--details", "cmp", errors="replace").stdout == \
            capsa("logs", "--details", "cmp", errors="replace").stdout
        assert docker("logs", "cmp", errors="replace").stderr == capsa("logs", "cmp", errors="replace").stderr
    finally:
        docker("rm", "-f", "cmp", check=False)
