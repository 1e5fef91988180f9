"""The `capsa` image commands against real components: docker-registry (anonymous, htpasswd basic auth, bearer
tokens), umoci and skopeo, with images built by hand (registry_fixtures.py).  Every test gets its own store
(--root) and auth file; mounts, registries and temp dirs are removed afterwards."""
import contextlib
import gzip
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, TOP
from registry_fixtures import (Layer, Registry, busybox_layer, layered_layers, tree, tree_diff, umoci_unpack,
                               write_layout)

CAPSA = BUILD / "src" / "cli" / "capsa"

pytestmark = pytest.mark.skipif(not CAPSA.exists(), reason=f"build capsa first: {CAPSA} is missing")


def need(*progs):
    missing = [p for p in progs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"missing {missing}: scripts/install-deps.sh --test installs them")


class Capsa:
    """capsa with a private store and auth file; HOME points at an empty dir so ~/.docker is the test's."""

    def __init__(self, workdir):
        self.root = workdir / "store"
        self.home = workdir / "home"
        self.home.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, HOME=str(self.home), CAPSA_AUTH_FILE=str(workdir / "auth.json"),
                        CAPSA_REGISTRIES_CONF=str(workdir / "registries.json"))
        (workdir / "registries.json").write_text('{"default-registry": "docker.io"}')

    def __call__(self, *args, check=True, timeout=120, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        p = subprocess.run([str(CAPSA), "--root", str(self.root), *map(str, args)], env=self.env, timeout=timeout,
                           **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"capsa {' '.join(map(str, args))} exited {p.returncode}\n"
                                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def popen(self, *args, **kw):
        return subprocess.Popen([str(CAPSA), "--root", str(self.root), *map(str, args)], env=self.env, **kw)

    def images(self):
        return json.loads(self("images", "--format", "raw").stdout)

    def names(self):
        return sorted(n for img in self.images() for n in img["names"])


@pytest.fixture
def work():
    d = pathlib.Path(tempfile.mkdtemp(prefix="capsa-img-"))
    yield d
    # leak check and cleanup: no mount may outlive the test
    with open("/proc/self/mountinfo") as f:
        mounts = [l.split()[4] for l in f if str(d) in l.split()[4]]
    for m in sorted(mounts, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)
    shutil.rmtree(d, ignore_errors=True)
    assert not mounts, f"mounts left under {d}: {mounts}"


@pytest.fixture
def capsa(work):
    return Capsa(work)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    need("docker-registry")
    r = Registry(tmp_path_factory.mktemp("registry"))
    yield r
    r.stop()


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory):
    need("docker-registry", "htpasswd")
    r = Registry(tmp_path_factory.mktemp("registry-basic"), auth="basic")
    yield r
    r.stop()


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory):
    need("docker-registry", "openssl")
    r = Registry(tmp_path_factory.mktemp("registry-token"), auth="token")
    yield r
    r.stop()


@pytest.fixture(scope="module")
def layered(tmp_path_factory):
    """An OCI layout with the 3-layer test image (tag `layered`) and umoci's unpacked tree of it."""
    need("umoci")
    d = tmp_path_factory.mktemp("layered")
    layout = d / "layout"
    write_layout(layout, layered_layers(), tag="layered")
    with umoci_unpack(layout, "layered", d) as rootfs:
        expected = tree(rootfs)
    return layout, expected


def mounted_tree(capsa, image, cid, driver):
    path = capsa("image", "mount", "--driver", driver, image, cid).stdout.strip()
    try:
        return tree(path)
    finally:
        capsa("image", "unmount", cid)


def test_help_and_usage(capsa):
    p = capsa("--help")
    for c in ["pull", "push", "login", "logout", "images", "tag", "rmi", "history", "load", "save", "import", "image"]:
        assert f"  {c} " in p.stdout, c
    p = capsa("bogus", check=False)
    assert p.returncode == 125 and "unknown command `bogus`" in p.stderr and "capsa --help" in p.stderr
    p = capsa("rmi", "nosuch", check=False)
    assert p.returncode == 125 and "no such image: nosuch" in p.stderr
    p = capsa("pull", "UPPER/case", check=False)
    assert p.returncode == 125 and "lowercase" in p.stderr


