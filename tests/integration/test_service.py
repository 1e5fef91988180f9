"""`capsa system service`: the Docker Engine API on a socket.  The socket, version negotiation,
docker's errors, the 501 answer for what is not served, volumes, networks and the containers'
lifecycle, through the real docker 20.10 CLI and plain HTTP (for exact statuses)."""
import http.client
import io
import json
import os
import socket
import stat
import subprocess
import tarfile
import time

import pytest

from service_fixtures import CAPSA, DOCKER, needs_docker, needs_service, service_running

pytestmark = needs_service


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.path)


def api(svc, method, path, body=None, headers=None):
    """(status, parsed JSON or text, headers) of one request."""
    c = UnixHTTP(str(svc.sock))
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    hdrs = {"Content-Type": "application/json"} if isinstance(body, (dict, list)) else {}
    hdrs.update(headers or {})
    c.request(method, path, body=data, headers=hdrs)
    r = c.getresponse()
    raw = r.read().decode()
    c.close()
    try:
        return r.status, json.loads(raw), r.headers
    except ValueError:
        return r.status, raw, r.headers


@pytest.fixture(scope="module")
def svc():
    with service_running() as s:
        yield s


def test_ping_version_and_negotiation(svc):
    st, body, h = api(svc, "GET", "/_ping")
    assert (st, body, h["Api-Version"]) == (200, "OK", "1.41")
    st, body, _ = api(svc, "HEAD", "/_ping")
    assert st == 200
    st, v, _ = api(svc, "GET", "/v1.41/version")
    assert st == 200 and v["ApiVersion"] == "1.41" and v["MinAPIVersion"] == "1.24" and v["Os"] == "linux"
    st, v, _ = api(svc, "GET", "/v1.24/version")
    assert st == 200
    st, e, _ = api(svc, "GET", "/v1.99/version")
    assert st == 400 and e["message"] == "client version 1.99 is too new. Maximum supported API version is 1.41"
    st, e, _ = api(svc, "GET", "/v1.12/version")
    assert st == 400 and "too old" in e["message"]


@needs_docker
def test_docker_cli_version_and_info(svc):
    p = svc.docker("version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}")
    assert p.stdout.split() == ["0.1.0", "1.41"]
    info = json.loads(svc.docker("info", "--format", "{{json .}}").stdout)
    assert info["DockerRootDir"] == str(svc.root) and info["OSType"] == "linux"
    assert info["Images"] == 1 and info["Containers"] == 0


