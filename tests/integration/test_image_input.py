"""Bad image input (issue 21 items 7, 8 and 9): image configs and manifests checked by type when read,
a registry that lies (sizes, media types, an oversize manifest), stale transfers of killed pulls, and
`import` on a full disk.  The lying registry is a small http.server on 127.0.0.1 (an ephemeral port).
Every test has its own store in a temp dir and must leave no container, mount or temp file behind."""
import contextlib
import hashlib
import http.server
import json
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import BUILD, TOP
from registry_fixtures import Layer, busybox_layer, write_layout

CAPSA = BUILD / "src" / "cli" / "capsa"

pytestmark = pytest.mark.skipif(not CAPSA.exists(), reason=f"build capsa first: {CAPSA} is missing")

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


class Capsa:
    def __init__(self, root, home):
        self.root = pathlib.Path(root)
        home.mkdir(parents=True, exist_ok=True)
        (home / "registries.json").write_text('{"default-registry": "docker.io"}')
        self.env = dict(os.environ, HOME=str(home), CAPSA_AUTH_FILE=str(home / "auth.json"),
                        CAPSA_REGISTRIES_CONF=str(home / "registries.json"), CAPSA=str(CAPSA))

    def __call__(self, *args, check=True, timeout=120, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.run([str(CAPSA), "--root", str(self.root), *map(str, args)], env=self.env,
                           timeout=timeout, **kw)
        if check and p.returncode != 0:
            raise AssertionError(f"capsa {' '.join(map(str, args))} exited {p.returncode}\n"
                                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def popen(self, *args, **kw):
        return subprocess.Popen([str(CAPSA), "--root", str(self.root), *map(str, args)], env=self.env, **kw)

    def images(self):
        return json.loads(self("images", "--format", "raw").stdout)

    def tmp_entries(self):
        tmp = self.root / "tmp"
        return sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [l.split()[4] for l in f if str(path) in l.split()[4]]


@pytest.fixture
def work():
    d = pathlib.Path(tempfile.mkdtemp(prefix="capsa-imgin-"))
    os.chmod(d, 0o755)
    yield d
    left = mounts_under(d)
    for m in sorted(left, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)
    shutil.rmtree(d, ignore_errors=True)
    assert not left, f"mounts left under {d}: {left}"


@pytest.fixture
def capsa(work):
    return Capsa(work / "store", work / "home")


def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


# --- item 8: image configs checked by type ---------------------------------------------------------------

def test_run_refuses_a_config_whose_env_holds_a_number(capsa, work):
    """An image already in the store (from an older capsa, or edited) whose config has Env [1]: `capsa run`
    says which field is wrong, exits 125, and leaves no container, name or mount (it segfaulted after
    mounting the overlay)."""
    subprocess.run(["sh", str(TOP / "scripts" / "mkimage-busybox.sh"), "busybox", "--", "--root", str(capsa.root)],
                   check=True, capture_output=True, env=capsa.env)
    image_id = capsa.images()[0]["id"]
    cfg_path = capsa.root / "blobs" / "sha256" / image_id.split(":")[1]
    cfg = json.loads(cfg_path.read_text())
    cfg["config"]["Env"] = [1]
    cfg_path.write_text(json.dumps(cfg))  # the store trusts its blobs once written: this is what it reads
    p = capsa("run", "--rm", "--network", "none", "busybox", "true", check=False)
    assert p.returncode == 125, p
    assert "config.Env[0] is a number, not a string" in p.stderr, p.stderr
    assert "image config of busybox" in p.stderr, p.stderr
    assert [json.loads(l) for l in capsa("ps", "-a", "--format", "json").stdout.splitlines()] == []
    containers = capsa.root / "containers"
    assert not containers.exists() or list(containers.iterdir()) == []
    assert mounts_under(capsa.root) == []


def test_load_refuses_bad_types_naming_the_field(capsa, work):
    """An OCI layout whose config has Cmd as a string, or a layer with a negative size: `load` fails
    naming the field, registers nothing and leaves nothing in tmp/."""
    write_layout(work / "cmd", [busybox_layer()], tag="cmd", config={"config": {"Cmd": "sh"}})
    p = capsa("load", "-i", work / "cmd", check=False)
    assert p.returncode == 125 and "config.Cmd is a string, not an array" in p.stderr, p.stderr
    assert capsa.images() == [] and capsa.tmp_entries() == []
    layout = work / "neg"
    md = write_layout(layout, [busybox_layer()], tag="neg", compression="none")
    mpath = layout / "blobs" / "sha256" / md.split(":")[1]
    m = json.loads(mpath.read_text())
    m["layers"][0]["size"] = -5
    d, data = blob(json.dumps(m).encode())
    (layout / "blobs" / "sha256" / d.split(":")[1]).write_bytes(data)
    idx = json.loads((layout / "index.json").read_text())
    idx["manifests"][0].update(digest=d, size=len(data))
    (layout / "index.json").write_text(json.dumps(idx))
    p = capsa("load", "-i", layout, check=False)
    assert p.returncode == 125 and "layers[0].size is -5: refused" in p.stderr, p.stderr
    assert capsa.images() == [] and capsa.tmp_entries() == []


# --- item 9: a registry that lies -----------------------------------------------------------------------

class LyingRegistry:
    """A registry API (GET /v2/, manifests, blobs) over http on 127.0.0.1, serving what the test sets:
    manifests[ref] = (content_type, body bytes); blobs[digest] = bytes, or a callable writing the body
    to the socket itself (to lie about sizes or to stall)."""

    def __init__(self):
        self.manifests, self.blobs = {}, {}
        reg = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # bodies end when the connection closes: no length to trust

            def log_message(self, *a):
                pass

            def do_GET(self):
                parts = self.path.split("/")
                if self.path == "/v2/":
                    return self._send(200, "application/json", b"{}")
                if len(parts) >= 5 and parts[-2] == "manifests" and parts[-1] in reg.manifests:
                    ct, body = reg.manifests[parts[-1]]
                    return self._send(200, ct, body)
                if len(parts) >= 5 and parts[-2] == "blobs" and parts[-1] in reg.blobs:
                    b = reg.blobs[parts[-1]]
                    if callable(b):
                        self.send_response(200)
                        self.send_header("Content-Type", "application/octet-stream")
                        self.end_headers()
                        with contextlib.suppress(OSError):
                            b(self.wfile)
                        return
                    return self._send(200, "application/octet-stream", b)
                self._send(404, "application/json", b'{"errors":[{"code":"NOT_FOUND","message":"no"}]}')

            def _send(self, status, ct, body):
                self.send_response(status)
                self.send_header("Content-Type", ct)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def image(self, tag, layers, config=None, layer_sizes=None, layer_types=None, manifest_type=OCI_MANIFEST):
        """Serve an image of `layers` (plain tar bytes, or (declared size, callable) for a lying blob) as
        `tag`; returns the manifest dict."""
        descs, diffids = [], []
        for i, l in enumerate(layers):
            if isinstance(l, tuple):
                size, writer = l
                d = "sha256:" + hashlib.sha256(f"lie-{tag}-{i}".encode()).hexdigest()
                self.blobs[d] = writer
                diffids.append(d)
            else:
                d, _ = blob(l)
                self.blobs[d] = l
                size = len(l)
                diffids.append(d)
            descs.append({"mediaType": (layer_types or {}).get(i, OCI_LAYER), "digest": d,
                          "size": (layer_sizes or {}).get(i, size)})
        cfg = {"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/bin"]},
               "rootfs": {"type": "layers", "diff_ids": diffids}}
        cfg.update(config or {})
        cd, cdata = blob(json.dumps(cfg).encode())
        self.blobs[cd] = cdata
        m = {"schemaVersion": 2, "mediaType": manifest_type,
             "config": {"mediaType": OCI_CONFIG, "digest": cd, "size": len(cdata)}, "layers": descs}
        self.manifests[tag] = (manifest_type, json.dumps(m).encode())
        return m