def test_mkimage_busybox_offline(capsa, work):
    env = dict(capsa.env, CAPSA=str(CAPSA))
    subprocess.run(["sh", str(TOP / "scripts/mkimage-busybox.sh"), "busybox", "--", "--root", str(capsa.root)],
                   env=env, check=True, capture_output=True)
    assert capsa.names() == ["docker.io/library/busybox:latest"]
    assert "busybox" in capsa("images").stdout
    info = json.loads(capsa("image", "inspect", "busybox").stdout)[0]
    assert info["Config"]["Cmd"] == ["/bin/sh"] and info["RepoTags"] == ["busybox:latest"]
    assert len(info["RootFS"]["Layers"]) == 1
    path = capsa("image", "mount", "busybox", "c1").stdout.strip()
    try:
        assert os.path.islink(f"{path}/bin/sh") and os.access(f"{path}/bin/busybox", os.X_OK)
        out = subprocess.run(["chroot", path, "/bin/sh", "-c", "echo hi from $(cat /etc/passwd | head -c 4)"],
                             capture_output=True, text=True, check=True).stdout
        assert out == "hi from root\n"
    finally:
        capsa("image", "unmount", "c1")
    assert "capsa import" in capsa("history", "busybox").stdout


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_import_rootfs_tarball(capsa, work, compression):
    """A minirootfs-style tarball (./-prefixed names, as Alpine ships it) in each compression."""
    need("zstd")
    tar = busybox_layer()
    src = work / "rootfs.tar"
    if compression == "gzip":
        src.write_bytes(gzip.compress(tar))
    elif compression == "zstd":
        src.write_bytes(subprocess.run(["zstd", "-q", "-c"], input=tar, capture_output=True, check=True).stdout)
    else:
        src.write_bytes(tar)
    out = capsa("import", "-c", "CMD /bin/sh -l", "-c", "ENV A=b", "-m", "mini", src, "mini:3.19").stdout
    assert out.startswith("sha256:")
    info = json.loads(capsa("image", "inspect", "mini:3.19").stdout)[0]
    assert info["Config"]["Cmd"] == ["/bin/sh", "-c", "/bin/sh -l"] and "A=b" in info["Config"]["Env"]
    # the layer blob is the plain tar: its digest is the diff id
    assert info["RootFS"]["Layers"] == ["sha256:" + __import__("hashlib").sha256(tar).hexdigest()]
    t = mounted_tree(capsa, "mini:3.19", "c1", "vfs")
    assert t["owned"][2:4] == (1000, 1000) and t["tmp"][1] == "0o1777" and t["bin/sh"][4] == "busybox"
    # stdin works too, and the same content gives the same layer
    p = capsa("import", "-", "mini:stdin", stdin=open(src, "rb"), text=False)
    assert p.returncode == 0
    assert len({tuple(json.loads(capsa("image", "inspect", n).stdout)[0]["RootFS"]["Layers"])
                for n in ["mini:3.19", "mini:stdin"]}) == 1


@pytest.mark.parametrize("driver", ["overlay", "vfs"])
def test_layered_image_matches_umoci(capsa, layered, driver):
    layout, expected = layered
    out = capsa("load", "-i", layout).stdout
    image_id = out.split("Loaded image ID: ")[1].strip()
    capsa("tag", image_id, "layered:1")
    got = mounted_tree(capsa, "layered:1", "c-" + driver, driver)
    assert not tree_diff(got, expected), "\n".join(tree_diff(got, expected))
    # the spot checks behind that comparison
    assert "etc/delete-me" not in got and "gone-dir" not in got and "bin/cat" not in got
    assert sorted(k for k in got if k.startswith("opq/")) == ["opq/new"]
    assert got["l3/b"][5] == "l3/a" and got["l3/suid"][1] == "0o4755" and got["l3/sgid"][1] == "0o2755"
    assert got["l3/null"][4] == (1, 3) and got["owned"][2] == 1000


def test_overlay_upper_is_private(capsa, layered):
    layout, _ = layered
    image_id = capsa("load", "-i", layout).stdout.split("Loaded image ID: ")[1].strip()
    a = pathlib.Path(capsa("image", "mount", image_id, "a").stdout.strip())
    b = pathlib.Path(capsa("image", "mount", image_id, "b").stdout.strip())
    try:
        (a / "etc/base-file").write_text("changed in a\n")
        assert (b / "etc/base-file").read_text() == "overwritten\n"
        p = capsa("rmi", image_id, check=False)
        assert p.returncode == 125 and "used by container" in p.stderr
    finally:
        capsa("image", "unmount", "a")
        capsa("image", "unmount", "b")
    capsa("rmi", image_id)


