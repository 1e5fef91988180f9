"""The command line itself: version, help, spec, features, global flags, the error log, bad input."""
import json
import re
import subprocess

from conftest import OCI, Runtime, new_id


def run(*args, **kw):
    return subprocess.run([str(OCI), *map(str, args)], capture_output=True, text=True, timeout=30, **kw)


def test_version_lines():
    p = run("--version")
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert re.fullmatch(r"capsa-oci version \d+\.\d+\.\d+", lines[0])
    assert re.fullmatch(r"spec: 1\.2\.\d+", lines[1])


def test_help_lists_every_command():
    p = run("--help")
    assert p.returncode == 0
    for c in ["create", "start", "run", "state", "kill", "delete", "list", "spec", "features", "pause", "resume",
              "update", "ps", "events"]:
        assert re.search(rf"^\s+{c}\s", p.stdout, re.M), c
    assert "--root" in p.stdout and "--log-format" in p.stdout
    p = run("create", "--help")
    assert p.returncode == 0 and "--console-socket" in p.stdout and "--pid-file" in p.stdout


def test_usage_errors():
    p = run("bogus")
    assert p.returncode != 0 and "unknown command `bogus`" in p.stderr and "capsa-oci --help" in p.stderr
    p = run("--bogus", "list")
    assert p.returncode != 0 and "--bogus" in p.stderr
    p = run("--log-format", "xml", "list")
    assert p.returncode != 0 and "xml" in p.stderr
    p = run("start")
    assert p.returncode != 0 and "requires exactly 1 argument" in p.stderr
    p = run("create", "--preserve-fds", "lots", "x")
    assert p.returncode != 0 and "--preserve-fds" in p.stderr


def test_systemd_cgroup_is_refused_clearly(oci, bundle):
    p = oci("run", "-b", bundle.write().path, new_id(), globals_=["--systemd-cgroup"], check=False)
    assert p.returncode != 0
    assert "systemd is not running" in p.stderr


def test_spec_writes_a_config_that_runs(tmp_path, oci, bundle):
    p = run("spec", "--bundle", tmp_path)
    assert p.returncode == 0
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["ociVersion"].startswith("1.2")
    types = {n["type"] for n in cfg["linux"]["namespaces"]}
    assert {"pid", "network", "ipc", "uts", "mount"} <= types
    p = run("spec", "--bundle", tmp_path)
    assert p.returncode != 0 and "exists" in p.stderr
    # the default spec runs our rootfs once it asks for no terminal and the probe
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["/probe", "hostname"]
    bundle.config = cfg
    assert oci.run_json(bundle)["hostname"] == cfg["hostname"]


def test_spec_rootless(tmp_path):
    p = run("spec", "--rootless", "--bundle", tmp_path)
    assert p.returncode == 0
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert any(n["type"] == "user" for n in cfg["linux"]["namespaces"])
    assert cfg["linux"]["uidMappings"] and cfg["linux"]["gidMappings"]
    assert not any(n["type"] == "network" for n in cfg["linux"]["namespaces"])


def test_features():
    p = run("features")
    assert p.returncode == 0
    f = json.loads(p.stdout)
    assert f["ociVersionMin"].startswith("1.") and f["ociVersionMax"].startswith("1.2")
    assert set(f["linux"]["namespaces"]) >= {"cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time"}
    assert "bind" in f["mountOptions"] and "rbind" in f["mountOptions"]
    assert f["linux"]["cgroup"]["v1"] and f["linux"]["cgroup"]["v2"] and not f["linux"]["cgroup"]["systemd"]
    # what the config parser honours (idmapped mounts, every hook kind, seccomp's actions)
    assert {"idmap", "ridmap"} <= set(f["mountOptions"]) and f["linux"]["mountExtensions"]["idmap"]["enabled"]
    assert len(f["hooks"]) == 6 and f["linux"]["seccomp"]["enabled"] and "SCMP_ACT_NOTIFY" in f["linux"]["seccomp"]["actions"]


def test_malformed_config_names_file_line_column(oci, bundle):
    (bundle.path / "config.json").write_text('{\n  "ociVersion": "1.2.0",\n  "process": {"args": [1,}\n}\n')
    p = oci("run", "-b", bundle.path, new_id(), check=False)
    assert p.returncode != 0
    assert f"{bundle.path}/config.json: line 3, column" in p.stderr


def test_semantic_config_errors_name_the_json_path(oci, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "bogus"})
    p = oci("run", "-b", bundle.write().path, new_id(), check=False)
    assert p.returncode != 0
    assert "linux.namespaces[7].type" in p.stderr and "bogus" in p.stderr


def test_json_log_holds_exactly_one_error_object(oci, bundle, workdir):
    log = workdir / "log.json"
    bundle.args("/no/such/binary")
    p = oci("run", "-b", bundle.write().path, new_id(), globals_=["--log", log, "--log-format", "json"],
            check=False)
    assert p.returncode != 0
    lines = log.read_text().splitlines()
    assert len(lines) == 1, lines
    obj = json.loads(lines[0])
    assert obj["level"] == "error"
    assert "/no/such/binary" in obj["msg"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", obj["time"])
    assert "capsa-oci: " in p.stderr  # and the caller's stderr still says it


def test_text_log_is_logrus_like(oci, workdir):
    log = workdir / "log.txt"
    p = oci("state", "nope", globals_=["--log", log], check=False)
    assert p.returncode != 0
    line = log.read_text().strip()
    assert re.fullmatch(r'time="[^"]+" level=error msg="container `nope` does not exist"', line), line


def test_debug_log(oci, workdir):
    log = workdir / "debug.json"
    oci("list", globals_=["--log", log, "--log-format", "json", "--debug"])
    levels = [json.loads(l)["level"] for l in log.read_text().splitlines()]
    assert "debug" in levels


def test_default_root_is_run_capsa_oci(bundle):
    """Without --root, root's state lives in /run/capsa-oci."""
    cid = new_id()
    bundle.args("/probe", "sleep", "30").write()
    p = subprocess.run([str(OCI), "run", "-d", "-b", bundle.path, cid], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    try:
        assert p.returncode == 0
        st = json.loads(run("state", cid).stdout)
        assert st["status"] == "running"
        import os
        assert os.path.isdir(f"/run/capsa-oci/{cid}")
    finally:
        run("delete", "--force", cid)
    assert run("state", cid).returncode != 0
