"""Kubernetes' path: containerd's CRI plugin with a `capsa` runtime handler (the runc v2 shim with
BinaryName = the built capsa-oci), driven the way kubelet drives it, by a small gRPC client whose
stubs are generated at test time from the CRI v1 proto (../shared/cri/api.proto; Debian's
python3-grpcio and python3-grpc-tools).  The same steps run with the `runc` handler first, so a
failure that is the machine's shows as such.

containerd runs with its own root, state, socket and config; no CNI plugin is installed, so pods
use the host's network (NamespaceOption NODE, as hostNetwork pods do).  The sandbox ("pause") image
is built here from the busybox test rootfs and imported offline with `ctr images import`."""
import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time

import pytest

from conftest import OCI, TOP

PROTO = TOP.parent / "shared" / "cri" / "api.proto"
IMAGE = "localhost/capsa-cri-pause:1"
RUNC = os.environ.get("CAPSA_TEST_RUNC") or shutil.which("runc") or "/usr/sbin/runc"
MiB = 1 << 20


def need():
    for t in ("containerd", "ctr", "containerd-shim-runc-v2"):
        if shutil.which(t) is None:
            pytest.skip(f"{t} is not installed (apt-get install containerd); see .ci/packages-test.txt")
    if not PROTO.exists():
        pytest.skip(f"the CRI proto is not at {PROTO}")
    try:
        import grpc  # noqa: F401
        import grpc_tools  # noqa: F401
    except ImportError:
        pytest.skip("python3-grpcio and python3-grpc-tools are not installed; see .ci/packages-test.txt")


def cri_stubs(out):
    """api_pb2 and api_pb2_grpc generated from the proto into out."""
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO.parent}", f"--python_out={out}",
                    f"--grpc_python_out={out}", PROTO.name], check=True, capture_output=True)
    sys.path.insert(0, str(out))
    try:
        import api_pb2
        import api_pb2_grpc
    finally:
        sys.path.remove(str(out))
    return api_pb2, api_pb2_grpc


def blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def oci_archive(rootfs, dest):
    """An OCI image archive of rootfs whose default command sleeps until SIGTERM (a pause image)."""
    layout = dest.parent / "layout"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        t.add(str(rootfs), arcname=".")
    layer = buf.getvalue()
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Entrypoint": ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"],
                         "Env": ["PATH=/bin:/usr/bin"]},
              "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(layer).hexdigest()}"]}}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": dict(blob(layout, json.dumps(config).encode()),
                               mediaType="application/vnd.oci.image.config.v1+json"),
                "layers": [dict(blob(layout, layer), mediaType="application/vnd.oci.image.layer.v1.tar")]}
    index = {"schemaVersion": 2, "manifests": [
        dict(blob(layout, json.dumps(manifest).encode()), mediaType="application/vnd.oci.image.manifest.v1+json",
             annotations={"io.containerd.image.name": IMAGE, "org.opencontainers.image.ref.name": "1"})]}
    (layout / "index.json").write_text(json.dumps(index))
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    subprocess.run(["tar", "-C", str(layout), "-cf", str(dest), "."], check=True)
    return dest


def containerd_config(w):
    cri = 'plugins."io.containerd.grpc.v1.cri"'
    runtimes = "".join(f"""
[{cri}.containerd.runtimes.{name}]
  runtime_type = "io.containerd.runc.v2"
[{cri}.containerd.runtimes.{name}.options]
  BinaryName = "{binary}"
  Root = "{w}/{name}-root"
""" for name, binary in (("runc", RUNC), ("capsa", OCI)))
    return f"""version = 2
root = "{w}/root"
state = "{w}/state"
[grpc]
  address = "{w}/containerd.sock"
[ttrpc]
  address = "{w}/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{w}/opt"
[{cri}]
  sandbox_image = "{IMAGE}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  restrict_oom_score_adj = true
[{cri}.cni]
  bin_dir = "{w}/cni-bin"
  conf_dir = "{w}/cni-conf"
[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
{runtimes}"""


def kill_procs_mentioning(text):
    for p in os.listdir("/proc"):
        if p.isdigit() and int(p) != os.getpid():
            with contextlib.suppress(OSError):
                if text in open(f"/proc/{p}/cmdline").read():
                    os.kill(int(p), signal.SIGKILL)


def umount_under(path):
    for line in reversed(open("/proc/self/mountinfo").read().splitlines()):
        mp = line.split()[4]
        if mp.startswith(str(path)):
            subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)