def test_push_pull_roundtrip_matches_umoci(capsa, work, registry, layered):
    layout, expected = layered
    image_id = capsa("load", "-i", layout).stdout.split("Loaded image ID: ")[1].strip()
    ref = f"{registry.host}/capsa/layered:v1"
    capsa("tag", image_id, ref)
    pushed = capsa("push", ref).stdout
    assert "digest: sha256:" in pushed
    other = Capsa(work / "other")
    p = other("pull", ref)
    assert p.stdout.strip().endswith(ref)
    img = other.images()[0]
    assert img["id"] == image_id and img["names"] == [ref]
    assert img["digests"] == [f"{registry.host}/capsa/layered@" + pushed.split("digest: ")[1].strip()]
    got = mounted_tree(other, ref, "c1", "overlay")
    assert not tree_diff(got, expected)
    # pulling again finds everything in place; by digest too
    other("pull", ref)
    other("pull", img["digests"][0])
    # a second repository: the blobs are mounted across repositories, not uploaded again
    capsa("push", ref, f"{registry.host}/capsa/copy:v1")


def test_pull_docker_media_types_and_index(capsa, work, registry, layered):
    """skopeo pushes a Docker v2 schema 2 manifest and a multi-platform OCI index: capsa picks this host's."""
    need("skopeo")
    layout, expected = layered
    dest = f"docker://{registry.host}/skopeo/layered:v2s2"
    subprocess.run(["skopeo", "copy", "--dest-tls-verify=false", "--format", "v2s2", f"oci:{layout}:layered", dest],
                   check=True, capture_output=True)
    capsa("pull", f"{registry.host}/skopeo/layered:v2s2")
    m = json.loads(capsa("image", "inspect", f"{registry.host}/skopeo/layered:v2s2").stdout)[0]
    assert m["ManifestMediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert not tree_diff(mounted_tree(capsa, f"{registry.host}/skopeo/layered:v2s2", "c1", "overlay"), expected)
    # an index: an arm64 image (one layer) and the amd64 one
    multi = work / "multi"
    shutil.copytree(layout, multi)
    arm = write_layout(multi, [Layer().file("arm64-only", "arm\n").bytes()], tag="arm", arch="arm64")
    idx = json.loads((multi / "index.json").read_text())
    by_tag = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in idx["manifests"]}
    amd = dict(by_tag["layered"], platform={"architecture": "amd64", "os": "linux"})
    armd = dict(by_tag["arm"], platform={"architecture": "arm64", "os": "linux", "variant": "v8"})
    for d in (amd, armd):
        d.pop("annotations")
    inner = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [armd, amd]}).encode()
    import hashlib
    ih = hashlib.sha256(inner).hexdigest()
    (multi / "blobs/sha256" / ih).write_bytes(inner)
    idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + ih,
                             "size": len(inner), "annotations": {"org.opencontainers.image.ref.name": "multi"}})
    (multi / "index.json").write_text(json.dumps(idx))
    subprocess.run(["skopeo", "copy", "--all", "--dest-tls-verify=false", f"oci:{multi}:multi",
                    f"docker://{registry.host}/skopeo/multi:1"], check=True, capture_output=True)
    if os.uname().machine != "x86_64":
        pytest.skip("the index holds amd64 and arm64 images only")
    capsa("pull", f"{registry.host}/skopeo/multi:1")
    info = json.loads(capsa("image", "inspect", f"{registry.host}/skopeo/multi:1").stdout)[0]
    assert info["Architecture"] == "amd64" and info["Id"] == m["Id"]
    # the same image as the v2s2 one: it now has both repositories' digests (the index's for multi)
    assert f"{registry.host}/skopeo/multi@sha256:{ih}" in info["RepoDigests"]
    # --platform (issue 18): the index's other entry, by pull and by create over the local amd64 one
    p = capsa("pull", "--platform", "linux/s390x", f"{registry.host}/skopeo/multi:1", check=False)
    assert p.returncode != 0 and "no image for the requested platform (linux/s390x)" in p.stderr, p.stderr
    # (the arm64 image has no programs: create pulls it, then finds no `true`)
    p = capsa("create", "--network", "none", "--platform", "linux/arm64", f"{registry.host}/skopeo/multi:1", "true",
              check=False)
    assert "Pulling" in p.stderr and "executable file not found" in p.stderr, p.stderr
    info = json.loads(capsa("image", "inspect", f"{registry.host}/skopeo/multi:1").stdout)[0]
    assert info["Architecture"] == "arm64"
    capsa("pull", "--platform", "linux/amd64", f"{registry.host}/skopeo/multi:1")
    assert json.loads(capsa("image", "inspect", f"{registry.host}/skopeo/multi:1").stdout)[0]["Id"] == m["Id"]


