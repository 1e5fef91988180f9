"""Real registries and hand-built images for the image tests (imported by test_images.py).

- `Registry`: a real `docker-registry` (Debian's distribution 2.8) on 127.0.0.1 and a free port, anonymous,
  with htpasswd basic auth, or with bearer tokens from `TokenServer` (a small token endpoint that signs
  RS256 JWTs with openssl, trusted by the registry through its rootcertbundle).
- `Layer` / `write_layout()`: OCI image layouts built by hand from Python's tarfile, so the tests control
  every entry: whiteouts, opaque dirs, hardlinks, symlinks, setuid bits, and malicious names.
- `tree()`: a comparable description of an unpacked root filesystem.
"""
import base64
import contextlib
import gzip
import hashlib
import http.server
import io
import json
import os
import pathlib
import socket
import subprocess
import tarfile
import threading
import time
import urllib.error
import urllib.request

REGISTRY_BIN = "/usr/bin/docker-registry"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TokenServer:
    """The token endpoint of the bearer flow: GET /token?service=..&scope=.. with basic auth."""

    def __init__(self, workdir, user="tokenuser", password="tokenpass"):
        self.dir = pathlib.Path(workdir)
        self.user, self.password = user, password
        self.key = self.dir / "token.key"
        self.cert = self.dir / "token.crt"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(self.key),
                        "-out", str(self.cert), "-days", "2", "-subj", "/CN=capsa-test-token"],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", str(self.cert), "-outform", "DER"], check=True,
                             capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()
        self.requests = []
        self.denied = set()  # repositories no one gets any access to
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                from urllib.parse import urlparse, parse_qs
                q = parse_qs(urlparse(self.path).query)
                auth = self.headers.get("Authorization", "")
                ok = auth == "Basic " + base64.b64encode(f"{server.user}:{server.password}".encode()).decode()
                server.requests.append({"scope": q.get("scope", [""])[0], "auth": bool(auth)})
                if auth and not ok:
                    self.send_response(401)
                    self.end_headers()
                    return
                access = []
                for scope in q.get("scope", []):
                    typ, name, actions = scope.split(":")
                    acts = actions.split(",") if ok else [a for a in actions.split(",") if a == "pull"]
                    acts = [] if name in server.denied else acts
                    access.append({"type": typ, "name": name, "actions": acts})
                body = json.dumps({"token": server.sign(q.get("service", [""])[0], access)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def realm(self):
        return f"http://127.0.0.1:{self.port}/token"

    def sign(self, service, access):
        b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT", "x5c": [self.x5c]}
        claims = {"iss": "capsa-test-issuer", "sub": self.user, "aud": service, "exp": now + 600, "nbf": now - 10,
                  "iat": now, "jti": f"{now}-{len(self.requests)}", "access": access}
        signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(self.key)], input=signing_input.encode(),
                             check=True, capture_output=True).stdout
        return signing_input + "." + b64(sig)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Registry:
    def __init__(self, workdir, auth=None, user="testuser", password="testpass", accesslog=False):
        self.dir = pathlib.Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.user, self.password = user, password
        self.token = None
        cfg = ["version: 0.1", "log:", "  level: warn", "  accesslog:", f"    disabled: {'false' if accesslog else 'true'}",
               "storage:", "  filesystem:", f"    rootdirectory: {self.dir}/data", "  delete:", "    enabled: true",
               "http:", f"  addr: {self.host}"]
        if auth == "basic":
            htpasswd = subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True,
                                      text=True).stdout
            (self.dir / "htpasswd").write_text(htpasswd)
            cfg += ["auth:", "  htpasswd:", "    realm: capsa-test", f"    path: {self.dir}/htpasswd"]
        elif auth == "token":
            self.token = TokenServer(self.dir, user, password)
            cfg += ["auth:", "  token:", f"    realm: {self.token.realm}", "    service: capsa-test-registry",
                    "    issuer: capsa-test-issuer", f"    rootcertbundle: {self.token.cert}"]
        (self.dir / "config.yml").write_text("\n".join(cfg) + "\n")
        self.log = open(self.dir / "registry.log", "w")
        self.proc = subprocess.Popen([REGISTRY_BIN, "serve", str(self.dir / "config.yml")], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # 401: up, and asking for credentials
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"docker-registry did not start: {(self.dir / 'registry.log').read_text()}")
                time.sleep(0.05)

    def requests(self):
        """(METHOD, PATH, STATUS) of each request so far, from the access log (accesslog=True)"""
        import re
        self.log.flush()
        lines = (self.dir / "registry.log").read_text().splitlines()
        return [(m[1], m[2], int(m[3])) for m in (re.search(r'"([A-Z]+) (\S+) HTTP/[0-9.]+" (\d+)', l) for l in lines)
                if m]

    def blob_path(self, digest):
        hexd = digest.split(":", 1)[1]
        return self.dir / "data/docker/registry/v2/blobs/sha256" / hexd[:2] / hexd / "data"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.token:
            self.token.stop()