def test_a_newer_client_negotiates_down(svc):
    """A docker CLI newer than 1.41 (docker 28 speaks 1.50) asks /_ping, then talks 1.41."""
    newer = "/usr/local/bin/docker"
    if not os.path.exists(newer):
        pytest.skip("no newer docker CLI in /usr/local/bin to negotiate down")
    p = subprocess.run([newer, "version", "--format", "{{.Client.APIVersion}} {{.Server.APIVersion}}"],
                       capture_output=True, text=True, env=svc.env(), timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[1] == "1.41"


def test_errors_are_dockers(svc):
    st, e, h = api(svc, "GET", "/v1.41/swarm")
    assert st == 501 and "GET /swarm" in e["message"] and h["Content-Type"] == "application/json"
    st, e, _ = api(svc, "GET", "/v1.41/no/such/path/here")
    assert st == 404 and e["message"] == "page not found"
    st, e, _ = api(svc, "POST", "/v1.41/containers/nosuch/start")
    assert st == 404 and e["message"] == "No such container: nosuch"
    st, e, _ = api(svc, "POST", "/v1.41/volumes/create", body=b"{not json")
    assert st == 400 and "invalid JSON" in e["message"]
    st, e, _ = api(svc, "POST", "/v1.41/volumes/create", body=b"x" * (17 << 20))
    assert st == 413
    st, e, _ = api(svc, "POST", "/v1.41/containers/nosuch/kill?signal=SIGNOPE")
    assert st == 400 and "Invalid signal" in e["message"]


@needs_docker
def test_volumes(svc):
    assert svc.docker("volume", "create", "--label", "k=v", "data").stdout.strip() == "data"
    v = json.loads(svc.docker("volume", "inspect", "data").stdout)[0]
    assert v["Name"] == "data" and v["Driver"] == "local" and v["Labels"] == {"k": "v"}
    assert v["Mountpoint"] == str(svc.root / "volumes" / "data" / "_data")
    assert "data" in svc.docker("volume", "ls", "-q", "--filter", "label=k=v").stdout.split()
    assert svc.docker("volume", "ls", "-q", "--filter", "label=k=other").stdout.strip() == ""
    p = svc.docker("volume", "create", "-d", "nfs", "x", check=False)
    assert p.returncode != 0 and "only the local driver" in p.stderr
    assert svc.docker("volume", "rm", "data").stdout.strip() == "data"
    p = svc.docker("volume", "inspect", "data", check=False)
    assert p.returncode != 0 and "no such volume" in p.stderr.lower()
    anon = svc.docker("volume", "create").stdout.strip()
    assert len(anon) == 64
    assert anon in svc.docker("volume", "prune", "-f").stdout


@needs_docker
def test_networks(svc):
    nid = svc.docker("network", "create", "--subnet", "10.213.7.0/24", "svcnet").stdout.strip()
    assert len(nid) == 64
    try:
        n = json.loads(svc.docker("network", "inspect", "svcnet").stdout)[0]
        assert n["Id"] == nid and n["Driver"] == "bridge" and n["Scope"] == "local"
        assert n["IPAM"]["Config"] == [{"Subnet": "10.213.7.0/24", "Gateway": "10.213.7.1"}]
        assert json.loads(svc.docker("network", "inspect", nid[:12]).stdout)[0]["Name"] == "svcnet"
        names = svc.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
        assert {"svcnet", "host", "none"} <= set(names)
        p = svc.docker("network", "create", "svcnet", check=False)
        assert p.returncode != 0 and "already exists" in p.stderr
        p = svc.docker("network", "create", "-d", "overlay", "ov", check=False)
        assert p.returncode != 0 and "only bridge networks" in p.stderr
        # docker network connect / disconnect of a running container, with an alias
        svc.docker("run", "-d", "--name", "joiner", "--network", "none", "busybox", "sleep", "100")
        svc.docker("network", "connect", "--alias", "jj", "svcnet", "joiner")
        n = json.loads(svc.docker("network", "inspect", "svcnet").stdout)[0]
        assert [c["Name"] for c in n["Containers"].values()] == ["joiner"]
        addr = list(n["Containers"].values())[0]["IPv4Address"]
        assert addr.startswith("10.213.7.") and addr.endswith("/24")
        p = svc.docker("exec", "joiner", "ip", "-o", "-4", "addr")
        assert addr.split("/")[0] in p.stdout
        p = svc.docker("network", "rm", "svcnet", check=False)
        assert p.returncode != 0 and "active endpoints" in p.stderr
        svc.docker("network", "disconnect", "svcnet", "joiner")
        assert json.loads(svc.docker("network", "inspect", "svcnet").stdout)[0]["Containers"] == {}
    finally:
        svc.docker("rm", "-f", "joiner", check=False)
        svc.docker("network", "rm", "svcnet", check=False)
    p = svc.docker("network", "inspect", "svcnet", check=False)
    assert p.returncode != 0 and "no such network" in p.stderr.lower()
    p = svc.docker("network", "rm", "host", check=False)
    assert p.returncode != 0 and "pre-defined" in p.stderr


@needs_docker
def test_lifecycle_of_a_container(svc):
    """start, pause, unpause, top, kill, wait, restart, stop, rename, rm: docker's CLI over the API on a
    container capsa created in the same store."""
    cid = svc.capsa("create", "--name", "life", "busybox", "sleep", "1000").stdout.strip()
    assert svc.docker("start", "life").stdout.strip() == "life"
    st, _, _ = api(svc, "POST", "/v1.41/containers/life/start")
    assert st == 304  # already running
    svc.docker("pause", "life")
    st, e, _ = api(svc, "POST", "/v1.41/containers/life/pause")
    assert st == 409
    svc.docker("unpause", "life")
    top = svc.docker("top", "life").stdout
    assert "sleep 1000" in top and "PID" in top
    p = svc.docker("rm", "life", check=False)
    assert p.returncode != 0 and "cannot remove a running container" in p.stderr
    svc.docker("kill", "life")  # (sleep as PID 1 ignores SIGTERM, as under docker)
    assert svc.docker("wait", "life").stdout.strip() == "137"
    svc.docker("restart", "-t", "1", "life")
    svc.docker("stop", "-t", "1", "life")
    st, _, _ = api(svc, "POST", "/v1.41/containers/life/stop")
    assert st == 304
    svc.docker("rename", "life", "life2")
    p = svc.capsa("inspect", "life2")
    assert json.loads(p.stdout)[0]["Id"] == cid
    svc.docker("rm", "life2")
    assert svc.capsa("ps", "-a", "-q").stdout.strip() == ""


def test_wait_answers_headers_at_once(svc):
    """The docker CLI posts wait before start and needs the headers first: they must not wait for the
    exit.  condition=next-exit returns after the start that follows."""
    svc.capsa("create", "--name", "w", "busybox", "sh", "-c", "sleep 0.3; exit 7")
    c = UnixHTTP(str(svc.sock))
    c.request("POST", "/v1.41/containers/w/wait?condition=next-exit")
    r = c.getresponse()  # returns as soon as the headers came
    assert r.status == 200
    assert api(svc, "POST", "/v1.41/containers/w/start")[0] == 204
    assert json.loads(r.read()) == {"Error": None, "StatusCode": 7}
    c.close()
    st, e, _ = api(svc, "POST", "/v1.41/containers/w/wait?condition=bogus")
    assert st == 400
    svc.capsa("rm", "w")


def test_socket_mode_stale_and_live(svc, tmp_path):
    assert stat.S_IMODE(os.stat(svc.sock).st_mode) == 0o660
    # a second service on the same socket is refused while the first listens
    p = subprocess.run([str(CAPSA), "--root", str(svc.root), "system", "service", svc.uri], capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 125 and "another service listens there" in p.stderr
    # a stale socket (nobody listens) is replaced; --time 1 makes it exit once idle
    stale = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(stale))
    s.close()
    t0 = time.time()
    p = subprocess.run([str(CAPSA), "--root", str(svc.root), "system", "service", "--time", "1", f"unix://{stale}"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    assert 0.9 < time.time() - t0 < 10
    assert not stale.exists()  # removed when it ended


def test_tcp_beyond_loopback_is_refused(svc):
    p = subprocess.run([str(CAPSA), "--root", str(svc.root), "system", "service", "tcp://0.0.0.0:23750"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 125 and "not a loopback address" in p.stderr and "--tcp-any" in p.stderr
    p = subprocess.run([str(CAPSA), "--root", str(svc.root), "system", "service", "ftp://x"], capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 125 and "unix:///PATH or tcp://HOST:PORT" in p.stderr


def test_tcp_loopback(svc):
    port = 23751
    proc = subprocess.Popen([str(CAPSA), "--root", str(svc.root), "system", "service", "--time", "0",
                             f"tcp://127.0.0.1:{port}"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/_ping")
                assert c.getresponse().read() == b"OK"
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError("no answer on tcp")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # tcp has no permissions: every local user may connect, and is root through the API
    assert "every user of this host can connect" in proc.stderr.read()


def test_help(svc):
    p = subprocess.run([str(CAPSA), "system", "service", "--help"], capture_output=True, text=True, timeout=20)
    assert p.returncode == 0 and "Docker Engine API" in p.stdout and "--time" in p.stdout
    p = subprocess.run([str(CAPSA), "system", "--help"], capture_output=True, text=True, timeout=20)
    assert "service" in p.stdout
    assert DOCKER  # (the import is used by the marks above)


@needs_docker
def test_run_detached_ps_inspect(svc):
    cid = svc.docker("run", "-d", "--name", "web", "-l", "tier=front", "-e", "A=1", "-p", "127.0.0.1:18091:80",
                     "busybox", "httpd", "-f", "-p", "80").stdout.strip()
    try:
        assert len(cid) == 64
        svc.docker("create", "--name", "idle", "busybox", "true")
        rows = svc.docker("ps", "--format", "{{.ID}}|{{.Names}}|{{.Image}}|{{.Status}}|{{.Ports}}").stdout.splitlines()
        assert len(rows) == 1
        id12, name, image, status, ports = rows[0].split("|")
        assert (id12, name, image) == (cid[:12], "web", "busybox") and status.startswith("Up ")
        assert ports == "127.0.0.1:18091->80/tcp"
        names = svc.docker("ps", "-a", "--format", "{{.Names}}").stdout.split()
        assert names == ["idle", "web"]  # newest first
        assert svc.docker("ps", "-aq", "--filter", "label=tier=front").stdout.split() == [cid[:12]]
        assert svc.docker("ps", "-aq", "--filter", "status=created").stdout.split() != []
        assert svc.docker("ps", "-aq", "--filter", "name=nope").stdout.strip() == ""
        f = "{{.Name}} {{.State.Status}} {{.State.Running}} {{.Config.Image}} {{index .Config.Labels \"tier\"}}"
        assert svc.docker("inspect", "-f", f, "web").stdout.split() == ["/web", "running", "true", "busybox", "front"]
        env = json.loads(svc.docker("inspect", "-f", "{{json .Config.Env}}", "web").stdout)
        assert "A=1" in env
        # what the service created, the CLI sees: one engine, one store
        assert "web" in svc.capsa("ps", "--format", "{{.Names}}").stdout
        # the published port answers
        out = subprocess.run(["/bin/busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:18091/"], capture_output=True,
                             timeout=10)
        assert out.returncode in (0, 1)  # (httpd answers 404 for /: the connection itself is what counts)
    finally:
        svc.docker("rm", "-f", "web", "idle", check=False)
    p = svc.docker("container", "inspect", "web", check=False)
    assert p.returncode != 0 and "No such container: web" in p.stderr


@needs_docker
def test_create_errors(svc):
    svc.docker("create", "--name", "dup", "busybox", "true")
    try:
        p = svc.docker("create", "--name", "dup", "busybox", "true", check=False)
        assert p.returncode != 0 and "already in use" in p.stderr
        st, e, _ = api(svc, "POST", "/v1.41/containers/create", body={"Image": "nosuchimage:1"})
        assert st == 404 and e["message"] == "No such image: nosuchimage:1"
        st, e, _ = api(svc, "POST", "/v1.41/containers/create", body={"Image": "busybox", "HostConfig": {"Memory": "x"}})
        assert st == 400 and "Memory" in e["message"]
        st, e, _ = api(svc, "POST", "/v1.41/containers/create", body={"Image": "busybox",
                                                                         "HostConfig": {"BlkioWeightDevice": [
                                                                             {"Path": "/dev/null", "Weight": 10}]}})
        assert st == 400 and "BlkioWeightDevice" in e["message"]
        st, e, _ = api(svc, "POST", "/v1.41/containers/create?name=bad%20name", body={"Image": "busybox"})
        assert st == 400
        assert svc.capsa("ps", "-a", "--format", "{{.Names}}").stdout.split() == ["dup"]  # nothing else made
    finally:
        svc.docker("rm", "dup")


@needs_docker
def test_cp_and_export(svc, tmp_path):
    svc.docker("run", "-d", "--name", "files", "busybox", "sh", "-c", "echo data > /tmp/f; sleep 100")
    try:
        for _ in range(100):
            if svc.docker("cp", "files:/tmp/f", str(tmp_path / "f"), check=False).returncode == 0:
                break
            time.sleep(0.05)
        assert (tmp_path / "f").read_text() == "data\n"
        p = subprocess.run([str(DOCKER), "cp", "files:/etc", "-"], capture_output=True, env=svc.env(), timeout=30)
        assert p.returncode == 0 and b"etc/passwd" in p.stdout
        p = svc.docker("cp", "files:/no/such", str(tmp_path / "x"), check=False)
        assert p.returncode != 0 and "No such container:path: files:/no/such" in p.stderr  # (as with dockerd)
        # and into it: a file, a directory
        (tmp_path / "in.txt").write_text("from the host\n")
        (tmp_path / "d").mkdir()
        (tmp_path / "d" / "x").write_text("x\n")
        svc.docker("cp", str(tmp_path / "in.txt"), "files:/tmp/")
        svc.docker("cp", str(tmp_path / "d"), "files:/tmp/d")
        svc.docker("cp", "files:/tmp/in.txt", str(tmp_path / "back.txt"))
        assert (tmp_path / "back.txt").read_text() == "from the host\n"
        svc.docker("cp", "files:/tmp/d/x", str(tmp_path / "x2"))
        assert (tmp_path / "x2").read_text() == "x\n"
        p = svc.docker("cp", str(tmp_path / "in.txt"), "files:/no/dir/", check=False)
        assert p.returncode != 0
        out = tmp_path / "rootfs.tar"
        svc.docker("export", "-o", str(out), "files")
        names = subprocess.run(["tar", "tf", str(out)], capture_output=True, text=True, check=True).stdout.split()
        assert "./bin/busybox" in names and not any(n.startswith("./proc/") and n != "./proc/" for n in names)
    finally:
        svc.docker("rm", "-f", "files")


@needs_docker
def test_containers_outlive_the_service(svc):
    """Daemonless: a container keeps running when the service stops, and a new service sees it."""
    svc.docker("run", "-d", "--name", "longlived", "busybox", "sleep", "100")
    try:
        svc.stop()
        assert "longlived" in svc.capsa("ps", "--format", "{{.Names}}").stdout
        svc.start()
        assert svc.docker("ps", "--format", "{{.Names}}").stdout.split() == ["longlived"]
    finally:
        svc.docker("rm", "-f", "longlived")


@needs_docker
def test_logs(svc):
    svc.docker("run", "-d", "--name", "talk", "busybox", "sh", "-c",
               "echo out1; echo err1 >&2; sleep 0.5; echo out2")
    try:
        p = svc.docker("logs", "-f", "talk", timeout=30)  # -f ends when the container does
        assert p.stdout == "out1\nout2\n" and p.stderr == "err1\n"
        p = svc.docker("logs", "--tail", "1", "talk")
        assert p.stdout + p.stderr == "out2\n"
        p = svc.docker("logs", "-t", "talk")
        first = p.stdout.splitlines()[0]
        assert first.endswith(" out1") and first[:4].isdigit() and "T" in first.split()[0]
        assert svc.docker("logs", "--since", "2099-01-01T00:00:00Z", "talk").stdout == ""
        st, e, _ = api(svc, "GET", "/v1.41/containers/talk/logs")
        assert st == 400 and "at least one stream" in e["message"]
        for bad in ("x", "-3"):
            st, e, _ = api(svc, "GET", f"/v1.41/containers/talk/logs?stdout=1&tail={bad}")
            assert st == 400 and "tail" in e["message"], (bad, e)
        for bad in ("yesterday", "99999999999999999", "99999999999h"):
            st, e, _ = api(svc, "GET", f"/v1.41/containers/talk/logs?stdout=1&since={bad}")
            assert st == 400 and "since" in e["message"], (bad, e)
        # a terminal's output comes raw, not framed
        svc.docker("run", "-d", "-t", "--name", "tty", "busybox", "echo", "on a tty")
        time.sleep(0.5)
        assert svc.docker("logs", "tty", text=False).stdout == b"on a tty\r\n"
        assert svc.capsa("logs", "talk").stdout == "out1\nout2\n"  # the CLI reads the same log
    finally:
        svc.docker("rm", "-f", "talk", "tty", check=False)


@needs_docker
def test_stats_and_update(svc):
    svc.docker("run", "-d", "--name", "busy", "busybox", "sh", "-c", "while :; do :; done")
    try:
        row = svc.docker("stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.PIDs}} {{.MemUsage}}").stdout
        name, cpu, pids, *_ = row.split()
        assert name == "busy" and pids == "1"
        assert float(cpu.rstrip("%")) > 20  # a busy loop, over the second dockerd measures too
        st, one, _ = api(svc, "GET", "/v1.41/containers/busy/stats?stream=false&one-shot=true")
        assert st == 200 and one["id"] and one["memory_stats"]["usage"] > 0 and "eth0" in one["networks"]
        svc.docker("update", "-m", "64m", "--cpus", "0.5", "busy")
        hc = json.loads(svc.docker("inspect", "-f", "{{json .HostConfig}}", "busy").stdout)
        assert hc["Memory"] == 64 << 20 and hc["NanoCpus"] == 500000000
        p = svc.docker("update", "--restart", "always", "busy", check=False)
        assert p.returncode != 0 and "RestartPolicy" in p.stderr
    finally:
        svc.docker("rm", "-f", "busy")


@needs_docker
def test_stop_with_streams_open(svc):
    """SIGTERM ends the service at once even while clients follow logs, wait and stats of a running
    container (the streams end; the container runs on)."""
    svc.docker("run", "-d", "--network", "none", "--name", "streamed", "busybox", "sleep", "100")
    procs = [subprocess.Popen([str(DOCKER), *a, "streamed"], env=svc.env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for a in (("logs", "-f"), ("wait",), ("stats",))]
    try:
        time.sleep(1.5)
        t0 = time.time()
        svc.stop()
        assert time.time() - t0 < 5
        assert "streamed" in svc.capsa("ps", "--format", "{{.Names}}").stdout
    finally:
        for p in procs:
            p.kill()
            p.wait()
        svc.start()
        svc.docker("rm", "-f", "streamed")


def test_wait_right_after_a_fast_exit(svc):
    """start, then wait at once on a container that exits at once: its code, even when the wait comes
    between the exit and its record (run.json is written by the monitor a moment later)."""
    for i in range(5):
        st, made, _ = api(svc, "POST", "/v1.41/containers/create",
                          body={"Image": "busybox", "Cmd": ["sh", "-c", "exit 3"], "HostConfig": {"NetworkMode": "none"}})
        assert st == 201, made
        assert api(svc, "POST", f"/v1.41/containers/{made['Id']}/start")[0] == 204
        st, w, _ = api(svc, "POST", f"/v1.41/containers/{made['Id']}/wait")
        assert (st, w) == (200, {"Error": None, "StatusCode": 3}), (i, w)
        assert api(svc, "DELETE", f"/v1.41/containers/{made['Id']}")[0] == 204


@needs_docker
def test_docker_run_attached(svc):
    """docker run in the foreground: create, attach, wait, start through the API; output, stderr apart,
    the exit code, --rm leaving nothing, stdin piped with -i (StdinOnce), the image pulled... (not
    here: no registry)."""
    p = svc.docker("run", "--rm", "--network", "none", "busybox", "sh", "-c", "echo out; echo err >&2; exit 5",
                   check=False)
    assert (p.returncode, p.stdout, p.stderr) == (5, "out\n", "err\n")
    p = svc.docker("run", "--rm", "-i", "--network", "none", "busybox", "cat", input="piped in\n", check=False)
    assert (p.returncode, p.stdout) == (0, "piped in\n"), p.stderr
    # a program that is not there: 127 as with dockerd (capsa's create runs the runtime's create at
    # once, so it is create's 400, with runc's words: the docker CLI maps them to 127 too)
    p = svc.docker("run", "--rm", "--network", "none", "busybox", "/no/such", check=False)
    assert p.returncode == 127 and "/no/such" in p.stderr and "Pulling" not in p.stderr, p.stderr
    assert svc.capsa("ps", "-aq").stdout.strip() == ""  # --rm removed them all
    p = svc.docker("run", "--name", "kept", "--network", "none", "busybox", "echo", "kept")
    assert p.stdout == "kept\n"
    assert svc.docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "kept").stdout.split() == ["exited", "0"]
    svc.docker("rm", "kept")
    p = svc.docker("run", "--rm", "busybox", "sh", "-c", "ip -o -4 addr show eth0")  # the default bridge
    assert " eth0 " in p.stdout and "inet " in p.stdout


@needs_docker
def test_diff(svc):
    """docker diff: what a container changed in its image (A added, C changed, D deleted), as docker
    prints it."""
    svc.docker("run", "--name", "changer", "--network", "none", "busybox", "sh", "-c",
               "echo new > /root/new; rm /etc/group; echo more >> /etc/passwd; mkdir -p /tmp/d/e")
    try:
        lines = svc.docker("diff", "changer").stdout.splitlines()
        assert "A /root/new" in lines and "D /etc/group" in lines and "C /etc/passwd" in lines
        assert "C /etc" in lines and "A /tmp/d" in lines and "A /tmp/d/e" in lines
        assert lines == sorted(lines, key=lambda l: l[2:])
        assert svc.capsa("diff", "changer").stdout.splitlines() == lines  # capsa diff: the same
    finally:
        svc.docker("rm", "changer")


@needs_docker
def test_diff_never_looks_at_the_host(svc, tmp_path):
    """An image whose layer has a symlink to / (`hostlink`): a container that puts a directory there
    with a file the host has (/usr/sbin/ip) but the image does not.  diff compares against the layer
    as the container saw it, inside the layer: the file is added, not "changed" because the host has
    one (the host's files are never looked at)."""
    assert os.path.exists("/usr/sbin/ip")
    r = tmp_path / "rootfs"
    (r / "bin").mkdir(parents=True)
    subprocess.run(["cp", "/bin/busybox", str(r / "bin" / "busybox")], check=True)
    for a in ("sh", "mkdir", "rm", "touch"):
        os.symlink("busybox", r / "bin" / a)
    os.symlink("/", r / "hostlink")
    svc.capsa("import", r, "linky")
    svc.docker("run", "--name", "linker", "--network", "none", "linky", "/bin/sh", "-c",
               "rm /hostlink; mkdir -p /hostlink/usr/sbin; touch /hostlink/usr/sbin/ip")
    try:
        lines = svc.docker("diff", "linker").stdout.splitlines()
        assert "A /hostlink/usr/sbin/ip" in lines and "C /hostlink/usr/sbin/ip" not in lines, lines
        assert "A /hostlink/usr" in lines, lines
    finally:
        svc.docker("rm", "linker")
        svc.docker("rmi", "linky")


def test_other_users_cannot_reach_the_socket(svc):
    """The unix socket is root's (0660): an unprivileged user of the host cannot connect to it."""
    p = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "/usr/bin/python3", "-c",
                        f"import socket; s = socket.socket(socket.AF_UNIX); s.connect({str(svc.sock)!r})"],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode != 0 and "PermissionError" in p.stderr, p.stderr


@needs_docker
def test_archive_stays_in_the_container(svc, tmp_path):
    """docker cp through the API cannot reach the host: a path through a symlink the container made
    (to /) is resolved inside the container, and a tar uploaded with `..` or absolute members is
    refused, writing nothing on the host."""
    marker = tmp_path / "host-only-marker"
    marker.write_text("host\n")
    svc.docker("run", "-d", "--name", "boxer", "--network", "none", "busybox", "sh", "-c",
               "ln -s / /tmp/hostroot; sleep 100")
    try:
        for _ in range(100):
            if svc.docker("exec", "boxer", "test", "-L", "/tmp/hostroot", check=False).returncode == 0:
                break
            time.sleep(0.05)
        p = svc.docker("cp", f"boxer:/tmp/hostroot{marker}", str(tmp_path / "got"), check=False)
        assert p.returncode != 0 and not (tmp_path / "got").exists(), p.stdout
        for name in ("../../../../../../" + str(marker.parent / "escaped").lstrip("/"), str(tmp_path / "abs")):
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w") as t:
                info = tarfile.TarInfo(name)
                info.size = 4
                t.addfile(info, io.BytesIO(b"pwn\n"))
            st, e, _ = api(svc, "PUT", "/v1.41/containers/boxer/archive?path=/tmp", body=buf.getvalue(),
                           headers={"Content-Type": "application/x-tar"})
            assert st == 400, (name, st, e)
        assert not (tmp_path / "escaped").exists() and not (tmp_path / "abs").exists()
    finally:
        svc.docker("rm", "-f", "boxer")
