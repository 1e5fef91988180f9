"""`capsa` and capsa-image: the container commands start without libcurl, libarchive, OpenSSL or
libnftables loaded (they cost `capsa run` ~6 ms of dynamic linking), and the image transfers still
work, with their messages and exit status, through capsa-image, found beside `capsa` (the build
tree) or in ../libexec/capsa (an installation)."""
import os
import pathlib
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, TOP

CAPSA = BUILD / "src" / "cli" / "capsa"
HELPER = BUILD / "src" / "cli" / "capsa-image"
HEAVY = ("libcurl", "libarchive", "libcrypto", "libssl", "libnftables")

pytestmark = pytest.mark.skipif(not CAPSA.exists(), reason=f"build capsa first: {CAPSA} is missing")


def needed(binary):
    """The DT_NEEDED entries of an ELF file."""
    out = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, check=True).stdout
    return [line.split("[", 1)[1].split("]", 1)[0] for line in out.splitlines() if "(NEEDED)" in line]


@pytest.fixture
def work():
    d = pathlib.Path(tempfile.mkdtemp(prefix="capsa-split-"))
    os.chmod(d, 0o755)
    env = dict(os.environ, CAPSA=str(CAPSA))
    subprocess.run(["sh", str(TOP / "scripts" / "mkimage-busybox.sh"), "busybox", "--", "--root", str(d / "root")],
                   check=True, capture_output=True, env=env)
    yield d
    # the default network (bridge), if a test made it
    subprocess.run([str(CAPSA), "--root", str(d / "root"), "network", "rm", "-f", "bridge"], capture_output=True)
    shutil.rmtree(d, ignore_errors=True)


def test_capsa_links_no_image_libraries():
    deps = needed(CAPSA)
    assert any(d.startswith("libc.so") for d in deps), deps
    assert not [d for d in deps if d.startswith(HEAVY)], deps
    # they are the helper's
    hdeps = needed(HELPER)
    for lib in ("libcurl", "libarchive", "libcrypto"):
        assert any(d.startswith(lib) for d in hdeps), (lib, hdeps)


def test_running_container_command_maps_no_image_library(work):
    """A `capsa run` in progress: its memory maps hold none of the heavy libraries (nor would a dlopen).
    --network none: the bridge network loads libnftables (dlopen) when it changes NAT rules."""
    p = subprocess.Popen([str(CAPSA), "--root", str(work / "root"), "run", "--rm", "--network", "none", "busybox",
                          "sleep", "3"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        maps = ""
        deadline = time.time() + 10
        while time.time() < deadline and p.poll() is None:
            # the container has started once the CLI's child runs sleep; by then everything is loaded
            children = pathlib.Path(f"/proc/{p.pid}/task/{p.pid}/children").read_text().split()
            comms = []
            for c in children:
                try:
                    comms.append(pathlib.Path(f"/proc/{c}/comm").read_text().strip())
                except OSError:
                    pass
            if "sleep" in comms:
                maps = pathlib.Path(f"/proc/{p.pid}/maps").read_text()
                break
            time.sleep(0.01)
        assert maps, "capsa run never started its container"
        libs = {line.split()[-1] for line in maps.splitlines() if ".so" in line}
        assert any("/libc.so" in lib for lib in libs), libs
        assert not [lib for lib in libs if any(h in lib for h in HEAVY)], libs
    finally:
        out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err


def test_image_commands_through_helper(work):
    root = ["--root", str(work / "root")]
    c = [str(CAPSA), *root]
    p = subprocess.run(c + ["save", "-o", str(work / "bb.tar"), "busybox"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    p = subprocess.run(c + ["rmi", "busybox"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    p = subprocess.run(c + ["image", "load", "-i", str(work / "bb.tar")], capture_output=True, text=True)
    assert p.returncode == 0 and "Loaded image" in p.stdout, p.stderr
    p = subprocess.run(c + ["run", "--rm", "busybox", "echo", "loaded"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout == "loaded\n", p.stderr
    # errors: the helper's own message and exit status, as `capsa` printed them before
    p = subprocess.run(c + ["load", "-i", str(work / "missing.tar")], capture_output=True, text=True)
    assert p.returncode == 125 and p.stderr.startswith("capsa: ") and "missing.tar" in p.stderr, p.stderr
    p = subprocess.run(c + ["pull"], capture_output=True, text=True)
    assert p.returncode == 125 and "see `capsa pull --help`" in p.stderr, p.stderr
    p = subprocess.run(c + ["push", "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("Usage: capsa push"), p.stderr
    # the front's help still lists every command
    p = subprocess.run([str(CAPSA), "--help"], capture_output=True, text=True)
    for cmd in ("run", "ps", "pull", "push", "login", "logout", "load", "save", "import", "images"):
        assert f"\n  {cmd} " in p.stdout, cmd


def test_helper_found_in_installed_layout(work):
    """bin/capsa finds libexec/capsa/capsa-image; without it, image commands fail clearly and the rest works."""
    if (pathlib.Path("/usr/local/libexec/capsa/capsa-image")).exists():
        pytest.skip("an installed capsa-image in /usr/local/libexec/capsa would be found instead")
    inst = work / "inst"
    (inst / "bin").mkdir(parents=True)
    shutil.copy2(CAPSA, inst / "bin" / "capsa")
    c = [str(inst / "bin" / "capsa"), "--root", str(work / "root")]
    p = subprocess.run(c + ["save", "-o", str(work / "x.tar"), "busybox"], capture_output=True, text=True)
    assert p.returncode == 125 and "capsa-image is not installed" in p.stderr, p.stderr
    p = subprocess.run(c + ["images", "-q"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.strip(), p.stderr
    (inst / "libexec" / "capsa").mkdir(parents=True)
    shutil.copy2(HELPER, inst / "libexec" / "capsa" / "capsa-image")
    p = subprocess.run(c + ["save", "-o", str(work / "x.tar"), "busybox"], capture_output=True, text=True)
    assert p.returncode == 0 and (work / "x.tar").stat().st_size > 0, p.stderr