@pytest.fixture
def liar():
    r = LyingRegistry()
    yield r
    r.stop()


def streamer(total, chunk=1 << 20, delay=0.0):
    def write(wfile):
        sent = 0
        data = b"\0" * chunk
        while sent < total:
            wfile.write(data)
            wfile.flush()
            sent += chunk
            if delay:
                time.sleep(delay)
    return write


def test_pull_stops_at_the_declared_size(capsa, liar):
    """A blob declared as 100 bytes that streams 256 MiB (no Content-Length): the pull fails at the
    declared size, the store holds nothing of it, tmp/ is empty."""
    liar.image("lie", [(100, streamer(256 << 20))])
    t0 = time.time()
    p = capsa("pull", "-q", f"{liar.host}/x/y:lie", check=False, timeout=60)
    assert p.returncode == 125, p
    assert "more than the 100 bytes its manifest declares: refused" in p.stderr, p.stderr
    assert time.time() - t0 < 30
    assert capsa.images() == [] and capsa.tmp_entries() == []
    total = sum(f.stat().st_size for f in (capsa.root / "blobs").rglob("*") if f.is_file())
    assert total < (1 << 20), f"{total} bytes in blobs/"


@pytest.mark.parametrize("case", ["negative-size", "layer-media-type", "served-as-index", "oversize-manifest",
                                  "config-media-type", "short-blob", "env-number"])
