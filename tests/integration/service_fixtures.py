"""The Docker API service under test: `capsa system service` on a unix socket of its own, with a store
of its own (a busybox image made offline), driven by the real clients: docker 20.10's CLI
(/usr/bin/docker, not a newer one in /usr/local/bin), docker-compose 1.29 and the Python docker SDK.
Each fixture stops the service and checks that nothing is left: containers, mounts, processes."""
import contextlib
import copy
import functools
import http.client
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, TOP, procs_mentioning
from test_cli_run import Capsa

CAPSA = BUILD / "src" / "cli" / "capsa"
SERVICE = BUILD / "src" / "cli" / "capsa-service"
DOCKER = pathlib.Path("/usr/bin/docker")
COMPOSE = pathlib.Path("/usr/bin/docker-compose")
PY = "/usr/bin/python3"

needs_service = pytest.mark.skipif(not SERVICE.exists(), reason=f"build capsa-service first: {SERVICE} is missing")
needs_docker = pytest.mark.skipif(not DOCKER.exists(), reason="docker 20.10's CLI (/usr/bin/docker, docker.io) "
                                  "is not installed")


class Service:
    """A running `capsa system service` and clients pointed at it."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.root = tmp / "root"
        self.sock = tmp / "capsa.sock"
        self.uri = f"unix://{self.sock}"
        self.config = tmp / "docker-config"  # the docker CLI's own config: not the host's
        self.config.mkdir()
        self.proc = None
        self.capsa = Capsa(self.root)  # the capsa CLI on the same store

    def env(self, **extra):
        return dict(os.environ, DOCKER_HOST=self.uri, DOCKER_CONFIG=str(self.config), **extra)

    def docker(self, *args, check=True, timeout=60, **kw):
        """The docker CLI against the service; with check, a failure shows its output."""
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        if "input" not in kw:
            kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.run([str(DOCKER), *map(str, args)], timeout=timeout, env=self.env(), **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"docker {' '.join(map(str, args))} exited {p.returncode}\n"
                                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def http(self, method, path, body=None, headers=None):
        """(status, raw body) of one request on the socket (body: JSON, when given)."""
        c = http.client.HTTPConnection("localhost", timeout=30)
        c.sock = socket.socket(socket.AF_UNIX)
        c.sock.connect(str(self.sock))
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers={"Content-Type": "application/json", **(headers or {})})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def unchecked(self):
        """The same service, whose docker() leaves the exit code to the caller."""
        u = copy.copy(self)
        u.docker = functools.partial(Service.docker, self, check=False)
        return u

    def start(self, *extra):
        self.proc = subprocess.Popen([str(CAPSA), "--root", str(self.root), "system", "service", "--time", "0",
                                      *extra, self.uri], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the service exited {self.proc.returncode}: {self.proc.stderr.read()}")
            with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as s:
                s.connect(str(self.sock))
                return self
            time.sleep(0.02)
        raise AssertionError("the service did not listen within 10 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("the service did not stop on SIGTERM within 10 s")


def cleanup_store(svc):
    """Remove what the tests left in svc's store; returns what leaked (for the assertion)."""
    leftovers = []
    ids = {p.name for p in (svc.root / "containers").glob("*")}  # (every container the store had)
    with contextlib.suppress(Exception):
        left = [json.loads(l) for l in svc.capsa("ps", "-a", "--format", "json").stdout.splitlines()]
        if left:
            svc.capsa("rm", "-f", "-v", *[x["ID"] for x in left], check=False)
    for net in ("bridge",) + tuple(p.stem for p in (svc.root / "network").glob("*.json") if p.stem != "bridge"):
        if (svc.root / "network" / f"{net}.json").exists():
            svc.capsa("network", "rm", "-f", net, check=False)
    with open("/proc/self/mountinfo") as f:
        mounts = [l.split()[4] for l in f if str(svc.tmp) in l.split()[4]]
    if mounts:
        leftovers.append(f"mounts: {mounts}")
        for m in sorted(mounts, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
    deadline = time.time() + 5
    while procs_mentioning(str(svc.root)) and time.time() < deadline:
        time.sleep(0.05)
    cgroups = [str(d) for d in pathlib.Path("/sys/fs/cgroup").glob("*/capsa/*") if d.name in ids]
    if cgroups:
        leftovers.append(f"cgroups: {cgroups}")
    procs = procs_mentioning(str(svc.root))
    if procs:
        leftovers.append(f"processes: {procs}")
        for p in procs:
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGKILL)
    return leftovers


@contextlib.contextmanager
def service_running(image=True):
    """A service with its own store (with busybox:latest when image), stopped and cleaned after."""
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="capsa-svc-"))
    os.chmod(tmp, 0o755)
    svc = Service(tmp)
    try:
        if image:
            subprocess.run(["sh", str(TOP / "scripts" / "mkimage-busybox.sh"), "busybox", "--", "--root",
                            str(svc.root)], check=True, capture_output=True, env=dict(os.environ, CAPSA=str(CAPSA)))
        svc.start()
        yield svc
    finally:
        svc.stop()
        leftovers = cleanup_store(svc)
        shutil.rmtree(tmp, ignore_errors=True)
        assert not leftovers, "leaked: " + "; ".join(leftovers)