# --- images built by hand ------------------------------------------------------------------------------

class Layer:
    """A tar layer described entry by entry (PAX format, deterministic)."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def _info(self, name, typ, mode, uid=0, gid=0):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.uid, ti.gid, ti.mtime = typ, mode, uid, gid, 1000000000
        return ti

    def dir(self, name, mode=0o755, **kw):
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, mode, **kw))
        return self

    def file(self, name, data=b"", mode=0o644, pax=None, **kw):
        ti = self._info(name, tarfile.REGTYPE, mode, **kw)
        data = data.encode() if isinstance(data, str) else data
        ti.size = len(data)
        if pax:
            ti.pax_headers = pax
        self.tar.addfile(ti, io.BytesIO(data))
        return self

    def symlink(self, name, target):
        ti = self._info(name, tarfile.SYMTYPE, 0o777)
        ti.linkname = target
        self.tar.addfile(ti)
        return self

    def hardlink(self, name, target):
        ti = self._info(name, tarfile.LNKTYPE, 0o644)
        ti.linkname = target
        self.tar.addfile(ti)
        return self

    def fifo(self, name):
        self.tar.addfile(self._info(name, tarfile.FIFOTYPE, 0o600))
        return self

    def chardev(self, name, major, minor, mode=0o666):
        ti = self._info(name, tarfile.CHRTYPE, mode)
        ti.devmajor, ti.devminor = major, minor
        self.tar.addfile(ti)
        return self

    def bytes(self):
        self.tar.close()
        return self.buf.getvalue()


def _put_blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (layout / "blobs" / "sha256" / d).write_bytes(data)
    return "sha256:" + d, len(data)


def write_layout(layout, layers, tag="latest", compression="gzip", config=None, arch="amd64", index=None):
    """An OCI image layout with one image of `layers` (tar bytes), tagged `tag` (ref.name annotation).
    Returns the manifest digest.  `index` may be a list of (arch, manifest descriptor) to add more platforms."""
    layout = pathlib.Path(layout)
    layout.mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    descs, diffids = [], []
    for tar in layers:
        diffids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        if compression == "gzip":
            blob, mt = gzip.compress(tar, compresslevel=1, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
        elif compression == "zstd":
            blob = subprocess.run(["zstd", "-q", "-c"], input=tar, check=True, capture_output=True).stdout
            mt = "application/vnd.oci.image.layer.v1.tar+zstd"
        else:
            blob, mt = tar, "application/vnd.oci.image.layer.v1.tar"
        d, n = _put_blob(layout, blob)
        descs.append({"mediaType": mt, "digest": d, "size": n})
    cfg = {"architecture": arch, "os": "linux", "created": "2001-09-09T01:46:40Z",
           "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"]},
           "rootfs": {"type": "layers", "diff_ids": diffids},
           "history": [{"created": "2001-09-09T01:46:40Z", "created_by": f"layer {i}"} for i in range(len(layers))]}
    cfg.update(config or {})
    cd, cn = _put_blob(layout, json.dumps(cfg).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
                "layers": descs}
    md, mn = _put_blob(layout, json.dumps(manifest).encode())
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn,
            "annotations": {"org.opencontainers.image.ref.name": tag}}
    idx_path = layout / "index.json"
    idx = json.loads(idx_path.read_text()) if idx_path.exists() else {"schemaVersion": 2, "manifests": []}
    idx["manifests"] = [m for m in idx["manifests"]
                        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag] + [desc]
    idx_path.write_text(json.dumps(idx))
    return md


def busybox_layer():
    """Layer 1 of the test images: a busybox-static root plus files the later layers change."""
    l = Layer()
    for d in ["bin", "etc", "proc", "sys", "dev", "root", "opq", "opq/keep", "gone-dir", "gone-dir/sub"]:
        l.dir(d)
    l.dir("tmp", mode=0o1777)
    l.file("bin/busybox", pathlib.Path("/bin/busybox").read_bytes(), mode=0o755)
    for a in ["sh", "ls", "cat", "echo"]:
        l.symlink(f"bin/{a}", "busybox")
    l.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
    l.file("etc/group", "root:x:0:\n")
    l.file("etc/base-file", "base\n")
    l.file("etc/delete-me", "gone\n")
    l.file("opq/old1", "old1\n")
    l.file("opq/keep/old2", "old2\n")
    l.file("gone-dir/sub/f", "x\n")
    l.file("owned", "owned by 1000\n", uid=1000, gid=1000)
    return l.bytes()


def layered_layers():
    """Three layers: the busybox base; whiteouts and an opaque dir; hardlinks, symlinks, setuid/setgid."""
    l2 = Layer().dir("etc").file("etc/layer2-file", "layer2\n").file("etc/base-file", "overwritten\n")
    l2.file("etc/.wh.delete-me").file(".wh.gone-dir").dir("opq").file("opq/.wh..wh..opq").file("opq/new", "new\n")
    l2.dir("bin").file("bin/.wh.cat")
    l3 = Layer().dir("l3").file("l3/a", "hardlinked\n").hardlink("l3/b", "l3/a").symlink("l3/sym", "/etc/layer2-file")
    l3.symlink("l3/rel", "../etc/base-file").file("l3/suid", "s\n", mode=0o4755).file("l3/sgid", "g\n", mode=0o2755)
    l3.dir("l3/sticky", mode=0o1777).fifo("l3/fifo").file("l3/xattr", "x\n", pax={"SCHILY.xattr.user.capsa": "yes"})
    l3.chardev("l3/null", 1, 3)
    return [busybox_layer(), l2.bytes(), l3.bytes()]


# --- comparing trees -------------------------------------------------------------------------------------

def tree(root):
    """{relative path: (type, mode, uid, gid, content sha256 / link target / rdev, hardlink group)}."""
    root = pathlib.Path(root)
    out, inodes = {}, {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = pathlib.Path(dirpath) / name
            rel = str(p.relative_to(root))
            st = os.lstat(p)
            kind = "?"
            extra = None
            import stat as S
            if S.S_ISDIR(st.st_mode):
                kind = "d"
            elif S.S_ISLNK(st.st_mode):
                kind, extra = "l", os.readlink(p)
            elif S.S_ISREG(st.st_mode):
                kind, extra = "f", hashlib.sha256(p.read_bytes()).hexdigest()
            elif S.S_ISCHR(st.st_mode):
                kind, extra = "c", (os.major(st.st_rdev), os.minor(st.st_rdev))
            elif S.S_ISFIFO(st.st_mode):
                kind = "p"
            link = None
            if kind == "f" and st.st_nlink > 1:
                link = inodes.setdefault((st.st_dev, st.st_ino), rel)
            out[rel] = (kind, oct(S.S_IMODE(st.st_mode)) if kind != "l" else None, st.st_uid, st.st_gid, extra, link)
    # hardlink groups named by their smallest member, whatever order the walk saw them in
    groups = {}
    for rel, v in out.items():
        if v[5]:
            groups.setdefault(v[5], []).append(rel)
    for members in groups.values():
        first = min(members)
        for m in members:
            out[m] = out[m][:5] + (first,)
    return out


def tree_diff(a, b):
    lines = []
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            lines.append(f"{k}: {a.get(k)} != {b.get(k)}")
    return lines


@contextlib.contextmanager
def umoci_unpack(layout, tag, dest):
    """`umoci unpack` of layout:tag into dest/bundle; yields the rootfs path."""
    bundle = pathlib.Path(dest) / "umoci-bundle"
    subprocess.run(["umoci", "unpack", "--image", f"{layout}:{tag}", str(bundle)], check=True, capture_output=True)
    yield bundle / "rootfs"
