#!/usr/bin/env python3
"""Pull and unpack of a multi-layer image from a local registry: `capsa pull` against
`podman pull`, each into a fresh empty store every time, medians of N runs and their ratio.

The images: busybox plus three layers of incompressible data (8 MiB each) and one of many small
files; and one layer of 200 MiB (incompressible: gzip stores it); gzip layers, pushed once to a
`docker-registry` on 127.0.0.1 (Debian's distribution).  Beside them, the limit: the disk's write
throughput where the stores are (256 MiB written and fsynced, dd), and each pull's throughput
(the layers' uncompressed bytes over its time).
Usage: python3 bench/pull.py [--runs N] [--build DIR] [--no-big]
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

from common import remove_workdir

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def add_blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{layout}/blobs/sha256/{d}", "wb").write(data)
    return {"digest": f"sha256:{d}", "size": len(data)}


def layer(files):
    """files: {path: bytes or None for a directory} -> (gzip blob, diff_id, tar bytes)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.mtime = 0
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            else:
                info.size, info.mode = len(data), 0o755 if path.endswith("busybox") else 0o644
                t.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    return gzip.compress(tar, compresslevel=1, mtime=0), "sha256:" + hashlib.sha256(tar).hexdigest(), len(tar)


def multilayer():
    layers = [layer({"bin": None, "bin/busybox": open("/bin/busybox", "rb").read()})]
    for i in range(3):
        layers.append(layer({f"data{i}": None, f"data{i}/blob": os.urandom(8 << 20)}))
    layers.append(layer({"many": None, **{f"many/f{i}": os.urandom(512) for i in range(2000)}}))
    return layers


def big():
    return [layer({"big": None, "big/blob": os.urandom(200 << 20)})]


def make_layout(layout, name, layers):
    """An OCI layout of one image `name` with layers [(gzip blob, diff_id, tar bytes)]: their sizes."""
    os.makedirs(f"{layout}/blobs/sha256")
    open(f"{layout}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
    descs = [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **add_blob(layout, blob)}
             for blob, _, _ in layers]
    config = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/busybox", "true"]},
              "rootfs": {"type": "layers", "diff_ids": [d for _, d, _ in layers]}}
    cdesc = {"mediaType": "application/vnd.oci.image.config.v1+json",
             **add_blob(layout, json.dumps(config).encode())}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": cdesc,
                "layers": descs}
    mdesc = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             **add_blob(layout, json.dumps(manifest).encode()),
             "annotations": {"org.opencontainers.image.ref.name": name}}
    json.dump({"schemaVersion": 2, "manifests": [mdesc]}, open(f"{layout}/index.json", "w"))
    return sum(len(b) for b, _, _ in layers), sum(n for _, _, n in layers)


def timed(cmd, env=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)
    return time.perf_counter() - t0


def disk_write_mibs(d):
    """MiB/s of writing 256 MiB into d and fsyncing it (what a store's disk takes at most)."""
    f = f"{d}/dd-probe"
    t0 = time.perf_counter()
    subprocess.run(["dd", "if=/dev/zero", f"of={f}", "bs=1M", "count=256", "conv=fsync"], check=True,
                   capture_output=True)
    dt = time.perf_counter() - t0
    os.unlink(f)
    return 256 / dt


def bench_image(capsa, w, ref, tag, runs, env):
    """Medians of capsa's and podman's pulls of ref, each into a fresh store."""
    capsa_t, podman_t = [], []
    for i in range(runs):
        capsa_t.append(timed([capsa, "--root", f"{w}/c{tag}{i}", "pull", "-q", ref]))
        podman_t.append(timed(["podman", "--root", f"{w}/p{tag}{i}", "--runroot", f"{w}/pr{tag}{i}", "--storage-driver",
                               "overlay", "pull", "-q", "--tls-verify=false", ref], env=env))
    # the stores go only now: ext4 scans past recently deleted inodes (for a minute or more) when
    # it allocates, so a removal between the runs slows whichever pull comes next
    for i in range(runs):
        subprocess.run(["podman", "--root", f"{w}/p{tag}{i}", "--runroot", f"{w}/pr{tag}{i}", "--storage-driver",
                        "overlay", "system", "reset", "-f"], env=env, capture_output=True)
        shutil.rmtree(f"{w}/c{tag}{i}", ignore_errors=True)
    return statistics.median(capsa_t), statistics.median(podman_t)


def report(what, sizes, c, p, goal, disk):
    packed, raw = sizes
    print(f"pull + unpack of {what} ({packed / 2**20:.1f} MiB compressed, {raw / 2**20:.1f} MiB unpacked):")
    print(f"  capsa pull  {c * 1000:8.1f} ms  ({raw / 2**20 / c:6.1f} MiB/s; the disk writes {disk:.0f} MiB/s)")
    print(f"  podman pull {p * 1000:8.1f} ms  ({raw / 2**20 / p:6.1f} MiB/s)")
    print(f"  capsa/podman {c / p:.2f} (goal <= {goal}x: {'met' if c / p <= goal else 'NOT met'})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--build", default=f"{TOP}/build-bench")
    ap.add_argument("--no-big", action="store_true", help="without the 200 MiB layer")
    a = ap.parse_args()
    capsa = os.path.abspath(f"{a.build}/src/cli/capsa")
    for need in ("/usr/bin/docker-registry", "podman", capsa):
        if not shutil.which(need) and not os.path.exists(need):
            sys.exit(f"bench/pull.py: {need} is missing (bench/run.sh installs what it needs)")
    w = tempfile.mkdtemp(prefix="capsa-pullbench-")
    port = free_port()
    open(f"{w}/registry.yml", "w").write(
        f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {w}/registry\n"
        f"http:\n  addr: 127.0.0.1:{port}\nlog:\n  level: error\n")
    reg = subprocess.Popen(["/usr/bin/docker-registry", "serve", f"{w}/registry.yml"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        images = [("a 5-layer image", "bench/multilayer:latest", multilayer)]
        if not a.no_big:
            images.append(("one 200 MiB layer", "bench/big:latest", big))
        conf = f"{w}/containers.conf"
        open(conf, "w").write('[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n')
        env = dict(os.environ, CONTAINERS_CONF=conf)
        disk = disk_write_mibs(w)
        print(f"from a local registry, median of {a.runs}, a fresh store each time; stores in {w}")
        for k, (what, name, make) in enumerate(images):
            sizes = make_layout(f"{w}/layout{k}", name, make())
            subprocess.run([capsa, "--root", f"{w}/seed", "load", "-q", "-i", f"{w}/layout{k}"], check=True)
            subprocess.run([capsa, "--root", f"{w}/seed", "push", "-q", name, f"127.0.0.1:{port}/{name}"], check=True)
            shutil.rmtree(f"{w}/layout{k}")
            c, p = bench_image(capsa, w, f"127.0.0.1:{port}/{name}", str(k), a.runs, env)
            report(what, sizes, c, p, 0.25, disk)
    finally:
        reg.terminate()
        reg.wait()
        remove_workdir(w)


if __name__ == "__main__":
    main()