def test_pull_refuses_lies(capsa, liar, case):
    layer = Layer().file("f", b"hello\n").bytes()
    want = {
        "negative-size": "layers[0].size is -1: refused (a size is never negative)",
        "layer-media-type": "layers[0].mediaType `text/html` is not a layer capsa can unpack",
        "served-as-index": f"served as `{OCI_INDEX}` but the document says it is `{OCI_MANIFEST}`: refused",
        "oversize-manifest": "over 4 MiB, the limit for a manifest: refused",
        "config-media-type": "is not an image config",
        "short-blob": f"cut short at {len(layer)} of the {len(layer) + 10} bytes its manifest declares",
        "env-number": f"image config of {liar.host}/x/y:t: config.Env[1] is a number, not a string",
    }[case]
    if case == "negative-size":
        liar.image("t", [layer], layer_sizes={0: -1})
    elif case == "layer-media-type":
        liar.image("t", [layer], layer_types={0: "text/html"})
    elif case == "served-as-index":
        liar.image("t", [layer])
        liar.manifests["t"] = (OCI_INDEX, liar.manifests["t"][1])
    elif case == "oversize-manifest":
        m = liar.image("t", [layer])
        m["annotations"] = {"pad": "x" * (5 << 20)}
        liar.manifests["t"] = (OCI_MANIFEST, json.dumps(m).encode())
    elif case == "config-media-type":
        m = liar.image("t", [layer])
        m["config"]["mediaType"] = "application/vnd.cncf.helm.config.v1+json"
        liar.manifests["t"] = (OCI_MANIFEST, json.dumps(m).encode())
    elif case == "short-blob":
        liar.image("t", [layer], layer_sizes={0: len(layer) + 10})
    elif case == "env-number":
        liar.image("t", [layer], config={"config": {"Env": ["PATH=/bin", 1]}})
    p = capsa("pull", "-q", f"{liar.host}/x/y:t", check=False, timeout=90)
    assert p.returncode == 125 and want in p.stderr, p.stderr
    assert capsa.images() == [] and capsa.tmp_entries() == []
    if case == "env-number":  # the config is checked before any layer is downloaded
        assert not (capsa.root / "blobs" / "sha256" / blob(layer)[0].split(":")[1]).exists()


def test_honest_pull_from_the_test_registry(capsa, liar):
    """The same server telling the truth: the pull works (so the refusals above are the lies')."""
    liar.image("ok", [busybox_layer()])
    p = capsa("pull", "-q", f"{liar.host}/x/y:ok")
    assert p.stdout.strip() == f"{liar.host}/x/y:ok"
    assert len(capsa.images()) == 1 and capsa.tmp_entries() == []


# --- item 7: stale transfers ------------------------------------------------------------------------------