def remove_cgroups(name):
    for mp in [l.split()[4] for l in open("/proc/self/mountinfo") if " - cgroup" in l]:
        d = f"{mp}/{name}"
        if os.path.isdir(d):
            subprocess.run(["find", d, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"], stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def cri(rootfs_template, tmp_path_factory):
    need()
    import grpc
    w = tmp_path_factory.mktemp("cri")
    for d in ("cni-bin", "cni-conf", "logs/runc", "logs/capsa"):
        (w / d).mkdir(parents=True)
    pb, pb_grpc = cri_stubs(w)
    (w / "config.toml").write_text(containerd_config(w))
    log = open(w / "containerd.log", "w")
    daemon = subprocess.Popen(["containerd", "--config", str(w / "config.toml")], stdout=log, stderr=log)
    ctr = ["ctr", "--address", f"{w}/containerd.sock", "-n", "k8s.io"]
    try:
        channel = grpc.insecure_channel(f"unix://{w}/containerd.sock")
        grpc.channel_ready_future(channel).result(timeout=20)
        subprocess.run(ctr + ["images", "import", str(oci_archive(rootfs_template, w / "pause.tar"))],
                       check=True, capture_output=True, timeout=120)
        rt = pb_grpc.RuntimeServiceStub(channel)
        img = pb_grpc.ImageServiceStub(channel)
        for _ in range(100):  # the CRI plugin learns of the image from containerd's events
            if img.ImageStatus(pb.ImageStatusRequest(image=pb.ImageSpec(image=IMAGE))).image.id:
                break
            time.sleep(0.1)
        yield pb, rt, w
    finally:
        daemon.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            daemon.wait(timeout=10)
        daemon.kill()
        daemon.wait()
        kill_procs_mentioning(str(w))
        umount_under(w)
        remove_cgroups(f"capsa-cri-{os.getpid()}")
        log.close()


def exec_sync(pb, rt, cid, *cmd):
    r = rt.ExecSync(pb.ExecSyncRequest(container_id=cid, cmd=list(cmd), timeout=20))
    return r.exit_code, r.stdout.decode().strip(), r.stderr.decode().strip()


def memory_limit_file():
    with open("/proc/self/mountinfo") as f:
        v1 = any(" - cgroup " in l and ",memory" in l for l in f)
    return "/sys/fs/cgroup/memory/memory.limit_in_bytes" if v1 else "/sys/fs/cgroup/memory.max"


def pod_and_container(pb, rt, w, handler):
    """The kubelet's calls for one pod with one container; returns (pod id, container id)."""
    ns = pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER, ipc=pb.POD)
    pod_cfg = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=f"pod-{handler}", uid=f"uid-{handler}", namespace="default"),
        log_directory=str(w / "logs" / handler),
        linux=pb.LinuxPodSandboxConfig(cgroup_parent=f"/capsa-cri-{os.getpid()}/{handler}",
                                       security_context=pb.LinuxSandboxSecurityContext(namespace_options=ns)))
    pod = rt.RunPodSandbox(pb.RunPodSandboxRequest(config=pod_cfg, runtime_handler=handler)).pod_sandbox_id
    sc = pb.LinuxContainerSecurityContext(
        run_as_user=pb.Int64Value(value=1000), readonly_rootfs=True, no_new_privs=True,
        capabilities=pb.Capability(drop_capabilities=["ALL"], add_capabilities=["NET_BIND_SERVICE"]),
        namespace_options=ns)
    res = pb.LinuxContainerResources(memory_limit_in_bytes=64 * MiB, cpu_period=100000, cpu_quota=50000,
                                     cpu_shares=512)
    c_cfg = pb.ContainerConfig(metadata=pb.ContainerMetadata(name="work"), image=pb.ImageSpec(image=IMAGE),
                               command=["/bin/sh", "-c", "sleep 3600"], log_path="work.log",
                               linux=pb.LinuxContainerConfig(resources=res, security_context=sc))
    cid = rt.CreateContainer(pb.CreateContainerRequest(pod_sandbox_id=pod, config=c_cfg,
                                                       sandbox_config=pod_cfg)).container_id
    rt.StartContainer(pb.StartContainerRequest(container_id=cid))
    return pod, cid


def steps(pb, rt, w, handler):
    pod, cid = pod_and_container(pb, rt, w, handler)
    try:
        limit = memory_limit_file()
        assert exec_sync(pb, rt, cid, "cat", limit) == (0, str(64 * MiB), ""), handler
        assert exec_sync(pb, rt, cid, "id", "-u")[1] == "1000", handler
        code, _, err = exec_sync(pb, rt, cid, "touch", "/x")
        assert code != 0 and "Read-only" in err, (handler, err)
        caps = exec_sync(pb, rt, cid, "grep", "CapBnd", "/proc/self/status")[1]
        assert caps.split()[-1] == f"{1 << 10:016x}", (handler, caps)  # CAP_NET_BIND_SERVICE alone
        stats = rt.ContainerStats(pb.ContainerStatsRequest(container_id=cid)).stats
        assert stats.attributes.id == cid and stats.memory.working_set_bytes.value > 0, (handler, stats)
        rt.UpdateContainerResources(pb.UpdateContainerResourcesRequest(
            container_id=cid, linux=pb.LinuxContainerResources(memory_limit_in_bytes=128 * MiB, cpu_period=100000,
                                                               cpu_quota=20000, cpu_shares=256)))
        assert exec_sync(pb, rt, cid, "cat", limit) == (0, str(128 * MiB), ""), handler
        rt.StopContainer(pb.StopContainerRequest(container_id=cid, timeout=2))
        st = rt.ContainerStatus(pb.ContainerStatusRequest(container_id=cid)).status
        assert st.state == pb.CONTAINER_EXITED, (handler, st)
    finally:
        rt.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod))
        rt.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod))
    assert not [c for c in rt.ListContainers(pb.ListContainersRequest()).containers if c.pod_sandbox_id == pod]


@pytest.mark.parametrize("handler", ["runc", "capsa"])
def test_cri_pod_lifecycle(cri, handler):
    pb, rt, w = cri
    steps(pb, rt, w, handler)
