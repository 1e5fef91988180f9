#!/usr/bin/python3
"""Capture the bodies real Docker clients send to POST /containers/create.

A fake Docker Engine API (v1.41) on a unix socket answers what each client asks before it
creates (/_ping, /version, networks, volumes, images, the container list), records the body of
POST /containers/create and answers 500, so the client stops there.  Each case runs one client
and writes its body, pretty-printed, to CASE.json next to this script.

    /usr/bin/python3 tests/unit/data/create/capture.py [CASE...]

The clients: the docker 20.10 CLI (/usr/bin/docker), docker-compose 1.29 and python3-docker
5.0.3.  No daemon, image or network is needed: nothing is created.
"""
import json
import os
import queue
import socketserver
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler

HERE = os.path.dirname(os.path.abspath(__file__))
BODIES = queue.Queue()
IMAGE_CONFIG = {"Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                "ExposedPorts": {"80/tcp": {}}, "Labels": None, "Entrypoint": None, "Volumes": None}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return "unix"

    def log_message(self, fmt, *args):
        if os.environ.get("CAPTURE_DEBUG"):
            sys.stderr.write("fake dockerd: " + fmt % args + "\n")

    def answer(self, code, body=None):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(code)
        self.send_header("Api-Version", "1.41")
        self.send_header("Docker-Experimental", "false")
        self.send_header("Ostype", "linux")
        self.send_header("Server", "Docker/20.10.24 (linux)")
        self.send_header("Content-Type", "application/json" if body is not None and not isinstance(body, bytes)
                         else "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                n = int(self.rfile.readline().strip().split(b";")[0], 16)
                if n == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(n)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def route(self):
        path = self.path.split("?")[0]
        parts = path.strip("/").split("/")
        if parts and parts[0].startswith("v1."):
            parts = parts[1:]
        body = self.body()
        m, p = self.command, "/".join(parts)
        if p == "_ping":
            return self.answer(200, b"OK")
        if p == "version":
            return self.answer(200, {"Version": "20.10.24", "ApiVersion": "1.41", "MinAPIVersion": "1.12",
                                     "Os": "linux", "Arch": "amd64", "KernelVersion": os.uname().release})
        if p == "info":
            return self.answer(200, {"ID": "fake", "Name": "fake", "ServerVersion": "20.10.24"})
        if p == "containers/create" and m == "POST":
            BODIES.put({"query": self.path.split("?", 1)[1] if "?" in self.path else "",
                        "body": json.loads(body or b"null")})
            return self.answer(500, {"message": "capture.py: body recorded, nothing created"})
        if p == "containers/json":
            return self.answer(200, [])
        if p in ("networks/create", "volumes/create"):
            name = json.loads(body or b"{}").get("Name", "x")
            if p == "volumes/create":
                return self.answer(201, {"Name": name, "Driver": "local", "Mountpoint": "/x", "Labels": {},
                                         "Scope": "local", "Options": {}})
            return self.answer(201, {"Id": "0" * 64, "Warning": ""})
        if parts[0] in ("networks", "volumes") and m == "GET" and len(parts) == 2:
            return self.answer(404, {"message": "no such %s" % parts[0][:-1]})
        if parts[0] == "networks" and m == "GET":
            return self.answer(200, [])
        if parts[0] == "images" and parts[-1] == "json" and m == "GET":
            return self.answer(200, {"Id": "sha256:" + "1" * 64, "RepoTags": ["busybox:latest"],
                                     "Config": IMAGE_CONFIG, "ContainerConfig": IMAGE_CONFIG})
        return self.answer(404, {"message": "capture.py: %s /%s not faked" % (m, p)})

    do_GET = do_POST = do_HEAD = do_DELETE = do_PUT = route


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def docker_cli(sock, args):
    env = dict(os.environ, DOCKER_HOST="unix://" + sock, DOCKER_CONFIG=tempfile.mkdtemp())
    subprocess.run(["/usr/bin/docker", "create"] + args, env=env, capture_output=True, timeout=60)


CLI_WIDE = [
    "--name", "wide", "-e", "A=1", "-e", "B=two words", "-v", "/srv/data:/data:ro", "-v", "named:/named",
    "-v", "/anon", "--mount", "type=bind,source=/tmp,target=/mnt/tmp,readonly",
    "--mount", "type=volume,source=vol2,target=/vol2", "--mount", "type=tmpfs,target=/scratch,tmpfs-size=64m",
    "-p", "8080:80", "-p", "127.0.0.1:5353:53/udp", "-p", "9000", "--expose", "7000", "-w", "/work",
    "-u", "1000:1000", "--entrypoint", "/bin/sh", "-m", "64m", "--memory-swap", "128m", "--cpus", "0.5",
    "--cpu-shares", "512", "--pids-limit", "100", "--restart", "on-failure:3", "--cap-add", "NET_ADMIN",
    "--cap-drop", "MKNOD", "--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined",
    "--ulimit", "nofile=1024:2048", "--ulimit", "nproc=512", "--sysctl", "net.ipv4.ip_forward=1",
    "-l", "com.example.k=v", "-l", "empty=", "--tmpfs", "/run:size=16m,mode=1777", "--tmpfs", "/cache",
    "--device", "/dev/null:/dev/xnull:rw", "--device", "/dev/zero", "--read-only", "--init", "-t", "-i",
    "--hostname", "h1", "--network", "mynet", "--stop-signal", "SIGUSR1", "--stop-timeout", "20",
    "--shm-size", "32m", "--cpuset-cpus", "0", "--blkio-weight", "300",
    "busybox", "-c", "echo hi",
]
CLI_QUOTA = [
    "--name", "quota", "--cpu-quota", "50000", "--cpu-period", "100000", "--privileged", "--rm", "-P",
    "--expose", "7000-7001/udp", "--restart", "no", "--network", "host", "--entrypoint", "", "busybox",
]

def cli_seccomp(sock):
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "profile.json"), "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}, f)
    docker_cli(sock, ["--security-opt", "seccomp=" + os.path.join(d, "profile.json"), "busybox"])


CASES = {
    "docker-cli-seccomp": cli_seccomp,
    "docker-cli-minimal": lambda s: docker_cli(s, ["busybox"]),
    "docker-cli-wide": lambda s: docker_cli(s, CLI_WIDE),
    "docker-cli-quota": lambda s: docker_cli(s, CLI_QUOTA),
}

COMPOSE = """version: "3.8"
services:
  web:
    image: busybox
    command: ["httpd", "-f", "-p", "80"]
    ports: ["8080:80", "127.0.0.1:9090:90/udp"]
    volumes: ["data:/data", "/srv/web:/srv:ro"]
    environment: {MODE: prod, EMPTY: ""}
    networks: {front: {aliases: [www]}}
    depends_on: [db]
    restart: unless-stopped
  db:
    image: busybox
    command: sleep 1000
    environment: [DB=1]
    volumes: ["data:/var/lib/db"]
    networks: [front]
volumes:
  data: {}
networks:
  front: {}
"""


def compose(service):
    def run(sock):
        d = tempfile.mkdtemp()
        with open(os.path.join(d, "docker-compose.yml"), "w") as f:
            f.write(COMPOSE)
        subprocess.run(["docker-compose", "-p", "demo", "-H", "unix://" + sock, "up", "--no-deps",
                        "-d", service], cwd=d, capture_output=True, timeout=120)
    return run


CASES["compose-web"] = compose("web")
CASES["compose-db"] = compose("db")


def sdk_case(kwargs):
    def run(sock):
        import docker
        c = docker.DockerClient(base_url="unix://" + sock)
        try:
            c.containers.create("busybox", **kwargs)
        except docker.errors.APIError:
            pass
    return run


def sdk_types():
    import docker
    return {
        "command": ["sh", "-c", "echo hi"], "name": "sdk", "environment": {"A": "1"},
        "ports": {"80/tcp": 8080, "53/udp": ("127.0.0.1", 5353), "9000/tcp": None},
        "volumes": {"/srv/data": {"bind": "/data", "mode": "ro"}, "named": {"bind": "/named", "mode": "rw"}},
        "mounts": [docker.types.Mount("/mnt/tmp", "/tmp", type="bind", read_only=True),
                   docker.types.Mount("/scratch", None, type="tmpfs", tmpfs_size=1 << 20)],
        "mem_limit": "64m", "memswap_limit": "128m", "nano_cpus": 500000000, "cpu_shares": 512,
        "pids_limit": 100, "restart_policy": {"Name": "on-failure", "MaximumRetryCount": 3},
        "cap_add": ["NET_ADMIN"], "cap_drop": ["MKNOD"], "security_opt": ["no-new-privileges"],
        "ulimits": [docker.types.Ulimit(name="nofile", soft=1024, hard=2048)],
        "sysctls": {"net.ipv4.ip_forward": "1"}, "labels": {"k": "v"}, "tmpfs": {"/run": "size=16m"},
        "devices": ["/dev/null:/dev/xnull:rwm"], "read_only": True, "init": True, "tty": True,
        "stdin_open": True, "hostname": "h1", "network": "mynet", "stop_signal": "SIGUSR1",
        "shm_size": "32m", "cpuset_cpus": "0", "blkio_weight": 300, "working_dir": "/work",
        "user": "1000", "entrypoint": ["/bin/sh"], "auto_remove": False,
    }


CASES["python-sdk"] = lambda s: sdk_case(sdk_types())(s)
CASES["python-sdk-minimal"] = sdk_case({})


def main():
    names = sys.argv[1:] or list(CASES)
    d = tempfile.mkdtemp()
    sock = os.path.join(d, "docker.sock")
    srv = Server(sock, Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    for name in names:
        while not BODIES.empty():
            BODIES.get()
        CASES[name](sock)
        try:
            got = BODIES.get(timeout=1)
        except queue.Empty:
            sys.exit("%s: the client sent no POST /containers/create" % name)
        with open(os.path.join(HERE, name + ".json"), "w") as f:
            json.dump(got, f, indent=2, sort_keys=True)
            f.write("\n")
        print("%s.json: %s" % (name, got["query"]))
    srv.shutdown()
    os.unlink(sock)


if __name__ == "__main__":
    main()
