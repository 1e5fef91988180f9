"""Escapes through the capsa CLI (CVE-2019-5736), on copies of the binaries, never the build tree.

The CLI runs containers in-process: `capsa exec` puts a process of its own binary into the
container until it execs the command, and a command of "#!/proc/self/exe" makes the kernel run
that binary again, inside the container, where a process that watches /proc can hold its
/proc/PID/exe and write to it once nothing runs it any more.  Each attack is made with the
protection (it must fail) and with CAPSA_UNSAFE_EXE_NO_COPY=1 (it must then succeed), so no test
passes because the attack itself was broken.  Uses test_cli_run's `capsa` fixture (a temp
--root, an offline busybox image, the leak check).
"""
import hashlib
import json
import os
import shutil
import subprocess

from conftest import BUILD, PROBE, needs_test_hooks
from test_cli_run import capsa, wait_for  # noqa: F401  (the fixture)

# what `capsa` runs from beside itself: the victim directory holds all of them
PROGRAMS = ["capsa", "capsa-monitor", "capsa-init", "capsa-image"]


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def victim_dir(capsa):
    d = capsa.tmp / "victim"
    d.mkdir()
    for name in PROGRAMS:
        shutil.copy2(BUILD / "src" / "cli" / name, d / name)
    return d


def loader_binds(program):
    """-v flags that give a container the dynamic loader and libraries of a host program, as a
    glibc image would have them (busybox has none: the kernel could not run capsa there)."""
    out = subprocess.run(["ldd", str(program)], capture_output=True, text=True, check=True).stdout
    paths = [w for line in out.splitlines() for w in line.split() if w.startswith("/")]
    return [f for p in paths for f in ("-v", f"{p}:{p}:ro")]


def logs_json(capsa, name):
    capsa("wait", name, timeout=60)
    return json.loads(capsa("logs", name).stdout.strip().splitlines()[-1])


def exec_attack(capsa, protected):
    """An attacker container watches /proc; the victim copy of capsa execs a "#!/proc/self/exe"
    script into it.  Returns the attacker's report and whether the victim file changed."""
    victim = victim_dir(capsa) / "capsa"
    before = digest(victim)
    script = 'printf "#!/proc/self/exe\\n" > /evil && chmod 755 /evil && exec /probe exewatch 15'
    capsa("run", "-d", "--name", "atk", "--network", "none", "-v", f"{PROBE}:/probe:ro", *loader_binds(victim),
          "busybox", "sh", "-c", script)
    wait_for(lambda: "ready" in capsa("logs", "atk").stderr)
    env = dict(os.environ)
    if not protected:
        env["CAPSA_UNSAFE_EXE_NO_COPY"] = "1"
    subprocess.run([str(victim), "--root", str(capsa.root), "exec", "atk", "/evil"], env=env,
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    report = logs_json(capsa, "atk")
    capsa("rm", "atk")
    return report, digest(victim) != before, victim.read_bytes()[:11]


def test_exec_cannot_overwrite_capsa(capsa):
    report, changed, _ = exec_attack(capsa, protected=True)
    assert not changed, "the host's capsa was modified from inside a container"
    # the attack did get hold of the executable: the sealed copy, which refuses the write
    assert report["held"] and report["sealed"], report
    assert report["written"] < 0 and report["errname"] == "EPERM", report


@needs_test_hooks
def test_exec_attack_works_without_the_sealed_copy(capsa):
    report, changed, head = exec_attack(capsa, protected=False)
    assert report["held"] and not report["sealed"], report
    assert report["written"] == 11 and changed and head == b"CAPSA-PWNED", report


# ---- --init: /dev/init is a read-only private copy -------------------------------------------

def init_view(capsa, env=None):
    """What a root container with --init sees of /dev/init: its mount options, its inode, and
    what a write to it does; with the host's capsa-init digest before and after."""
    host = BUILD / "src" / "cli" / "capsa-init"
    before = digest(host)
    script = ("grep ' /dev/init ' /proc/self/mountinfo | cut -d' ' -f6; stat -c '%d %i' /dev/init; "
              "/probe write /dev/init CAPSA-PWNED; true")
    p = subprocess.run([str(BUILD / "src" / "cli" / "capsa"), "--root", str(capsa.root), "run", "--rm", "--init",
                        "--network", "none", "-v", f"{PROBE}:/probe:ro", "busybox", "sh", "-c", script],
                       env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    opts, ino, report = p.stdout.strip().splitlines()[-3:]
    st = host.stat()
    return opts.split(","), ino == f"{st.st_dev} {st.st_ino}", json.loads(report), digest(host) != before


def test_init_is_a_readonly_private_copy(capsa):
    opts, is_host_file, report, changed = init_view(capsa)
    assert "ro" in opts, opts
    assert not is_host_file, "/dev/init is the installed capsa-init"
    assert not report["ok"] and report["errname"] in ("EROFS", "ETXTBSY"), report
    assert not changed
    assert not list(capsa.root.glob("containers/*/capsa-init"))  # the copy went with the container


@needs_test_hooks
def test_init_is_the_installed_file_without_the_protection(capsa):
    # the control: the inode comparison above does tell the installed file
    _, is_host_file, _, changed = init_view(capsa, env=dict(os.environ, CAPSA_UNSAFE_EXE_NO_COPY="1"))
    assert is_host_file and not changed


def test_init_copy_serves_every_start_of_a_detached_container(capsa):
    capsa("run", "-d", "--init", "--name", "i", "--network", "none", "busybox", "sleep", "100")
    copies = list(capsa.root.glob("containers/*/capsa-init"))
    assert len(copies) == 1 and copies[0].stat().st_mode & 0o7777 == 0o555
    capsa("stop", "-t", "0", "i")
    capsa("start", "i")
    assert "1 /dev/init" in capsa("exec", "i", "ps", "-o", "pid,args").stdout
    capsa("rm", "-f", "i")
    assert not copies[0].exists()
