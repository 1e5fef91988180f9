"""`capsa inspect --isolation`: how isolated a running container is, read live from the kernel.
Uses test_cli_run's `capsa` fixture (a temp --root, an offline busybox image, the leak check)."""
import json
import os

from test_cli_run import capsa  # noqa: F401  (the fixture)

DOCKER_CAPS = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
               "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
               "CAP_AUDIT_WRITE"}


def _run(capsa, name, *flags):
    cid = capsa("run", "-d", "--name", name, *flags, "busybox", "sleep", "1000").stdout.strip()
    capsa.ids = getattr(capsa, "ids", []) + [cid]
    return cid


def _iso(capsa, name):
    out = json.loads(capsa("inspect", "--isolation", "--format", "json", name).stdout)
    assert isinstance(out, list) and len(out) == 1
    return out[0]


def _ns_ino(path):
    return f"{os.path.basename(path)}:[{os.stat(path).st_ino}]"


def _own_capbnd():
    with open("/proc/self/status") as f:
        v = int(next(l for l in f if l.startswith("CapBnd:")).split()[1], 16)
    return v


def test_default_container(capsa):
    _run(capsa, "iso")
    r = _iso(capsa, "iso")
    pid = capsa.state("iso")["Pid"]
    assert r["Pid"] == pid and r["Name"] == "iso"
    ns = r["Namespaces"]
    assert set(ns) == {"pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time"}
    for name in ("pid", "net", "mnt", "ipc", "uts", "cgroup"):
        assert ns[name]["shared"] is False and ns[name]["state"] == "private", (name, ns[name])
        assert ns[name]["container"] == os.readlink(f"/proc/{pid}/ns/{name}")
        assert ns[name]["host"] == os.readlink(f"/proc/self/ns/{name}")
    # no user namespace by default: said so, and the map is the identity
    assert ns["user"]["shared"] is True and "SHARED" in ns["user"]["state"]
    assert "container root is host root" in ns["user"]["note"]
    assert r["UserMapping"]["identity"] is True
    assert r["UserMapping"]["uidMap"] == [[0, 0, 4294967295]]
    # the time namespace is whatever the kernel says; shared-with-host agrees with it
    assert r["SharedWithHost"]["time"] == ns["time"]["shared"]
    assert r["SharedWithHost"]["hostNetwork"] is False
    assert r["SharedWithHost"]["kernel"] == os.uname().release
    sec = r["Security"]
    assert sec["Seccomp"] == 2 and sec["SeccompMode"] == "filter"
    if sec["SeccompFilters"] is not None:
        assert sec["SeccompFilters"] >= 1
    assert set(sec["CapBnd"]) == DOCKER_CAPS and len(sec["CapBnd"]) == 14
    assert set(sec["CapEff"]) == DOCKER_CAPS
    assert sec["NoNewPrivs"] is False and sec["FullCapabilities"] is False
    # masked paths: each one of the config, and every one present in the container is masked
    cfg = json.loads((capsa.root / "containers" / capsa.ids[0] / "bundle" / "config.json").read_text())
    assert [m["path"] for m in r["MaskedPaths"]] == cfg["linux"]["maskedPaths"]
    assert all(m["ok"] for m in r["MaskedPaths"]), r["MaskedPaths"]
    assert any(m["state"] == "masked" for m in r["MaskedPaths"])
    assert all(m["ok"] for m in r["ReadonlyPaths"]), r["ReadonlyPaths"]
    assert "/proc/sys" in [m["destination"] for m in r["ReadonlyMounts"]]
    lim = r["Cgroups"]["limits"]
    assert lim["memory"]["limit"] is None and lim["memory"]["text"] == "no limit"
    assert lim["pids"]["limit"] is None
    # the table says the same
    t = capsa("inspect", "--isolation", "iso").stdout
    for line in ("NAMESPACES", "USER MAPPING", "CGROUP LIMITS", "SECURITY", "MASKED PATHS", "SHARED WITH THE HOST"):
        assert line in t
    rows = {l.split()[0]: l for l in t.splitlines() if l.startswith("  ") and l.split()}
    assert rows["pid"].endswith("private")
    assert "SHARED with the host" in rows["user"] and "container root is host root" in rows["user"]
    assert "none: container root is host root" in t
    assert "2 (filter)" in rows["Seccomp"]
    assert rows["CapBnd"].split()[1] == "14:"
    assert rows["NoNewPrivs"].split()[1] == "0"
    capsa("rm", "-f", "iso")


