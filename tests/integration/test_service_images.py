"""`capsa system service`: the image endpoints, through docker 20.10's CLI and the Python docker SDK, against
a real docker-registry on 127.0.0.1 (anonymous, and with basic auth for X-Registry-Auth): push, pull (docker's
progress stream), images (formats and filters), inspect, history, tag, rmi (404, 409 with a container),
save/load, prune; plain HTTP for the exact statuses and names with slashes."""
import base64
import io
import json
import shutil
import subprocess
import tarfile

import pytest

from registry_fixtures import Registry
from service_fixtures import PY, needs_docker, needs_service, service_running
from test_dockerd import IMAGE as DOCKERD_IMAGE, docker, image_tarball  # noqa: F401 (docker: a fixture)
from test_service import UnixHTTP, api

pytestmark = [needs_service, needs_docker,
              pytest.mark.skipif(shutil.which("docker-registry") is None, reason="docker-registry is not installed")]


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    r = Registry(tmp_path_factory.mktemp("svc-registry"))
    yield r
    r.stop()


@pytest.fixture(scope="module")
def svc(reg):
    """The service with busybox:latest, pushed to the registry as REG/busybox:latest by the docker CLI."""
    with service_running() as s:
        s.image = f"{reg.host}/busybox:latest"
        s.docker("tag", "busybox", s.image)
        out = s.docker("push", s.image, timeout=120).stdout
        assert f"The push refers to repository [{reg.host}/busybox]" in out and "latest: digest: sha256:" in out
        yield s


def ids(svc):
    return {i["id"]: i["names"] for i in json.loads(svc.capsa("images", "--format", "raw").stdout)}


def one_file_tar(tmp_path, text):
    """A rootfs tarball of one file (an image of its own for `capsa import`)."""
    (tmp_path / "hello").write_text("#!/bin/sh\n# " + text + "\n")
    (tmp_path / "hello").chmod(0o755)
    tar = tmp_path / f"{text}.tar"
    with tarfile.open(tar, "w") as t:
        t.add(tmp_path / "hello", arcname="hello")
    return tar


def test_pull_streams_docker_progress(svc):
    svc.docker("rmi", svc.image, "busybox")
    assert ids(svc) == {}
    out = svc.docker("pull", svc.image, timeout=120).stdout
    assert "latest: Pulling from busybox" in out and "Pull complete" in out, out
    assert "Digest: sha256:" in out and f"Status: Downloaded newer image for {svc.image}" in out, out
    assert [svc.image] in ids(svc).values()
    svc.docker("tag", svc.image, "busybox")
    out = svc.docker("pull", svc.image, timeout=120).stdout
    assert f"Status: Image is up to date for {svc.image}" in out, out
    # the raw stream: one JSON message a line, an error after the 200 as errorDetail (what the CLI prints)
    st, body, _ = api(svc, "POST", f"/images/create?fromImage={svc.image.rsplit(':', 1)[0]}&tag=nosuchtag")
    lines = [json.loads(l) for l in body.splitlines()] if isinstance(body, str) else [body]
    assert st == 200 and "errorDetail" in lines[-1] and lines[-1]["error"], lines
    p = svc.docker("pull", svc.image.replace("latest", "nosuchtag"), check=False, timeout=60)
    assert p.returncode != 0 and "nosuchtag" in p.stderr, p.stderr
    st, _, _ = api(svc, "POST", "/images/create?fromSrc=-")
    assert st == 501


def test_images_list_formats_and_filters(svc):
    rows = svc.docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    assert "busybox:latest" in rows and svc.image in rows
    q = svc.docker("images", "-q").stdout.split()
    assert len(set(q)) == 1 and len(q[0]) == 12
    assert svc.docker("images", "-q", "--filter", "reference=busybox").stdout.split() == q[:1]
    assert svc.docker("images", "-q", "--filter", "reference=nothing*").stdout.strip() == ""
    assert svc.docker("images", "-q", "--filter", "dangling=true").stdout.strip() == ""
    st, body, _ = api(svc, "GET", "/images/json")
    assert st == 200 and set(body[0]) >= {"Id", "ParentId", "RepoTags", "RepoDigests", "Created", "Size",
                                          "VirtualSize", "SharedSize", "Labels", "Containers"}
    assert body[0]["Id"].startswith("sha256:") and isinstance(body[0]["Created"], int)


