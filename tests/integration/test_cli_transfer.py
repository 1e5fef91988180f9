"""Moving files and images in and out (issue 14): `capsa cp` with `-` as a tar stream (item 11) and
`capsa save IMAGE:TAG` writing only the asked tags into RepoTags (item 15), and `capsa push`
compressing uncompressed layers (item 16)."""
import io
import json
import pathlib
import subprocess
import tarfile
import urllib.request

import pytest

from registry_fixtures import REGISTRY_BIN, Registry

from test_cli_run import CAPSA, capsa  # noqa: F401  (the fixture)


def archive_manifest(path):
    with tarfile.open(path) as t:
        return json.load(t.extractfile("manifest.json"))


def test_save_writes_only_the_asked_tags(capsa):
    capsa("tag", "busybox", "one:1")
    capsa("tag", "busybox", "one:2")
    out = pathlib.Path(capsa.tmp) / "one.tar"
    capsa("save", "-o", out, "one:2")
    assert [m["RepoTags"] for m in archive_manifest(out)] == [["one:2"]]
    # two names of one image: one entry with both; an id: no tags (as docker)
    capsa("save", "-o", out, "one:2", "busybox")
    assert [m["RepoTags"] for m in archive_manifest(out)] == [["one:2", "busybox:latest"]]
    image_id = json.loads(capsa("image", "inspect", "one:1").stdout)[0]["Id"]
    capsa("save", "-o", out, image_id)
    assert [m["RepoTags"] for m in archive_manifest(out)] == [[]]


