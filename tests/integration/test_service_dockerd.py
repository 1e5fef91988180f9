"""The service's answers against dockerd 20.10's (runc) for the same requests: the same container made in
both, then the list, inspect, wait, errors, volumes and networks compared: every field dockerd gives is
in capsa's answer, and the values that do not depend on the engine are equal."""
import json

import pytest

from service_fixtures import needs_docker, needs_service, service_running
from test_dockerd import IMAGE, docker, image_tarball  # noqa: F401 (docker: a fixture)
from test_service import UnixHTTP

pytestmark = [needs_service, needs_docker]


@pytest.fixture(scope="module")
def svc():
    with service_running(image=False) as s:
        yield s


def _req(sock, method, path, body=None):
    c = UnixHTTP(str(sock))
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    raw = r.read()
    c.close()
    try:
        return r.status, json.loads(raw)
    except ValueError:
        return r.status, raw.decode()


def both(svc, docker, method, path, body=None):
    return _req(docker.work / "docker.sock", method, path, body), _req(svc.sock, method, path, body)


def missing(theirs, ours, where):
    """dockerd's keys that capsa's answer lacks (recursively for the objects both have)."""
    out = []
    for k, v in theirs.items():
        if k not in ours:
            out.append(f"{where}.{k}")
        elif isinstance(v, dict) and isinstance(ours[k], dict) and k not in ("Labels", "Networks", "Ports"):
            out += missing(v, ours[k], f"{where}.{k}")
    return out


def test_containers_answer_as_dockerds(svc, docker, tmp_path):
    tar = tmp_path / "img.tar"
    image_tarball(tar)
    svc.docker("load", "-i", tar)
    body = {"Image": IMAGE, "Cmd": ["sleep", "100"], "Env": ["A=1"], "Labels": {"k": "v"},
            "HostConfig": {"NetworkMode": "none"}}
    (st_d, cd), (st_c, cc) = both(svc, docker, "POST", "/v1.41/containers/create?name=cmp", body)
    assert st_d == st_c == 201 and set(cd) <= set(cc), (cd, cc)
    try:
        for r in both(svc, docker, "POST", "/v1.41/containers/cmp/start"):
            assert r[0] == 204, r
        (_, ld), (_, lc) = both(svc, docker, "GET", '/v1.41/containers/json?filters={"name":["cmp"]}')
        assert len(ld) == len(lc) == 1
        m = missing(ld[0], lc[0], "list")
        assert not m, " ".join(m)
        for k in ("Names", "Image", "Command", "State", "Labels"):
            assert ld[0][k] == lc[0][k], k
        (_, idd), (_, ic) = both(svc, docker, "GET", "/v1.41/containers/cmp/json")
        m = missing(idd, ic, "inspect")
        assert not m, " ".join(m)
        for k in ("Name", "Path", "Args"):
            assert idd[k] == ic[k], k
        assert idd["State"]["Status"] == ic["State"]["Status"] == "running"
        assert "A=1" in ic["Config"]["Env"] and ic["Config"]["Labels"] == {"k": "v"}
        assert idd["HostConfig"]["NetworkMode"] == ic["HostConfig"]["NetworkMode"] == "none"
        for r in both(svc, docker, "POST", "/v1.41/containers/cmp/kill"):
            assert r[0] == 204, r
        (_, wd), (_, wc) = both(svc, docker, "POST", "/v1.41/containers/cmp/wait")
        assert wd == wc == {"Error": None, "StatusCode": 137}
    finally:
        for r in both(svc, docker, "DELETE", "/v1.41/containers/cmp?force=1"):
            assert r[0] == 204, r
        svc.docker("rmi", IMAGE)


def test_errors_answer_as_dockerds(svc, docker):
    for method, path, body in (("GET", "/v1.41/containers/nosuch/json", None),
                               ("POST", "/v1.41/containers/nosuch/start", None),
                               ("DELETE", "/v1.41/containers/nosuch", None),
                               ("GET", "/v1.41/volumes/nosuch", None),
                               ("POST", "/v1.41/containers/create", {"Image": "nosuch:1"})):
        (st_d, ed), (st_c, ec) = both(svc, docker, method, path, body)
        assert st_d == st_c, (method, path, ed, ec)
        assert set(ed) == set(ec) == {"message"}


def test_volumes_and_networks_answer_as_dockerds(svc, docker):
    (st_d, vd), (st_c, vc) = both(svc, docker, "POST", "/v1.41/volumes/create", {"Name": "cmpvol", "Labels": {"a": "b"}})
    try:
        assert st_d == st_c == 201 and missing(vd, vc, "volume") == []
        (_, ld), (_, lc) = both(svc, docker, "GET", "/v1.41/volumes")
        assert set(ld) <= set(lc)
    finally:
        both(svc, docker, "DELETE", "/v1.41/volumes/cmpvol")
    (_, nd), (_, nc) = both(svc, docker, "GET", "/v1.41/networks/none")
    assert missing(nd, nc, "network") == []
    (_, ld), (_, lc) = both(svc, docker, "GET", "/v1.41/networks")
    assert missing(ld[0], lc[0], "networks[0]") == []