def test_inspect_and_history(svc):
    iid = svc.docker("image", "inspect", "-f", "{{.Id}}", svc.image).stdout.strip()
    assert iid in ids(svc)
    # a name with a port and slashes in the path, as the CLI sends it
    st, body, _ = api(svc, "GET", f"/v1.41/images/{svc.image}/json")
    assert st == 200 and body["Id"] == iid and svc.image in body["RepoTags"] and body["RootFS"]["Layers"]
    st, body, _ = api(svc, "GET", f"/images/{svc.image}/history")
    assert st == 200 and body[0]["Id"] == iid and set(body[0]) == {"Id", "Created", "CreatedBy", "Tags", "Size",
                                                                     "Comment"}
    out = svc.docker("history", svc.image).stdout.splitlines()
    assert out[0].split()[:2] == ["IMAGE", "CREATED"] and out[1].startswith(iid[7:19])
    p = svc.docker("image", "inspect", "nosuch", check=False)
    assert p.returncode != 0 and "No such image: nosuch" in p.stderr
    st, body, _ = api(svc, "GET", "/images/nosuch/json")
    assert st == 404 and body["message"] == "No such image: nosuch"


def test_tag_rmi_and_conflict(svc, tmp_path):
    svc.docker("tag", "busybox", "me/extra:1")
    assert "me/extra:1" in svc.docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    st, _, _ = api(svc, "POST", "/images/busybox/tag?repo=me/extra&tag=2")
    assert st == 201
    assert svc.docker("rmi", "me/extra:1", "me/extra:2").stdout.split() == ["Untagged:", "me/extra:1", "Untagged:",
                                                                          "me/extra:2"]
    p = svc.docker("rmi", "nosuch:1", check=False)
    assert p.returncode != 0 and "No such image: nosuch:1" in p.stderr
    svc.capsa("import", one_file_tar(tmp_path, "used"), "me/used:1")  # an image of one name
    cid = svc.capsa("create", "me/used:1", "/hello").stdout.strip()
    try:
        st, body, _ = api(svc, "DELETE", "/images/me/used:1")
        assert st == 409 and body["message"].startswith("conflict: ") and cid in body["message"], body
        p = svc.docker("rmi", "me/used:1", check=False)
        assert p.returncode != 0 and "conflict" in p.stderr
    finally:
        svc.capsa("rm", cid)
    out = svc.docker("rmi", "me/used:1").stdout.split()
    assert out[:2] == ["Untagged:", "me/used:1"] and out[2] == "Deleted:", out


def test_save_load_roundtrip(svc, tmp_path):
    archive = tmp_path / "saved.tar"
    svc.docker("save", "-o", archive, svc.image)
    names = tarfile.open(archive).getnames()
    assert "manifest.json" in names and any(n.endswith("/layer.tar") for n in names)
    # through a pipe, as `docker save | docker load`
    saved = subprocess.run(["/usr/bin/docker", "save", svc.image], env=svc.env(), capture_output=True, check=True,
                           timeout=60).stdout
    assert saved[:512] and tarfile.open(fileobj=io.BytesIO(saved)).getnames()
    c = UnixHTTP(str(svc.sock))
    c.request("GET", f"/images/get?names={svc.image}&names=busybox")
    r = c.getresponse()
    both = json.load(tarfile.open(fileobj=io.BytesIO(r.read())).extractfile("manifest.json"))
    c.close()
    assert r.status == 200 and sorted(t for m in both for t in m["RepoTags"]) == sorted(["busybox:latest", svc.image])
    svc.docker("tag", svc.image, "me/keep:1")  # the layers stay, the name goes
    svc.docker("rmi", svc.image)
    out = svc.docker("load", input=saved, stdin=None, text=False).stdout.decode()
    assert f"Loaded image: {svc.image}" in out, out
    out = svc.docker("load", "-i", archive).stdout
    assert f"Loaded image: {svc.image}" in out, out
    svc.docker("rmi", "me/keep:1")


