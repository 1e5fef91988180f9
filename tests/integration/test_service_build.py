"""`docker build` with the classic builder (DOCKER_BUILDKIT=0: POST /build, the context as a tar) and
`docker-compose build` against the service, dockerd 20.10 building the same context first: both build, the
images run the same way and have the same config; -q prints the id; a failing RUN fails both with its exit
code; the service's store keeps no container, mount or temporary context after."""
import json
import shutil
import subprocess

import pytest

from service_fixtures import COMPOSE, needs_docker, needs_service, service_running
from test_dockerd import IMAGE, docker, image_tarball  # noqa: F401 (docker: a fixture)

pytestmark = [needs_service, needs_docker]

DOCKERFILE = f"""# a comment
FROM {IMAGE} AS base
ARG GREETING=hello
RUN echo "$GREETING" > /greeting && mkdir -p /data && echo one > /data/one && echo two > /data/two
COPY files/ /srv/
RUN rm /data/one
ENV WHO=world \\
    WHERE=here
WORKDIR /srv/sub
FROM base
COPY --from=base /greeting /copied
LABEL org.test.kind=built
EXPOSE 8080/tcp
CMD ["sh", "-c", "cat /greeting /copied; ls /srv /data; echo $WHO $WHERE; pwd"]
"""
CONFIG_KEYS = ("Cmd", "Entrypoint", "Env", "WorkingDir", "User", "Labels", "ExposedPorts")


@pytest.fixture(scope="module")
def svc(tmp_path_factory):
    with service_running(image=False) as s:
        tarball = tmp_path_factory.mktemp("svc-build") / "busybox.tar"
        image_tarball(tarball)
        s.docker("load", "-i", tarball)
        yield s


def _context(tmp_path, dockerfile):
    ctx = tmp_path / "ctx"
    (ctx / "files" / "sub").mkdir(parents=True)
    (ctx / "files" / "a.txt").write_text("a\n")
    (ctx / "files" / "sub" / "b.txt").write_text("b\n")
    (ctx / "Dockerfile").write_text(dockerfile)
    return ctx


def _build(cli, *args, check=True):
    """`docker build ARGS` through cli (the service's or dockerd's; DOCKER_BUILDKIT=0 in both)."""
    return cli("build", "--network", "none", *args, check=check, timeout=180)


def _env(env):
    return dict(env, DOCKER_BUILDKIT="0")


def test_docker_build_matches_dockerd(svc, docker, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_BUILDKIT", "0")  # the service's docker() takes os.environ
    docker.env["DOCKER_BUILDKIT"] = "0"
    ctx = _context(tmp_path, DOCKERFILE)
    outs, configs = [], []
    for cli in (docker, svc.docker):
        _build(cli, "-t", "built:1", "--build-arg", "GREETING=hi", ctx)
        outs.append(cli("run", "--rm", "--network", "none", "built:1").stdout)
        inspect = json.loads(cli("image", "inspect", "built:1").stdout)[0]
        configs.append({k: inspect["Config"].get(k) for k in CONFIG_KEYS})
    assert outs[0] == outs[1], outs
    assert "hi\nhi\n" in outs[1] and "world here\n/srv/sub\n" in outs[1] and "one" not in outs[1]
    assert configs[0] == configs[1], configs
    # the same again: every step from the cache, the same image
    again = _build(svc.docker, "-t", "built:1", "--build-arg", "GREETING=hi", ctx).stdout
    assert "Using cache" in again, again
    left = [json.loads(l) for l in svc.capsa("ps", "-a", "--format", "json").stdout.splitlines()]
    assert left == [], left
    assert list((svc.root / "tmp").glob("build*")) == []
    for cli in (docker, svc.docker):
        cli("rmi", "built:1")


def test_quiet_and_failing_run(svc, docker, tmp_path):
    ctx = _context(tmp_path, f"FROM {IMAGE}\nRUN echo built > /x\n")
    ids = []
    for env in (docker.env, svc.env()):
        out = subprocess.run(["/usr/bin/docker", "build", "-q", "--network", "none", str(ctx)], capture_output=True,
                             text=True, timeout=180, env=_env(env))
        assert out.returncode == 0, out.stderr
        ids.append(out.stdout.strip())
    assert all(i.startswith("sha256:") and len(i) == 71 for i in ids), ids
    (ctx / "Dockerfile").write_text(f"FROM {IMAGE}\nRUN echo before; exit 3\n")
    for env in (docker.env, svc.env()):
        out = subprocess.run(["/usr/bin/docker", "build", "--network", "none", str(ctx)], capture_output=True,
                             text=True, timeout=180, env=_env(env))
        assert out.returncode != 0 and "returned a non-zero code: 3" in out.stderr + out.stdout, out
        assert "before" in out.stdout, out
    assert [json.loads(l) for l in svc.capsa("ps", "-a", "--format", "json").stdout.splitlines()] == []
    for i, env in zip(ids, (docker.env, svc.env())):
        subprocess.run(["/usr/bin/docker", "rmi", i], capture_output=True, env=env)


@pytest.mark.skipif(not COMPOSE.exists(), reason="docker-compose is not installed")
def test_compose_build(svc, tmp_path):
    ctx = _context(tmp_path, f"FROM {IMAGE}\nCOPY files/a.txt /a.txt\nCMD [\"cat\", \"/a.txt\"]\n")
    (tmp_path / "docker-compose.yml").write_text("version: '3'\nservices:\n  app:\n    build: ./ctx\n"
                                                  "    image: composed:1\n    network_mode: none\n")
    env = dict(svc.env(), DOCKER_BUILDKIT="0", COMPOSE_DOCKER_CLI_BUILD="0")
    p = subprocess.run([str(COMPOSE), "-p", "cb", "build"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=180, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert svc.docker("run", "--rm", "--network", "none", "composed:1").stdout == "a\n"
    svc.docker("rmi", "composed:1")
    shutil.rmtree(ctx)


def test_capsa_build_saved_loads_into_dockerd(svc, docker, tmp_path):
    """`capsa build`, then `capsa save`: dockerd 20.10 loads the archive and runs the image as built
    (a file RUN wrote, a COPY, a file of the base deleted, Env and Cmd)."""
    ctx = _context(tmp_path, f"FROM {IMAGE}\nRUN echo ran > /ran && rm /bin/zcat\nCOPY files/a.txt /a.txt\n"
                             "ENV WHO=capsa\nCMD [\"sh\", \"-c\", \"cat /ran /a.txt; echo $WHO; test -e /bin/zcat || "
                             "echo gone\"]\n")
    svc.capsa("build", "--network", "none", "-t", "cb:1", ctx, timeout=120)
    svc.capsa("save", "-o", tmp_path / "cb.tar", "cb:1")
    docker("load", "-i", tmp_path / "cb.tar")
    try:
        out = docker("run", "--rm", "--network", "none", "cb:1").stdout
        assert out == "ran\na\ncapsa\ngone\n", out
    finally:
        docker("rmi", "cb:1", check=False)
        svc.capsa("rmi", "cb:1")
