"""What a docker user hits in the first hour (issue 14): inspect/ps --format templates (item 8),
logs of foreground runs (13), OOMKilled (20), flag parsing (18)."""
import json
import time

import pytest

from test_cli_run import capsa  # noqa: F401  (the fixture)


def test_inspect_format_templates(capsa):
    capsa("create", "--name", "tpl", "-l", "a=1", "-l", "b=2", "busybox", "echo", "x", "y")
    cid = capsa.inspect("tpl")["Id"]
    f = lambda t, *names: capsa("inspect", "-f", t, *(names or ("tpl",)), check=False)  # noqa: E731
    assert f("{{.Name}} {{.Id}}").stdout == f"/tpl {cid}\n"
    assert f("x {{.Name}}").stdout == "x /tpl\n"
    assert f("{{range .Config.Cmd}}<{{.}}>{{end}}").stdout == "<echo><x><y>\n"
    assert f('{{index .Config.Labels "b"}}').stdout == "2\n"
    assert f("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}").stdout == "a=1,b=2,\n"
    assert f("{{.Config.Labels}}").stdout == "map[a:1 b:2]\n"
    assert f("{{if .State.Running}}up{{else}}down{{end}}").stdout == "down\n"
    assert json.loads(f("{{json .Config.Labels}}").stdout) == {"a": "1", "b": "2"}
    assert f("{{.Config.Labels.nope}}").stdout == "<no value>\n"  # a missing map key, as docker
    for bad, why in [("{{.Nope}}", "can't evaluate field Nope"), ("{{nofunc .Name}}", "function not defined"),
                     ("{{range .Config.Cmd}}x", "no matching {{end}}")]:
        p = f(bad)
        assert p.returncode == 125 and p.stdout == "" and why in p.stderr, (bad, p.stdout, p.stderr)
    p = capsa("image", "inspect", "-f", "{{range .RepoTags}}{{.}} {{end}}", "busybox")
    assert "busybox" in p.stdout
    p = capsa("ps", "-a", "--format", "{{.Names}}:{{.State}}")
    assert p.stdout.startswith("tpl:"), p.stdout
    assert capsa("ps", "-a", "--format", "{{.Nope}}", check=False).returncode == 125
    assert capsa("images", "--format", "{{.Repository}}:{{.Tag}}").stdout == "busybox:latest\n"
    assert capsa("images").stdout.splitlines()[1].split()[:2] == ["busybox", "latest"]
    assert capsa("images", "--format", "{{.Nope}}", check=False).returncode == 125
    capsa("rm", "tpl")


def test_foreground_run_keeps_logs(capsa):
    p = capsa("run", "--name", "fg", "busybox", "sh", "-c", "echo hi; echo oops >&2; printf partial")
    assert p.stdout == "hi\npartial" and p.stderr == "oops\n", (p.stdout, p.stderr)
    logs = capsa("logs", "fg")
    assert logs.stdout == "hi\npartial" and logs.stderr == "oops\n", (logs.stdout, logs.stderr)
    # the output still goes to the terminal when it is read late, and ctrl-c cannot cut the log
    p = capsa("run", "--name", "fg2", "busybox", "sh", "-c", "seq 1 20000")
    assert p.stdout.splitlines()[-1] == "20000"
    assert capsa("logs", "--tail", "1", "fg2").stdout == "20000\n"
    capsa("rm", "fg", "fg2")


def test_foreground_tty_run_keeps_logs(capsa):
    """run -t (no -i) in the foreground: the pty's output reaches the terminal and ctr.log too, all of
    it as stdout (docker's json-file log of a tty container)."""
    from test_cli_attach import Term
    t = Term(capsa, "run", "-t", "--name", "fgt", "busybox", "sh", "-c", "tty; echo hi; echo oops >&2")
    assert t.wait(timeout=30) == 0
    assert b"hi\r" in t.out and b"oops" in t.out, t.out
    logs = capsa("logs", "fgt")
    lines = [l.rstrip("\r") for l in logs.stdout.splitlines()]
    assert lines[0].startswith("/dev/pts/") and lines[1:] == ["hi", "oops"], logs.stdout
    assert logs.stderr == "", logs.stderr
    capsa("rm", "fgt")


MEMHOG = "x=a; while true; do x=$x$x; done"  # doubles a shell string until the cgroup kills it


@pytest.mark.parametrize("detach", [False, True])
def test_oom_killed_is_recorded(capsa, detach):
    limits = ["-m", "32m", "--memory-swap", "32m"]
    capsa("run", "-d" if detach else "-i", "--name", "hog", *limits, "busybox", "sh", "-c", MEMHOG, check=False)
    if detach:
        assert capsa("wait", "hog", timeout=60).stdout.strip() == "137"
    state = capsa.state("hog")
    assert state["ExitCode"] == 137 and state["OOMKilled"] is True, state
    capsa("run", "-d" if detach else "-i", "--name", "fine", *limits, "busybox", "true")
    if detach:
        capsa("wait", "fine")
    assert capsa.state("fine")["OOMKilled"] is False
    capsa("rm", "hog", "fine")