def cp_out(capsa, src):
    p = subprocess.run([str(CAPSA), "--root", str(capsa.root), "cp", src, "-"], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return tarfile.open(fileobj=io.BytesIO(p.stdout))


def cp_in(capsa, data, dst, check=True):
    p = subprocess.run([str(CAPSA), "--root", str(capsa.root), "cp", "-", dst], input=data, capture_output=True,
                       timeout=60)
    assert not check or p.returncode == 0, p.stderr
    return p


def tar_of(members):
    """a tar (GNU format, as `tar c`) of (TarInfo, bytes) pairs"""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def member(name, data=None, type=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = type, link, 0o644 if type != tarfile.DIRTYPE else 0o755
    info.size = len(data) if data is not None else 0
    return info, data


def test_cp_to_stdout_is_a_tar_of_the_path(capsa):
    capsa("create", "--name", "c", "busybox", "true")
    long = "d" * 120
    src = pathlib.Path(capsa.tmp) / "tree"
    (src / long).mkdir(parents=True)
    (src / long / "f").write_text("deep")
    (src / "link").symlink_to("/etc/passwd")
    capsa("cp", src, "c:/tree")
    t = cp_out(capsa, "c:/tree")
    names = set(t.getnames())
    assert {"tree", "tree/link", f"tree/{long}", f"tree/{long}/f"} <= names, names
    assert t.extractfile(f"tree/{long}/f").read() == b"deep"
    assert t.getmember("tree/link").issym() and t.getmember("tree/link").linkname == "/etc/passwd"
    # the system tar reads it too
    p = subprocess.run(f"{CAPSA} --root {capsa.root} cp c:/etc - | tar t", shell=True, capture_output=True, text=True)
    assert p.returncode == 0 and "etc/passwd" in p.stdout.split(), p
    capsa("rm", "c")


def test_cp_from_stdin_extracts_into_the_directory(capsa):
    capsa("create", "--name", "c", "busybox", "true")
    merged = pathlib.Path(capsa.inspect("c")["GraphDriver"]["Data"]["MergedDir"])
    src = pathlib.Path(capsa.tmp) / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a").write_text("A")
    (src / ("x" * 150)).write_text("long")
    data = subprocess.run(["tar", "c", "-C", src, "."], capture_output=True, check=True).stdout
    cp_in(capsa, data, "c:/tmp")
    assert (merged / "tmp" / "sub" / "a").read_text() == "A"
    assert (merged / "tmp" / ("x" * 150)).read_text() == "long"
    # a pax stream (python's default) with a long name
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info, data = member("p/" + "y" * 200, b"pax")
        t.addfile(info, io.BytesIO(data))
    cp_in(capsa, buf.getvalue(), "c:/tmp")
    assert (merged / "tmp" / "p" / ("y" * 200)).read_text() == "pax"
    capsa("rm", "c")


def test_cp_from_stdin_never_leaves_the_target(capsa):
    capsa("create", "--name", "c", "busybox", "true")
    merged = pathlib.Path(capsa.inspect("c")["GraphDriver"]["Data"]["MergedDir"])
    outside = pathlib.Path(capsa.tmp) / "outside"
    outside.mkdir()
    for bad, why in [([member("../escaped", b"x")], "`..`"),
                     ([member("a/../../escaped", b"x")], "`..`"),
                     ([member(str(outside / "escaped"), b"x")], "absolute"),
                     # a symlink member, then a file through it: the symlink is never followed
                     ([member("out", type=tarfile.SYMTYPE, link=str(outside)), member("out/escaped", b"x")],
                      "symlink is never followed")]:
        p = cp_in(capsa, tar_of(bad), "c:/tmp", check=False)
        assert p.returncode != 0 and why in p.stderr.decode(), p.stderr
    assert list(outside.iterdir()) == []
    assert not (merged / "escaped").exists() and not (pathlib.Path(capsa.tmp) / "escaped").exists()
    # a symlink in the container on the way to the target directory stays inside it too
    (merged / "tmp" / "up").symlink_to(str(outside))
    (merged / str(outside).lstrip("/")).mkdir(parents=True)
    cp_in(capsa, tar_of([member("f", b"in")]), "c:/tmp/up")
    assert list(outside.iterdir()) == [] and (merged / str(outside).lstrip("/") / "f").read_text() == "in"
    capsa("rm", "c")


@pytest.fixture
def registry(tmp_path):
    if not pathlib.Path(REGISTRY_BIN).exists():
        pytest.skip("docker-registry is not installed")
    r = Registry(tmp_path / "registry")
    yield r
    r.stop()


def registry_get(registry, path, accept=None):
    req = urllib.request.Request(f"http://{registry.host}{path}", headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(req, timeout=10) as f:
        return f.read()


@pytest.mark.parametrize("fmt, magic, mt", [
    (None, b"\x1f\x8b", "application/vnd.oci.image.layer.v1.tar+gzip"),
    ("zstd", b"\x28\xb5\x2f\xfd", "application/vnd.oci.image.layer.v1.tar+zstd"),
])
def test_push_compresses_uncompressed_layers(capsa, registry, tmp_path, fmt, magic, mt):
    local = json.loads(capsa("image", "inspect", "busybox").stdout)[0]
    ref = f"{registry.host}/t/bb:1"
    flags = ["--compression-format", fmt] if fmt else []
    first = capsa("push", "-q", *flags, "busybox", ref, timeout=120)
    m = json.loads(registry_get(registry, "/v2/t/bb/manifests/1",
                                "application/vnd.oci.image.manifest.v1+json,"
                                "application/vnd.docker.distribution.manifest.v2+json"))
    assert [l["mediaType"] for l in m["layers"]] == [mt], m
    blob = registry.blob_path(m["layers"][0]["digest"]).read_bytes()
    assert blob[:len(magic)] == magic
    assert len(blob) < local["Size"] * 0.8, (len(blob), local["Size"])
    # the config keeps the uncompressed diff ids: a pull gives the same image back
    config = json.loads(registry_get(registry, f"/v2/t/bb/blobs/{m['config']['digest']}"))
    assert config["rootfs"]["diff_ids"] == local["RootFS"]["Layers"]
    # the same compressed bytes again: the registry has them (HEAD), nothing is uploaded again
    uploads = registry.dir / "data/docker/registry/v2/repositories/t/bb/_uploads"
    second = capsa("push", "-q", *flags, "busybox", ref, timeout=120)
    assert second.stdout == first.stdout
    assert not uploads.exists() or list(uploads.iterdir()) == []
    other = Capsa_for(capsa, tmp_path)
    other("pull", "-q", ref, timeout=120)
    assert json.loads(other("image", "inspect", ref).stdout)[0]["Id"] == local["Id"]


@pytest.mark.parametrize("auth", [None, "token"])
def test_push_mounts_layers_from_another_repository(capsa, tmp_path, auth):
    """A layer pushed to (or pulled from) one repository of a registry is mounted into another one of
    the same registry (POST ?mount=&from=, as docker's distribution metadata): no layer bytes again.
    With tokens, the mount's challenge asks for two scopes (push here, pull there): both are asked."""
    if not pathlib.Path(REGISTRY_BIN).exists():
        pytest.skip("docker-registry is not installed")
    registry = Registry(tmp_path / "registry", auth=auth, accesslog=True)
    try:
        if auth:
            capsa("login", "-u", registry.user, "-p", registry.password, registry.host)
        capsa("push", "-q", "busybox", f"{registry.host}/t/a:1", timeout=120)
        first = registry.requests()
        layer_puts = lambda reqs, repo: [r for r in reqs if r[0] == "PUT" and r[1].startswith(f"/v2/t/{repo}/blobs/")]  # noqa: E731
        assert len(layer_puts(first, "a")) == 2, first  # the layer and the config
        capsa("push", "-q", "busybox", f"{registry.host}/t/b:1", timeout=120)
        second = registry.requests()[len(first):]
        mounts = [r for r in second if r[0] == "POST" and "mount=" in r[1] and "from=t%2Fa" in r[1].replace("/", "%2F")]
        # the layer and the config (with tokens, the first one is asked again with both scopes)
        assert [r[2] for r in mounts if r[2] != 401] == [201, 201], second
        assert layer_puts(second, "b") == [], second
        other = Capsa_for(capsa, tmp_path)
        if auth:
            other("login", "-u", registry.user, "-p", registry.password, registry.host)
        other("pull", "-q", f"{registry.host}/t/b:1", timeout=120)
        # a pulled blob is recorded as being in its repository too
        sources = json.loads((other.root / "blob-sources.json").read_text())
        assert len(sources) == 2 and all(v == [f"{registry.host}/t/b"] for v in sources.values()), sources
        other("push", "-q", f"{registry.host}/t/b:1", f"{registry.host}/t/c:1", timeout=120)
        third = registry.requests()[len(first) + len(second):]
        assert [r[2] for r in third if r[0] == "POST" and "mount=" in r[1] and r[2] != 401] == [201, 201], third
        assert layer_puts(third, "c") == [], third
    finally:
        registry.stop()


def test_push_uploads_when_the_mount_is_refused(capsa, tmp_path):
    """The repository a blob is known to be in may be one the user can no longer pull from: the
    mount is refused (401), and the blob is uploaded instead, as docker does."""
    if not pathlib.Path(REGISTRY_BIN).exists():
        pytest.skip("docker-registry is not installed")
    registry = Registry(tmp_path / "registry", auth="token", accesslog=True)
    try:
        capsa("login", "-u", registry.user, "-p", registry.password, registry.host)
        capsa("push", "-q", "busybox", f"{registry.host}/t/a:1", timeout=120)
        registry.token.denied.add("t/a")
        before = len(registry.requests())
        capsa("push", "-q", "busybox", f"{registry.host}/t/b:1", timeout=120)
        reqs = registry.requests()[before:]
        assert [r[2] for r in reqs if r[0] == "POST" and "mount=" in r[1]] != [], reqs
        assert len([r for r in reqs if r[0] == "PUT" and r[1].startswith("/v2/t/b/blobs/")]) == 2, reqs
        other = Capsa_for(capsa, tmp_path)
        other("login", "-u", registry.user, "-p", registry.password, registry.host)
        other("pull", "-q", f"{registry.host}/t/b:1", timeout=120)
    finally:
        registry.stop()


def Capsa_for(capsa, tmp_path):
    from test_cli_run import Capsa
    return Capsa(tmp_path / "other-root")