def test_pull_basic_auth(capsa, work, auth_registry, layered):
    layout, _ = layered
    image_id = capsa("load", "-i", layout).stdout.split("Loaded image ID: ")[1].strip()
    ref = f"{auth_registry.host}/private/layered:1"
    capsa("tag", image_id, ref)
    p = capsa("push", ref, check=False)
    assert p.returncode == 125 and f"run `capsa login {auth_registry.host}` first" in p.stderr
    p = capsa("login", "-u", "testuser", "--password-stdin", auth_registry.host, input="wrong\n", check=False)
    assert p.returncode == 125 and "refused the credentials of `testuser`" in p.stderr
    assert not (work / "auth.json").exists()
    capsa("login", "-u", "testuser", "--password-stdin", auth_registry.host, input="testpass\n")
    assert oct((work / "auth.json").stat().st_mode & 0o777) == "0o600"
    capsa("push", ref)
    capsa("rmi", ref)
    capsa("pull", ref)
    assert capsa.names() == [ref]
    assert "Removing login credentials" in capsa("logout", auth_registry.host).stdout
    capsa("rmi", ref)
    p = capsa("pull", ref, check=False)
    assert p.returncode == 125 and "requires authentication" in p.stderr
    # docker's own config.json is read too
    (capsa.home / ".docker").mkdir()
    (capsa.home / ".docker/config.json").write_text(json.dumps(
        {"auths": {auth_registry.host: {"auth": __import__("base64").b64encode(b"testuser:testpass").decode()}}}))
    capsa("pull", ref)


def test_pull_bearer_token(capsa, work, token_registry, layered):
    layout, expected = layered
    image_id = capsa("load", "-i", layout).stdout.split("Loaded image ID: ")[1].strip()
    ref = f"{token_registry.host}/tok/layered:1"
    capsa("tag", image_id, ref)
    p = capsa("push", ref, check=False)   # anonymous tokens only grant pull
    assert p.returncode == 125 and "push" in p.stderr
    capsa("login", "-u", "testuser", "-p", "testpass", token_registry.host)
    capsa("push", ref)
    assert any("push" in r["scope"] for r in token_registry.token.requests)
    other = Capsa(work / "other")
    p = other("pull", ref, check=False)   # anonymous pull: the token server gives pull access to anyone
    assert p.returncode == 0, p.stderr
    assert not tree_diff(mounted_tree(other, ref, "c1", "overlay"), expected)


def test_corrupt_blob_refused(capsa, work, registry):
    layout = work / "layout"
    write_layout(layout, [busybox_layer(), Layer().file("victim", "the real content\n").bytes()], tag="t")
    image_id = capsa("load", "-i", layout).stdout.split("Loaded image ID: ")[1].strip()
    ref = f"{registry.host}/corrupt/img:1"
    capsa("tag", image_id, ref)
    capsa("push", ref)
    m = json.loads(capsa("image", "inspect", "-f", "{{json .}}", ref).stdout)
    manifest = json.loads((capsa.root / "blobs/sha256" / m["Manifest"].split(":")[1]).read_text())
    victim = registry.blob_path(manifest["layers"][1]["digest"])
    good = victim.read_bytes()
    try:
        victim.write_bytes(bytes(reversed(good)))  # same size, other content
        other = Capsa(work / "other")
        p = other("pull", ref, check=False)
        assert p.returncode == 125 and "digest mismatch" in p.stderr and manifest["layers"][1]["digest"] in p.stderr
        assert other.images() == []
        assert not list((other.root / "blobs/sha256").glob(manifest["layers"][1]["digest"].split(":")[1]))
    finally:
        victim.write_bytes(good)


