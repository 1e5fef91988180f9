"""docker-compose 1.29 against `capsa system service`: a two-service project (version "3") whose
client reaches web by its service name (the network alias compose gives each container), a
published port, a named volume, environment, depends_on, `ps`, `logs`, `up --scale`, and
`down -v` leaving no container, network or volume; the same steps against a private dockerd
(runc) first."""
import json
import os
import socket
import subprocess
import time
import urllib.request

import pytest

from service_fixtures import COMPOSE, needs_docker, needs_service, service_running
from test_service import api
from test_dockerd import IMAGE, docker  # noqa: F401  (the fixture: a private dockerd 20.10, runc)

pytestmark = [needs_service, needs_docker,
              pytest.mark.skipif(not COMPOSE.exists(), reason="docker-compose 1.29 is not installed")]

PROJECT = "capsademo"

COMPOSE_FILE = """\
version: "3"
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo hello-$$GREETING > /www/index.html && exec httpd -f -p 80 -h /www"]
    environment:
      GREETING: compose
    ports:
      - "127.0.0.1:{port}:80"
    volumes:
      - data:/www
  client:
    image: busybox
    depends_on:
      - web
    command: ["sh", "-c", "until wget -q -O- http://web/; do sleep 0.2; done; echo reached; exec sleep 1000"]
volumes:
  data: {{}}
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Engine:
    """What the test drives: a URI, the docker CLI against it, a temp directory."""

    def __init__(self, uri, docker_cli, tmp):
        self.uri, self.docker, self.tmp = uri, docker_cli, tmp

    def env(self, **extra):
        return dict(os.environ, DOCKER_HOST=self.uri, **extra)


def _compose(svc, path, *args, check=True, timeout=120):
    env = svc.env(COMPOSE_HTTP_TIMEOUT="120")
    p = subprocess.run([str(COMPOSE), "-H", svc.uri, "-p", PROJECT, "-f", str(path), *args], env=env,
                       capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError(f"docker-compose {' '.join(args)} exited {p.returncode}\n"
                             f"stdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def _wait_logs(svc, path, service, text, timeout=20):
    deadline = time.time() + timeout
    while True:
        out = _compose(svc, path, "logs", "--no-color", service).stdout
        if text in out or time.time() > deadline:
            return out
        time.sleep(0.3)


def _project_containers(svc):
    out = svc.docker("ps", "-a", "--filter", f"label=com.docker.compose.project={PROJECT}",
                     "--format", "{{.Names}}").stdout
    return sorted(out.split())


def test_compose_dockerd(docker):  # noqa: F811
    """The same steps against dockerd with runc first: what the test expects is docker's."""
    docker("tag", IMAGE, "busybox:latest")
    _up_ps_logs_scale_down(Engine(docker.env["DOCKER_HOST"], docker, docker.work))


def test_compose_up_ps_logs_scale_down():
    with service_running() as svc:
        _up_ps_logs_scale_down(svc)


def _up_ps_logs_scale_down(svc):
    port = _free_port()
    path = svc.tmp / "docker-compose.yml"
    path.write_text(COMPOSE_FILE.format(port=port))
    try:
        _compose(svc, path, "up", "-d")
        assert _project_containers(svc) == [f"{PROJECT}_client_1", f"{PROJECT}_web_1"]
        ps = _compose(svc, path, "ps").stdout
        assert f"{PROJECT}_web_1" in ps and f"{PROJECT}_client_1" in ps and "Up" in ps, ps
        # the client reached web by its service name
        out = _wait_logs(svc, path, "client", "reached")
        assert "hello-compose" in out and "reached" in out, out
        # the published port, from the host
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
        assert body.strip() == "hello-compose"
        nets = json.loads(svc.docker("network", "inspect", f"{PROJECT}_default").stdout)
        assert nets and nets[0]["Name"] == f"{PROJECT}_default"
        vols = svc.docker("volume", "ls", "-q").stdout.split()
        assert f"{PROJECT}_data" in vols, vols
        # exec in a service's container (-T: no terminal here), its output and exit code
        p = _compose(svc, path, "exec", "-T", "web", "cat", "/www/index.html")
        assert p.stdout.strip() == "hello-compose"
        p = _compose(svc, path, "exec", "-T", "client", "sh", "-c", "wget -q -O- http://web/; exit 3", check=False)
        assert p.returncode == 3 and "hello-compose" in p.stdout, p.stdout + p.stderr
        # a second client, which reaches web too
        _compose(svc, path, "up", "-d", "--scale", "client=2")
        names = _project_containers(svc)
        assert names == [f"{PROJECT}_client_1", f"{PROJECT}_client_2", f"{PROJECT}_web_1"], names
        logs2 = svc.docker("logs", f"{PROJECT}_client_2").stdout
        deadline = time.time() + 20
        while "reached" not in logs2 and time.time() < deadline:
            time.sleep(0.3)
            logs2 = svc.docker("logs", f"{PROJECT}_client_2").stdout
        assert "hello-compose" in logs2, logs2
    finally:
        down = _compose(svc, path, "down", "-v", "-t", "1", check=False)
    assert down.returncode == 0, down.stdout + down.stderr
    assert _project_containers(svc) == []
    assert f"{PROJECT}_default" not in svc.docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    assert f"{PROJECT}_data" not in svc.docker("volume", "ls", "-q").stdout.split()


def test_network_alias_api():
    """Aliases through the service: refused on the default bridge with dockerd's message, nothing
    left (the docker CLI refuses it itself); docker create --network-alias on a user network,
    shown by inspect with the short id (dockerd's)."""
    with service_running() as svc:
        body = {"Image": "busybox", "Cmd": ["true"], "HostConfig": {"NetworkMode": "bridge"},
                "NetworkingConfig": {"EndpointsConfig": {"bridge": {"Aliases": ["x"]}}}}
        status, answer, _ = api(svc, "POST", "/v1.41/containers/create", body)
        assert status == 400, (status, answer)
        assert "network-scoped alias is supported only for containers in user defined networks" in \
            answer["message"], answer
        assert svc.docker("ps", "-aq").stdout.strip() == ""
        svc.docker("network", "create", "anet")
        try:
            cid = svc.docker("create", "--network", "anet", "--network-alias", "db", "busybox", "true").stdout.strip()
            al = svc.docker("inspect", "-f", "{{json .NetworkSettings.Networks.anet.Aliases}}", cid).stdout.strip()
            assert al == '["db","%s"]' % cid[:12], al
            svc.docker("rm", cid)
        finally:
            svc.docker("network", "rm", "anet", check=False)