def test_limits_and_no_new_privs(capsa):
    _run(capsa, "lim", "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5",
         "--security-opt", "no-new-privileges")
    r = _iso(capsa, "lim")
    lim = r["Cgroups"]["limits"]
    assert lim["memory"]["limit"] == 64 * 1024 * 1024 and lim["memory"]["text"] == "64MiB"
    assert lim["memory"]["file"].endswith(("memory.limit_in_bytes", "memory.max"))
    assert capsa.ids[0] in lim["memory"]["file"]
    assert lim["pids"]["limit"] == 50
    assert abs(lim["cpu"]["limit"] - 0.5) < 1e-9
    assert r["Security"]["NoNewPrivs"] is True
    t = capsa("inspect", "--isolation", "lim").stdout
    rows = {l.split()[0]: l for l in t.splitlines() if l.startswith("  ") and l.split()}
    assert "64MiB" in rows["memory"] and "50 processes" in rows["pids"] and "0.50 CPUs" in rows["cpu"]
    assert rows["NoNewPrivs"].split()[1] == "1"
    # live, not from the config: an update shows at once
    capsa("update", "--memory", "32m", "lim")
    assert _iso(capsa, "lim")["Cgroups"]["limits"]["memory"]["limit"] == 32 * 1024 * 1024
    capsa("rm", "-f", "lim")


def test_host_network_privileged_and_bind(capsa):
    src = capsa.tmp / "x"
    src.mkdir()
    _run(capsa, "hn", "--network", "host", "--privileged", "-v", f"{src}:/data:ro")
    r = _iso(capsa, "hn")
    assert r["Namespaces"]["net"]["shared"] is True
    assert r["Namespaces"]["net"]["container"] == _ns_ino("/proc/self/ns/net")
    assert r["SharedWithHost"]["hostNetwork"] is True
    sec = r["Security"]
    assert sec["Seccomp"] == 0 and sec["SeccompMode"] == "none"
    own = _own_capbnd()
    assert int(sec["CapBndHex"], 16) & own == own and int(sec["CapEffHex"], 16) & own == own
    assert len(sec["CapBnd"]) == bin(own).count("1") and sec["FullCapabilities"] is True
    binds = {b["destination"]: b for b in r["SharedWithHost"]["binds"]}
    assert binds["/data"]["source"] == str(src) and binds["/data"]["readonly"] is True
    assert binds["/data"]["mode"] == "ro" and binds["/data"]["mounted"] is True
    t = capsa("inspect", "--isolation", "hn").stdout
    assert f"{src} -> /data (ro)" in t
    net = next(l for l in t.splitlines() if l.split()[:1] == ["net"])
    assert "SHARED with the host" in net
    assert "0 (none)" in t and "every capability capsa itself holds" in t
    capsa("rm", "-f", "hn")


def test_stopped_container_and_usage(capsa):
    capsa("create", "--name", "st", "busybox", "true")
    capsa.ids = [c["ID"] for c in capsa.ps()]
    for state in ("created", "exited"):
        assert capsa.state("st")["Status"] == state
        p = capsa("inspect", "--isolation", "st", check=False)
        assert p.returncode == 125 and p.stdout == ""
        assert "container st is not running: isolation is a property of a running container; start it first" \
            in p.stderr
        if state == "created":
            capsa("start", "st")
            assert capsa("wait", "st").stdout.strip() == "0"
    p = capsa("inspect", "--isolation", "nosuch", check=False)
    assert p.returncode == 125 and "nosuch" in p.stderr
    assert "--isolation" in capsa("inspect", "--help").stdout
    capsa("rm", "st")


def test_paused_container_is_still_inspected(capsa):
    _run(capsa, "pz")
    capsa("pause", "pz")
    r = _iso(capsa, "pz")
    assert r["Status"] == "paused" and r["Security"]["Seccomp"] == 2
    capsa("unpause", "pz")
    capsa("rm", "-f", "pz")