def test_flags_parse_as_docker(capsa):
    for word, args in [("--priv", ["--priv"]), ("--pids", ["--pids", "5"]), ("--inter", ["--inter"])]:
        p = capsa("run", "--rm", *args, "busybox", "true", check=False)
        assert p.returncode == 125 and f"unknown option `{word}`" in p.stderr, (args, p.stderr)
    assert capsa("run", "--rm=true", "busybox", "true").returncode == 0
    assert capsa.ps() == []  # removed: --rm=true is --rm
    capsa("run", "--rm=false", "--name", "kept", "busybox", "true")
    assert [c["Names"] for c in capsa.ps()] == ["kept"]
    capsa("rm", "kept")
    p = capsa("run", "--rm", "--read-only=true", "busybox", "touch", "/x", check=False)
    assert p.returncode != 0 and "Read-only" in p.stderr, p.stderr
    p = capsa("run", "--rm", "-e=FOO=bar", "--env=B=2", "busybox", "sh", "-c", 'echo "$FOO|$B"')
    assert p.stdout == "bar|2\n"
    # a value that looks like a boolean's is still a value
    p = capsa("run", "--rm", "-e", "X=false", "busybox", "sh", "-c", 'echo "$X"')
    assert p.stdout == "false\n"


def test_no_command_takes_a_prefix_or_an_unknown_flag(capsa):
    """Every command parses from its option table (issue 15 item 4): a long option only by its full
    name, an unknown one a usage error (125) that does nothing, in capsa and in capsa-image."""
    capsa("create", "--name", "pfx", "busybox", "true")
    for line, word in [(["ps", "--al"], "--al"), (["logs", "--foll", "pfx"], "--foll"),
                       (["rm", "--forc", "pfx"], "--forc"), (["stop", "--tim", "1", "pfx"], "--tim"),
                       (["images", "--qui"], "--qui"), (["volume", "ls", "--qui"], "--qui"),
                       (["volume", "rm", "--forc", "nosuch"], "--forc"), (["network", "ls", "--qu"], "--qu"),
                       (["inspect", "--form", "{{.Id}}", "pfx"], "--form"), (["system", "prune", "--forc"], "--forc"),
                       (["container", "prune", "--forc"], "--forc"), (["exec", "--inter", "pfx", "true"], "--inter"),
                       (["pull", "--qui", "busybox"], "--qui"), (["wait", "--bogus", "pfx"], "--bogus"),
                       (["start", "--att", "pfx"], "--att"), (["--deb", "ps"], "--deb")]:
        p = capsa(*line, check=False)
        assert p.returncode == 125 and f"unknown {'global ' if line[0] == '--deb' else ''}option `{word}`" in p.stderr, \
            (line, p.stderr)
    assert [c["Names"] for c in capsa.ps()] == ["pfx"]  # nothing was done
    # the full names still work, and so do values in every spelling
    assert capsa("ps", "--all", "--quiet").stdout.strip() == capsa.inspect("pfx")["Id"][:12]
    assert capsa("ps", "-aq", "--no-trunc=true").stdout.strip() == capsa.inspect("pfx")["Id"]
    p = capsa("logs", "--tail=x", "pfx", check=False)
    assert p.returncode == 125 and "--tail: invalid number `x`" in p.stderr
    p = capsa("ps", "--format", check=False)
    assert p.returncode == 125 and "option `--format` needs a value" in p.stderr
    capsa("rm", "pfx")


def test_completion_bash_from_the_tables(capsa, tmp_path):
    import subprocess
    p = capsa("completion", "bash")
    script = tmp_path / "capsa.bash"
    script.write_text(p.stdout)
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    run_line = next(l for l in p.stdout.splitlines() if l.strip().startswith('"run")'))
    for flag in ("--privileged", "--detach", "-d", "--publish", "--cpu-quota"):
        assert f" {flag} " in run_line + " ", flag
    assert '"volume create")' in p.stdout and '"network connect")' in p.stdout and '"pull")' in p.stdout
    # completing `capsa run --pri`, `capsa vol`, `capsa volume create --l` in bash itself
    def complete(*words):
        cmd = (f"source {script}; COMP_WORDS=(capsa {' '.join(words)}); COMP_CWORD={len(words)}; _capsa; "
               'echo "${COMPREPLY[*]}"')
        return subprocess.run(["bash", "-c", cmd], capture_output=True, text=True).stdout.split()
    assert complete("run", "--pri") == ["--privileged"]
    assert complete("--root", "/x", "vol") == ["volume"]
    assert complete("volume", "create", "--l") == ["--label"]
    assert sorted(complete("network", "c")) == ["connect", "create"]
    p = capsa("completion", "tcsh", check=False)
    assert p.returncode == 125 and "bash, zsh or fish" in p.stderr


def test_run_it_detaches_with_ctrl_p_ctrl_q(capsa):
    from test_cli_attach import Term
    t = Term(capsa, "run", "-it", "--name", "it", "busybox", "sh")
    time.sleep(0.5)
    t.type(b"echo hel''lo\r")
    t.expect(b"hello")
    t.type(b"\x10\x11")
    assert t.wait() == 0
    assert capsa.state("it")["Running"] is True  # detached, still running
    capsa("rm", "-f", "it")
    # other keys, and the exit code when it ends by itself
    t = Term(capsa, "run", "-it", "--rm", "--detach-keys", "ctrl-x", "--name", "it2", "busybox", "sh")
    time.sleep(0.5)
    t.type(b"\x18")
    assert t.wait() == 0
    capsa("rm", "-f", "it2")
    t = Term(capsa, "run", "-it", "--rm", "busybox", "sh", "-c", "read x; echo got-$x; exit 4")
    time.sleep(0.5)
    t.type(b"abc\r")
    t.expect(b"got-abc")
    assert t.wait() == 4