MALICIOUS = {
    "dotdot": (lambda out: Layer().file("../../escaped-dotdot", "x"), "path contains `..`"),
    "absolute": (lambda out: Layer().file(f"{out}/escaped-abs", "x"), "absolute path"),
    "symlink-dir": (lambda out: Layer().symlink("evil", str(out)).file("evil/escaped-symlink", "x"),
                    "`evil` is a symbolic link: refusing to write through it"),
    "symlink-relative": (lambda out: Layer().dir("d").symlink("d/up", "../../../../../../../.." + str(out))
                         .file("d/up/escaped-rel", "x"), "`up` is a symbolic link"),
    "hardlink-out": (lambda out: Layer().hardlink("stolen", "../../../../etc/passwd"), "path contains `..`"),
    "hardlink-through-symlink": (lambda out: Layer().symlink("etc", "/etc").hardlink("stolen", "etc/passwd"),
                                 "`etc` is a symbolic link"),
}


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_malicious_layer_refused(capsa, work, case):
    outside = work / "outside"
    outside.mkdir()
    make, message = MALICIOUS[case]
    evil = make(outside).bytes()
    layout = work / "layout"
    write_layout(layout, [busybox_layer(), evil], tag="evil")
    p = capsa("load", "-i", layout, check=False)
    assert p.returncode == 125, p.stdout
    assert message in p.stderr and "layer entry `" in p.stderr, p.stderr
    assert list(outside.iterdir()) == [], "something was written outside the layer"
    assert not os.path.exists("/escaped-dotdot") and not os.path.exists(work / "escaped-dotdot")
    assert capsa.images() == []
    # the same tar as a rootfs tarball for import
    tarball = work / "evil.tar"
    tarball.write_bytes(evil)
    p = capsa("import", tarball, "evil:1", check=False)
    assert p.returncode == 125 and message in p.stderr
    assert list(outside.iterdir()) == [] and capsa.images() == []
    # nothing half-unpacked stays in the store once collected
    capsa("image", "prune", "-f")
    assert list((capsa.root / "layers").iterdir()) == [] and list((capsa.root / "tmp").iterdir()) == []


def size_or_zero(path):
    try:
        return path.stat().st_size
    except FileNotFoundError:  # renamed into blobs/ meanwhile
        return 0