def test_push_with_registry_auth(svc, tmp_path_factory):
    """docker login (POST /auth: checked, not kept by the service); then the CLI sends the credentials it saved
    with each push and pull (X-Registry-Auth), which the service uses."""
    r = Registry(tmp_path_factory.mktemp("svc-registry-basic"), auth="basic")
    try:
        dest = f"{r.host}/auth/busybox:1"
        svc.docker("tag", "busybox", dest)
        p = svc.docker("push", dest, check=False, timeout=60)
        assert p.returncode != 0 and "requires authentication" in p.stderr, p.stderr
        p = svc.docker("login", "-u", r.user, "-p", "wrong", r.host, check=False)
        assert p.returncode != 0 and "refused the credentials" in p.stderr, p.stderr
        st, body, _ = api(svc, "POST", "/auth", {"username": r.user, "password": "wrong", "serveraddress": r.host})
        assert st == 401 and "refused the credentials" in body["message"]
        assert "Login Succeeded" in svc.docker("login", "-u", r.user, "-p", r.password, r.host).stdout
        auth = base64.b64encode(f"{r.user}:{r.password}".encode()).decode()
        assert json.loads((svc.config / "config.json").read_text())["auths"][r.host]["auth"] == auth
        try:
            assert "1: digest: sha256:" in svc.docker("push", dest, timeout=120).stdout
            svc.docker("rmi", dest)
            assert f"Downloaded newer image for {dest}" in svc.docker("pull", dest, timeout=120).stdout
            svc.docker("rmi", dest)
        finally:
            (svc.config / "config.json").unlink()
    finally:
        r.stop()


def test_prune_dangling(svc, tmp_path):
    svc.capsa("import", one_file_tar(tmp_path, "dangling"))  # no name: a dangling image
    dangling = svc.docker("images", "-q", "--filter", "dangling=true").stdout.split()
    assert len(dangling) == 1
    out = svc.docker("image", "prune", "-f").stdout
    assert "deleted: sha256:" + dangling[0] in out and "Total reclaimed space" in out, out
    assert svc.docker("images", "-q", "--filter", "dangling=true").stdout.strip() == ""
    assert "busybox:latest" in svc.docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()


def test_python_sdk(svc):
    code = f"""
import docker
c = docker.from_env()
img = c.images.pull({svc.image.rsplit(':', 1)[0]!r}, tag="latest")
assert {svc.image!r} in img.tags, img.tags
assert img.tag("sdk/tagged", "v1")
tags = [t for i in c.images.list() for t in i.tags]
assert "sdk/tagged:v1" in tags and {svc.image!r} in tags, tags
assert c.images.get("sdk/tagged:v1").id == img.id
c.images.remove("sdk/tagged:v1")
print("ok")
"""
    p = subprocess.run([PY, "-c", code], env=svc.env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr


def _get(sock, path):
    c = UnixHTTP(str(sock))
    c.request("GET", path)
    r = c.getresponse()
    body = json.loads(r.read())
    c.close()
    return r.status, body


def test_answers_match_dockerd(svc, docker, tmp_path):
    """The same docker-archive loaded into dockerd 20.10 and into the service: the same image (id, tags,
    created, history), and every field dockerd gives in the list, inspect and history answers."""
    tarball = tmp_path / "dockerd-busybox.tar"
    image_tarball(tarball)
    svc.docker("load", "-i", tarball)
    try:
        for path in (f"/images/{DOCKERD_IMAGE}/json", f"/images/{DOCKERD_IMAGE}/history",
                     '/images/json?filters={"reference":["' + DOCKERD_IMAGE + '"]}'):
            st_d, theirs = _get(docker.work / "docker.sock", path)
            st_c, ours = _get(svc.sock, path)
            assert st_d == st_c == 200, (path, theirs, ours)
            one_d, one_c = (theirs[0], ours[0]) if isinstance(theirs, list) else (theirs, ours)
            assert set(one_d) <= set(one_c), (path, set(one_d) - set(one_c))
            for k in ("Id", "RepoTags", "Created", "CreatedBy", "Comment", "Architecture", "Os"):
                assert one_d.get(k) == one_c.get(k), (path, k, one_d.get(k), one_c.get(k))
            assert not isinstance(theirs, list) or len(theirs) == len(ours)
    finally:
        svc.docker("rmi", DOCKERD_IMAGE)
