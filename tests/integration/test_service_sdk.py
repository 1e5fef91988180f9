"""The Python docker SDK (python3-docker 5.0.3, /usr/bin/python3) against `capsa system service`:
ping, version, containers.run (attached: create, start, wait, then logs; detached: logs, wait,
stop, remove), containers.list with label filters, networks (connect with an alias a peer reaches)
and volumes; the same script against a private dockerd (runc) first."""
import subprocess
import textwrap

from service_fixtures import PY, needs_service, service_running
from test_dockerd import IMAGE, docker  # noqa: F401  (the fixture: a private dockerd 20.10, runc)

pytestmark = needs_service

SCRIPT = textwrap.dedent("""\
    import sys
    import docker
    c = docker.DockerClient(base_url=sys.argv[1], timeout=60)
    assert c.ping() is True
    v = c.version()
    assert v["ApiVersion"] == "1.41", v
    out = c.containers.run("busybox", "echo hi", remove=False, labels={"sdk": "yes"})
    assert out == b"hi\\n", out
    ran = c.containers.list(all=True, filters={"label": "sdk=yes"})
    assert len(ran) == 1 and ran[0].status == "exited", ran
    ran[0].remove()
    # detached
    d = c.containers.run("busybox", ["sh", "-c", "echo out; echo err >&2; exit 3"], detach=True,
                         labels={"sdk": "bg"})
    assert d.wait(timeout=30)["StatusCode"] == 3
    # (two pipes: dockerd may log err before out)
    assert sorted(d.logs().splitlines()) == [b"err", b"out"], d.logs()
    assert d.logs(stderr=False) == b"out\\n", d.logs(stderr=False)
    d.remove()
    s = c.containers.run("busybox", "sleep 100", detach=True, labels={"sdk": "sleeper"}, name="sdk-sleeper")
    assert [x.name for x in c.containers.list(filters={"label": "sdk=sleeper"})] == ["sdk-sleeper"]
    assert c.containers.list(filters={"label": "sdk=none"}) == []
    s.reload()
    assert s.status == "running", s.status
    s.stop(timeout=1)
    s.reload()
    assert s.status == "exited", s.status
    s.remove()
    assert c.containers.list(all=True, filters={"label": "sdk"}) == []
    # networks
    n = c.networks.create("sdknet", driver="bridge")
    assert c.networks.get("sdknet").name == "sdknet"
    assert c.networks.get(n.id).id == n.id
    assert "sdknet" in [x.name for x in c.networks.list()]
    # connect with an alias: a container of the network reaches the other by it
    n0 = c.networks.create("sdknet0", driver="bridge")
    srv = c.containers.run("busybox", "sleep 100", detach=True, name="sdk-srv", network="sdknet0")
    n.connect(srv, aliases=["sdkalias"])
    probe = c.containers.run("busybox", ["sh", "-c", "until ping -c1 -W1 sdkalias; do sleep 0.2; done; echo found"],
                             detach=True, network="sdknet")
    assert probe.wait(timeout=20)["StatusCode"] == 0
    assert b"found" in probe.logs(), probe.logs()
    probe.remove()
    n.disconnect(srv)
    srv.remove(force=True)
    n0.remove()
    n.remove()
    assert "sdknet" not in [x.name for x in c.networks.list()]
    # volumes
    vol = c.volumes.create("sdkvol", labels={"k": "v"})
    assert vol.name == "sdkvol"
    assert "sdkvol" in [x.name for x in c.volumes.list()]
    assert c.volumes.get("sdkvol").attrs["Labels"] == {"k": "v"}
    vol.remove()
    assert "sdkvol" not in [x.name for x in c.volumes.list()]
    print("sdk ok")
    """)


def _sdk(uri):
    p = subprocess.run([PY, "-c", SCRIPT, uri], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "sdk ok" in p.stdout, p.stdout + p.stderr


def test_python_sdk_dockerd(docker):  # noqa: F811
    """The same script against dockerd with runc first: what it expects is docker's."""
    docker("tag", IMAGE, "busybox:latest")
    _sdk(docker.env["DOCKER_HOST"])


def test_python_sdk():
    with service_running() as svc:
        _sdk(svc.uri)