def test_killed_pull_leaves_store_consistent(capsa, work, registry):
    """SIGKILL in the middle of the downloads: no half image is ever listed, and the next pull completes."""
    big = [Layer().file(f"big{i}", os.urandom(96 << 20)).bytes() for i in range(3)]
    layout = work / "big"
    write_layout(layout, [busybox_layer()] + big, tag="big", compression="none")
    del big
    image_id = capsa("load", "-i", layout).stdout.split("Loaded image ID: ")[1].strip()
    shutil.rmtree(layout)
    ref = f"{registry.host}/big/image:1"
    capsa("tag", image_id, ref)
    capsa("push", ref)
    other = Capsa(work / "other")
    killed = False
    for attempt in range(5):
        proc = other.popen("pull", "-q", ref, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline and proc.poll() is None:
            tmp = other.root / "tmp"
            if tmp.exists() and any(size_or_zero(f) > (8 << 20) for f in tmp.glob("blob-*")):
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
            time.sleep(0.002)
        proc.communicate()
        if killed:
            break
        other("rmi", ref)  # the pull won the race: start again
    assert killed, "the pull always finished before it could be killed"
    assert other.images() == []
    json.loads((other.root / "images.json").read_text()) if (other.root / "images.json").exists() else None
    p = other("pull", "-q", ref)
    assert p.stdout.strip() == ref
    assert [i["id"] for i in other.images()] == [image_id]
    other("image", "prune", "-f")
    assert list((other.root / "tmp").iterdir()) == []
    other("rmi", ref)
    assert list((other.root / "blobs/sha256").iterdir()) == [] and list((other.root / "layers").iterdir()) == []


def test_concurrent_pulls_and_rmi(capsa, work, registry, layered):
    layout, expected = layered
    image_id = capsa("load", "-i", layout).stdout.split("Loaded image ID: ")[1].strip()
    refs = [f"{registry.host}/conc/img{i}:1" for i in range(4)]
    for r in refs:
        capsa("tag", image_id, r)
        capsa("push", "-q", r)
    other = Capsa(work / "other")
    procs = [other.popen("pull", "-q", r, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for r in refs]
    procs.append(other.popen("image", "prune", "-a", "-f", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    # prune -a may have run before or after some pulls; pull again what it removed
    for r in refs:
        other("pull", "-q", r)
    assert other.names() == sorted(refs)
    assert not tree_diff(mounted_tree(other, refs[0], "c1", "overlay"), expected)


def test_load_save_roundtrip(capsa, work, layered):
    need("skopeo", "umoci")
    layout, expected = layered
    image_id = capsa("load", "-i", layout).stdout.split("Loaded image ID: ")[1].strip()
    capsa("tag", image_id, "example.com/app:1")
    capsa("tag", image_id, "app:2")
    for fmt, out in [("docker-archive", work / "d.tar"), ("oci-archive", work / "o.tar"), ("oci-dir", work / "odir")]:
        capsa("save", "--format", fmt, "-o", out, "example.com/app:1", "app:2")
        fresh = Capsa(work / f"fresh-{fmt}")
        loaded = fresh("load", "-i", out).stdout
        assert "Loaded image: example.com/app:1" in loaded and "Loaded image: app:2" in loaded
        imgs = fresh.images()
        assert len(imgs) == 1 and imgs[0]["names"] == ["example.com/app:1", "docker.io/library/app:2"]
        if fmt == "oci-archive":
            assert imgs[0]["manifest"] == capsa.images()[0]["manifest"]  # the same bytes: the same digest
        assert not tree_diff(mounted_tree(fresh, "app:2", "c1", "vfs"), expected)
    # other tools read what capsa writes
    info = json.loads(subprocess.run(["skopeo", "inspect", "docker-archive:" + str(work / "d.tar")],
                                     capture_output=True, text=True, check=True).stdout)
    assert len(info["Layers"]) == 3
    with umoci_unpack(work / "odir", "1", work) as rootfs:
        assert not tree_diff(tree(rootfs), expected)
    # stdin/stdout
    with open(work / "piped.tar", "wb") as f:
        subprocess.run([str(CAPSA), "--root", str(capsa.root), "save", "app:2"], stdout=f, check=True, env=capsa.env)
    fresh = Capsa(work / "fresh-pipe")
    with open(work / "piped.tar", "rb") as f:
        assert "Loaded image: app:2" in fresh("load", stdin=f, text=False).stdout.decode()
    p = capsa("load", "-i", work / "d.tar" / "nope", check=False)
    assert p.returncode == 125 and "load" in p.stderr


def test_tag_rmi_prune(capsa, work, layered):
    layout, _ = layered
    image_id = capsa("load", "-i", layout).stdout.split("Loaded image ID: ")[1].strip()
    write_layout(work / "second", [busybox_layer()], tag="second")
    second = capsa("load", "-i", work / "second").stdout.split("Loaded image ID: ")[1].strip()
    capsa("tag", image_id[7:19], "one:1")
    capsa("tag", "one:1", "one:2")
    capsa("tag", second, "two")
    assert capsa.names() == ["docker.io/library/one:1", "docker.io/library/one:2", "docker.io/library/two:latest"]
    rows = [l.split()[:2] for l in capsa("images", "one").stdout.splitlines()[1:]]
    assert rows == [["one", "1"], ["one", "2"]]
    assert capsa("images", "-q").stdout.split() == [image_id[7:19], second[7:19]]
    p = capsa("rmi", image_id, check=False)
    assert p.returncode == 125 and "--force" in p.stderr
    assert capsa("rmi", "one:1").stdout == "Untagged: one:1\n"
    # moving a tag leaves the old image dangling; prune removes it, and its unshared layers
    capsa("tag", second, "one:2")
    assert [len(i["names"]) for i in capsa.images()] == [0, 2]
    p = capsa("image", "prune", "-f")
    assert f"deleted: {image_id}" in p.stdout and "Total reclaimed space" in p.stdout
    assert len(list((capsa.root / "layers").iterdir())) == 1
    out = capsa("rmi", "-f", second).stdout
    assert "Untagged: two:latest" in out and f"Deleted: {second}" in out
    assert capsa.images() == [] and list((capsa.root / "blobs/sha256").iterdir()) == []
    assert list((capsa.root / "layers").iterdir()) == []


def test_full_disk_pull_is_clear_and_leaves_no_half_image(capsa, work, registry):
    """A store on a tiny tmpfs: the pull fails saying the disk is full, lists nothing, and keeps
    what was there before."""
    small = Layer().file("small", b"x" * 1000).bytes()
    big = Layer().file("big", os.urandom(4 << 20)).bytes()
    for name, layers in (("small", [small]), ("big", [small, big])):
        write_layout(work / name, layers, tag=name, compression="none")
        image_id = capsa("load", "-i", work / name).stdout.split("Loaded image ID: ")[1].strip()
        capsa("tag", image_id, f"{registry.host}/full/{name}:1")
        capsa("push", f"{registry.host}/full/{name}:1")
    disk = work / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], check=True)
    try:
        tiny = Capsa(disk)
        tiny("pull", "-q", f"{registry.host}/full/small:1")
        p = tiny("pull", "-q", f"{registry.host}/full/big:1", check=False)
        assert p.returncode == 125 and "no space left on device" in p.stderr, p.stderr
        assert tiny.names() == [f"{registry.host}/full/small:1"]
        assert not list((disk / "store" / "tmp").iterdir())
    finally:
        subprocess.run(["umount", "-l", str(disk)])


def test_pull_progress_on_a_terminal_only(capsa, work, registry):
    """On a terminal: one line per layer, redrawn in place (digest, state, bar, sizes); piped or
    with --quiet: only the image's name."""
    import pty
    layer = Layer().file("payload", os.urandom(2 << 20)).bytes()
    write_layout(work / "prog", [layer], tag="prog", compression="gzip")
    image_id = capsa("load", "-i", work / "prog").stdout.split("Loaded image ID: ")[1].strip()
    ref = f"{registry.host}/progress/img:1"
    capsa("tag", image_id, ref)
    capsa("push", ref)
    fresh = Capsa(work / "fresh")
    pid, master = pty.fork()
    if pid == 0:
        os.execve(str(CAPSA), [str(CAPSA), "--root", str(fresh.root), "pull", ref], fresh.env)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    os.close(master)
    text = out.decode(errors="replace")
    assert "\x1b[" in text, text  # lines redrawn in place
    assert any(s in text for s in ("Downloading", "Pull complete", "complete", "Verifying")), text
    fresh2 = Capsa(work / "fresh2")
    p = fresh2("pull", ref)  # stderr is a pipe here: no progress
    assert "\x1b[" not in p.stderr and "\x1b[" not in p.stdout, p.stderr
    assert ref in p.stdout, p.stdout


def test_run_pulls_a_missing_image(capsa, work, registry):
    """run/create --pull (docker's): missing (the default) pulls an image the store lacks, first saying so on
    stderr (stdout is the container's); never refuses it; always pulls again.  The pull is capsa-image's."""
    subprocess.run(["sh", str(TOP / "scripts/mkimage-busybox.sh"), "busybox", "--", "--root", str(capsa.root)],
                   check=True, capture_output=True)
    ref = f"{registry.host}/capsa/run-pull:1"
    capsa("tag", "busybox", ref)
    capsa("push", ref)
    other = Capsa(work / "other")
    p = other("run", "--rm", "--network", "none", "--pull", "never", ref, "true", check=False)
    assert p.returncode == 125 and "not found locally" in p.stderr, p.stderr
    p = other("run", "--rm", "--network", "none", ref, "echo", "hi")
    assert p.stdout == "hi\n", p.stdout
    assert f"Unable to find image '{ref}' locally" in p.stderr and "Digest: sha256:" in p.stderr, p.stderr
    assert [i["names"] for i in other.images()] == [[ref]]
    p = other("run", "--rm", "--network", "none", ref, "true")  # there now: no pull
    assert "Unable to find" not in p.stderr and "Digest" not in p.stderr, p.stderr
    p = other("run", "--rm", "--network", "none", "--pull", "always", ref, "true")
    assert "Unable to find" not in p.stderr and "Digest: sha256:" in p.stderr, p.stderr
    third = Capsa(work / "third")
    cid = third("create", "--network", "none", ref, "true").stdout.strip()
    assert len(cid) == 64, cid
    third("rm", cid)
    p = other("run", "--rm", "--pull", "sometimes", ref, "true", check=False)
    assert p.returncode == 125 and "expected always, missing or never" in p.stderr, p.stderr