def kill_mid_blob(capsa, ref, min_bytes=1 << 20):
    proc = capsa.popen("pull", "-q", ref, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    try:
        while time.time() < deadline:
            tmp = capsa.root / "tmp"
            sizes = [f.stat().st_size for f in tmp.glob("blob-*")] if tmp.exists() else []
            if any(s >= min_bytes for s in sizes):
                proc.send_signal(signal.SIGKILL)
                return
            time.sleep(0.01)
        raise AssertionError("the pull never got a megabyte into tmp/")
    finally:
        proc.kill()
        proc.wait()


def test_killed_pull_is_cleaned_by_the_next_pull_but_a_live_one_is_not(capsa, liar, work):
    """SIGKILL mid-blob leaves a temp file; a pull running meanwhile keeps its own (locked) temp file
    and completes; the next pull removes the stale one; tmp/ ends empty."""
    size = 24 << 20
    slow = Layer().file("big", b"\0" * size).bytes()
    liar.image("slow", [(len(slow), lambda w: [w.write(slow[i:i + (1 << 20)]) or w.flush() or time.sleep(0.05)
                                               for i in range(0, len(slow), 1 << 20)])])
    # the diff id must match the content for the pull to complete
    d = blob(slow)[0]
    m = json.loads(liar.manifests["slow"][1])
    lie = m["layers"][0]["digest"]
    liar.blobs[d] = liar.blobs.pop(lie)
    m["layers"][0]["digest"] = d
    cfg = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [d]}}
    cd, cdata = blob(json.dumps(cfg).encode())
    liar.blobs[cd] = cdata
    m["config"].update(digest=cd, size=len(cdata))
    liar.manifests["slow"] = (OCI_MANIFEST, json.dumps(m).encode())
    ref = f"{liar.host}/x/y:slow"

    kill_mid_blob(capsa, ref)
    stale = capsa.tmp_entries()
    assert stale, "the killed pull left nothing to clean"
    # a live pull: a second pull started while it runs must not remove its temp file
    live = capsa.popen("pull", "-q", ref, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while time.time() < deadline and not (set(capsa.tmp_entries()) - set(stale)):
        time.sleep(0.01)
    other = Capsa(capsa.root, work / "home2")
    liar.image("small", [Layer().file("s", b"s\n").bytes()])
    other("pull", "-q", f"{liar.host}/x/y:small")
    out, errs = live.communicate(timeout=120)
    assert live.returncode == 0, errs
    assert not (set(stale) & set(capsa.tmp_entries())), "the stale temp files are still there"
    assert capsa.tmp_entries() == []
    assert sorted(i["names"][0] for i in capsa.images()) == [ref, f"{liar.host}/x/y:small"]


def test_image_prune_reports_the_stale_transfers(capsa, liar):
    """Stale temp files count in `image prune`'s total (it said 0 B while removing gigabytes)."""
    slow = 64 << 20
    liar.image("slow", [(slow, streamer(slow, delay=0.05))])
    kill_mid_blob(capsa, f"{liar.host}/x/y:slow", min_bytes=4 << 20)
    left = sum(f.stat().st_size for f in (capsa.root / "tmp").iterdir() if f.is_file())
    assert left >= 4 << 20
    out = capsa("image", "prune", "-f").stdout
    total = out.strip().splitlines()[-1]
    assert total.startswith("Total reclaimed space: ") and not total.endswith(" 0B"), out
    number = float(total.split(": ")[1].rstrip("kMGTB"))
    assert "MB" in total and number >= 4, out
    assert capsa.tmp_entries() == []


def test_import_on_a_full_disk_says_where_and_why(capsa, work):
    """`import` of a directory larger than the store's 2 MiB tmpfs: a clear error (what, where, why), no
    image, nothing left in tmp/."""
    src = work / "rootfs"
    src.mkdir()
    (src / "big").write_bytes(os.urandom(4 << 20))
    disk = work / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], check=True)
    try:
        tiny = Capsa(disk / "store", work / "home")
        p = tiny("import", src, "full:1", check=False)
        assert p.returncode == 125, p
        assert "no space left on device" in p.stderr and "write layer to `" + str(disk / "store" / "tmp") in p.stderr, \
            p.stderr
        assert "Write error" not in p.stderr
        assert tiny.images() == [] and tiny.tmp_entries() == []
        # a tarball: the same
        tar = work / "big.tar"
        subprocess.run(["tar", "-C", str(src), "-cf", str(tar), "."], check=True)
        p = tiny("import", tar, "full:2", check=False)
        assert p.returncode == 125 and "no space left on device" in p.stderr, p.stderr
        assert "write layer to `" + str(disk / "store" / "tmp") in p.stderr, p.stderr
        assert tiny.images() == [] and tiny.tmp_entries() == []
    finally:
        subprocess.run(["umount", "-l", str(disk)])
