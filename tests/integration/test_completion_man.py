"""What is made from the option tables besides parsing and --help: the shell completions (`capsa completion
bash|zsh|fish`), the manual pages (`capsa __man`, run by the build, installed by `meson install`), and
`capsa generate systemd` (a unit for one container, in the shape of podman's: compared with podman's own)."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import tarfile
import tempfile

import pytest

from conftest import BUILD, TOP
from test_cli_run import CAPSA, capsa, wait_for  # noqa: F401  (the fixture)

MAN = BUILD / "src" / "cli" / "man"
OCI_MAN = BUILD / "src" / "oci" / "man"
OCI = BUILD / "src" / "oci" / "capsa-oci"


def _complete(capsa, *words):
    """What bash completes for `capsa WORDS...` (the last word: the one at the cursor)."""
    script = capsa.tmp / "capsa.bash"
    if not script.exists():
        script.write_text(capsa("completion", "bash").stdout)
    arr = " ".join(f"'{w}'" for w in ("capsa",) + words)
    cmd = f'source {script}; COMP_WORDS=({arr}); COMP_CWORD={len(words)}; _capsa; printf "%s\\n" "${{COMPREPLY[@]}}"'
    env = dict(os.environ, PATH=f"{CAPSA.parent}:{os.environ['PATH']}")
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    return sorted(w for w in p.stdout.split("\n") if w)


def test_bash_completes_commands_flags_and_names(capsa):
    r = str(capsa.root)
    capsa("create", "--name", "web", "--network", "none", "busybox", "true")
    capsa("create", "--name", "worker", "--network", "none", "busybox", "true")
    capsa("network", "create", "--subnet", "10.99.42.0/24", "compnet")
    capsa("volume", "create", "compvol")
    try:
        assert _complete(capsa, "ru") == ["run"]
        assert _complete(capsa, "gen") == ["generate"]
        assert _complete(capsa, "generate", "") == ["systemd"]
        assert _complete(capsa, "start", "--all") == ["--all-restart"]
        assert "--restart-policy" in _complete(capsa, "generate", "systemd", "--")
        # names, asked of capsa with the line's own --root
        assert _complete(capsa, "--root", r, "start", "w") == ["web", "worker"]
        assert _complete(capsa, "--root", r, "rm", "-f", "web", "wo") == ["worker"]  # CONTAINER...: each
        assert _complete(capsa, "--root", r, "logs", "web", "w") == []  # one CONTAINER only
        assert _complete(capsa, "--root", r, "run", "busy") == ["busybox:latest"]
        assert _complete(capsa, "--root", r, "run", "-d", "busybox", "w") == []  # its command line
        assert _complete(capsa, "--root", r, "network", "rm", "comp") == ["compnet"]
        assert _complete(capsa, "--root", r, "volume", "inspect", "comp") == ["compvol"]
        assert _complete(capsa, "--root", r, "run", "--network", "") == ["bridge", "compnet", "host", "none"]
        assert _complete(capsa, "--root", r, "network", "connect", "compnet", "we") == ["web"]
        assert _complete(capsa, "--root", r, "generate", "systemd", "--name", "we") == ["web"]
        # without --root: the default store, not this one
        assert "worker" not in _complete(capsa, "start", "wor")
    finally:
        rm = capsa("rm", "-f", "web", "worker", check=False)
        capsa("network", "rm", "compnet", check=False)
        capsa("volume", "rm", "compvol", check=False)
    assert rm.returncode == 0, rm.stderr


def _fish_complete(capsa, script, line):
    """What fish completes for LINE (fish's own `complete -C`, with the script sourced)."""
    env = dict(os.environ, PATH=f"{CAPSA.parent}:{os.environ['PATH']}")
    p = subprocess.run(["fish", "-c", f"source {script}; complete -C '{line}'"], capture_output=True, text=True,
                       env=env)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return sorted(l.split("\t")[0] for l in p.stdout.splitlines() if l)


def _zsh_candidates(capsa, script, *words):
    """The candidates _capsa hands zsh's compadd for `capsa WORDS...` (zsh itself keeps those
    that match the word at the cursor; compadd and compdef stubbed: no terminal here)."""
    arr = " ".join(f"'{w}'" for w in ("capsa",) + words)
    cmd = (f"compdef() {{ : }}; _files() {{ print FILES }}; compadd() {{ [[ $1 == -- ]] && shift; print -l -- \"$@\" }}; "
           f"source {script}; words=({arr}); CURRENT={len(words) + 1}; _capsa")
    env = dict(os.environ, PATH=f"{CAPSA.parent}:{os.environ['PATH']}")
    p = subprocess.run(["zsh", "-f", "-c", cmd], capture_output=True, text=True, env=env)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return [l for l in p.stdout.splitlines() if l]


def test_zsh_and_fish_scripts(capsa, tmp_path):
    zsh = capsa("completion", "zsh").stdout
    fish = capsa("completion", "fish").stdout
    assert zsh.startswith("#compdef capsa\n") and "compadd" in zsh and '"run")' in zsh
    assert "complete -c capsa -n '__capsa_is run' -l privileged" in fish
    assert "complete -c capsa -f -n '__capsa_is network' -a create" in fish
    assert "complete -c capsa -n '__capsa_is start' -a '(__capsa_operand \"container+\")'" in fish
    missing = [sh for sh in ("zsh", "fish") if shutil.which(sh) is None]
    if missing:
        pytest.skip(f"not installed here, so not run: {missing} (apt-get install zsh fish; the scripts' shape "
                    "was checked)")
    zf, ff = tmp_path / "_capsa", tmp_path / "capsa.fish"
    zf.write_text(zsh)
    ff.write_text(fish)
    for exe, f in (("zsh", zf), ("fish", ff)):
        p = subprocess.run([exe, "-n", str(f)], capture_output=True, text=True)
        assert p.returncode == 0, f"{exe} -n: {p.stderr}"
    capsa("network", "create", "fishnet")
    capsa("create", "--name", "fishbox", "busybox", "true")
    try:
        assert _fish_complete(capsa, ff, "capsa ru") == ["run"]
        assert "--privileged" in _fish_complete(capsa, ff, "capsa run --priv")
        assert _fish_complete(capsa, ff, "capsa network c") == ["connect", "create"]
        assert "fishbox" in _fish_complete(capsa, ff, f"capsa --root {capsa.root} start ")
        assert "fishnet" in _fish_complete(capsa, ff, f"capsa --root {capsa.root} network rm ")
        top = _zsh_candidates(capsa, zf, "ru")
        assert "run" in top and "network" in top and not any(w.startswith("-") for w in top)
        assert "--privileged" in _zsh_candidates(capsa, zf, "run", "--priv")
        assert "connect" in _zsh_candidates(capsa, zf, "network", "c")
        assert "fishbox" in _zsh_candidates(capsa, zf, "--root", str(capsa.root), "start", "")
        assert "fishnet" in _zsh_candidates(capsa, zf, "--root", str(capsa.root), "network", "rm", "")
    finally:
        capsa("rm", "-f", "fishbox", check=False)
        capsa("network", "rm", "fishnet", check=False)


def _help_options(capsa, *cmd):
    return set(re.findall(r"(?<![\w-])--([a-z0-9][a-z0-9-]*)", capsa(*cmd, "--help").stdout))


def test_man_pages_built_from_the_tables(capsa):
    assert (MAN / "capsa.1").exists(), "the build makes the pages (src/cli/meson.build)"
    pages = sorted(MAN.glob("*.1")) + sorted(OCI_MAN.glob("*.1"))
    for page in pages:
        p = subprocess.run(["groff", "-ww", "-z", "-man", "-Tutf8", str(page)], capture_output=True, text=True)
        assert p.returncode == 0 and p.stderr == "", f"{page.name}: {p.stderr}"
    names = {p.name for p in pages}
    for cmd in ("run", "start", "ps", "network-create", "volume-rm", "generate-systemd", "completion", "pull"):
        assert f"capsa-{cmd}.1" in names, cmd
    assert "capsa-__man.1" not in names and "capsa-__monitor.1" not in names
    for cmd in (["run"], ["start"], ["generate", "systemd"], ["network", "create"]):
        text = (MAN / f"capsa-{'-'.join(cmd)}.1").read_text()
        for opt in _help_options(capsa, *cmd) - {"help"}:
            assert f"\\-\\-{opt.replace('-', chr(92) + '-')}" in text, f"capsa {' '.join(cmd)} --{opt}"
    # capsa-oci's, from its tables too (runc's command line)
    oci_cmds = re.findall(r"^  ([a-z]+) ", subprocess.run([str(OCI), "--help"], capture_output=True,
                                                          text=True).stdout, re.M)
    assert len(oci_cmds) >= 15 and {p.name for p in OCI_MAN.glob("*.1")} == \
        {"capsa-oci.1"} | {f"capsa-oci-{c}.1" for c in oci_cmds}
    for cmd in ("create", "exec", "update"):
        help_ = subprocess.run([str(OCI), cmd, "--help"], capture_output=True, text=True).stdout
        text = (OCI_MAN / f"capsa-oci-{cmd}.1").read_text()
        for opt in set(re.findall(r"(?<![\w-])--([a-z0-9][a-z0-9-]*)", help_)) - {"help"}:
            assert f"\\-\\-{opt.replace('-', chr(92) + '-')}" in text, f"capsa-oci {cmd} --{opt}"
    text = subprocess.run(["man", "-l", str(MAN / "capsa-run.1")], capture_output=True, text=True,
                          env=dict(os.environ, MANWIDTH="100")).stdout
    text = re.sub(".\x08", "", text)  # (bold and underline as overstrikes)
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS"):
        assert section in text
    assert "capsa run [OPTIONS] IMAGE [COMMAND] [ARG...]" in text and "--privileged" in text


def test_meson_install_puts_everything_in_place(tmp_path):
    dest = tmp_path / "dest"
    p = subprocess.run(["meson", "install", "-C", str(BUILD), "--no-rebuild", "--destdir", str(dest)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    opts = {o["name"]: o["value"] for o in json.loads((BUILD / "meson-info" / "intro-buildoptions.json").read_text())}
    prefix = dest / opts["prefix"].lstrip("/")
    assert (prefix / opts["mandir"] / "man1" / "capsa-run.1").exists()
    assert (prefix / opts["mandir"] / "man1" / "capsa-oci-create.1").exists()
    assert len(list((prefix / opts["mandir"] / "man1").glob("capsa*.1"))) == \
        len(list(MAN.glob("*.1"))) + len(list(OCI_MAN.glob("*.1")))
    share = prefix / opts["datadir"]
    assert (share / "bash-completion" / "completions" / "capsa.bash").read_text().startswith("# bash completion")
    assert (share / "zsh" / "site-functions" / "_capsa").exists()
    assert (share / "fish" / "vendor_completions.d" / "capsa.fish").exists()
    unitdir = opts["systemdsystemunitdir"] or str(pathlib.Path(opts["prefix"]) / "lib" / "systemd" / "system")
    unit = (dest / unitdir.lstrip("/") / "capsa-restart.service").read_text()
    assert f"ExecStart={opts['prefix']}/{opts['bindir']}/capsa start --all-restart" in unit
    userdir = opts["systemduserunitdir"] or str(pathlib.Path(opts["prefix"]) / "lib" / "systemd" / "user")
    assert (dest / userdir.lstrip("/") / "capsa-restart.service").read_text() == unit


def _unit_keys(text):
    """{section: {key: value}} of a unit (continuation lines joined)."""
    out, sec = {}, None
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            sec = out.setdefault(line.strip("[]"), {})
        else:
            k, v = line.split("=", 1)
            sec[k] = " ".join(v.split())
    return out


@pytest.fixture
def podman_unit():
    """podman's own unit for a container like ours (its own --root, --runroot, vfs)."""
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed")
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix="capsa-pg-"))  # (podman: a runroot of 50 at most)
    rootfs = tmp_path / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    shutil.copy2("/bin/busybox", rootfs / "bin" / "busybox")
    with tarfile.open(tmp_path / "bb.tar", "w") as t:
        t.add(rootfs, arcname=".")
    pm = ["podman", "--root", str(tmp_path / "proot"), "--runroot", str(tmp_path / "prun"), "--storage-driver",
          "vfs", "--events-backend", "none", "--cgroup-manager", "cgroupfs", "--tmpdir", str(tmp_path / "ptmp")]
    run = lambda *a: subprocess.run(pm + list(a), capture_output=True, text=True, timeout=120)
    try:
        assert run("import", str(tmp_path / "bb.tar"), "bb").returncode == 0
        p = run("create", "--name", "web", "bb", "/bin/busybox", "sleep", "100")
        assert p.returncode == 0, p.stderr
        p = run("generate", "systemd", "--name", "--restart-policy", "always", "-t", "7", "web")
        assert p.returncode == 0, p.stderr
        yield p.stdout
    finally:
        run("rm", "-f", "web")
        run("rmi", "-f", "bb")
        subprocess.run(["rm", "-rf", str(tmp_path)])


def test_generate_systemd_as_podman(capsa, podman_unit, tmp_path):
    cid = capsa("create", "--name", "web", "--network", "none", "busybox", "sleep", "100").stdout.strip()
    try:
        p = capsa("generate", "systemd", "--name", "--restart-policy", "always", "-t", "7", "web")
        ours, theirs = _unit_keys(p.stdout), _unit_keys(podman_unit)
        assert p.stdout.startswith("# container-web.service\n# autogenerated by capsa ")
        assert sorted(ours) == sorted(theirs) == ["Install", "Service", "Unit"]
        for sec in ours:
            assert sorted(ours[sec]) == sorted(theirs[sec]), sec
        for key in ("Restart", "TimeoutStopSec", "Type"):
            assert ours["Service"][key] == theirs["Service"][key], key
        assert ours["Unit"]["After"] == theirs["Unit"]["After"] and ours["Install"] == theirs["Install"]
        svc = ours["Service"]
        assert svc["ExecStart"] == f"{CAPSA} --root {capsa.root} start web"
        assert svc["ExecStop"] == f"{CAPSA} --root {capsa.root} stop -t 7 web"
        assert svc["PIDFile"] == f"{capsa.root}/containers/{cid}/monitor.pid"
        # by id, podman's default; the container's own stop timeout; the header left out
        p = capsa("generate", "systemd", "--no-header", cid)
        assert p.stdout.startswith("[Unit]\n") and f"ExecStart={CAPSA} --root {capsa.root} start {cid}\n" in p.stdout
        assert "Restart=on-failure\n" in p.stdout and "TimeoutStopSec=70\n" in p.stdout
        # systemd reads it (the PIDFile's directory, the program: this build's)
        sa = shutil.which("systemd-analyze")
        if sa:
            f = tmp_path / "container-web.service"
            f.write_text(capsa("generate", "systemd", "--name", "web").stdout)
            v = subprocess.run([sa, "verify", "--man=no", str(f)], capture_output=True, text=True)
            assert v.returncode == 0, v.stderr
        # --files: container-web.service in the current directory, its path printed
        out = tmp_path / "files"
        out.mkdir()
        p = capsa("generate", "systemd", "--name", "--files", "web", cwd=out)
        assert p.stdout.strip() == str(out / "container-web.service")
        assert _unit_keys((out / "container-web.service").read_text())["Service"]["Type"] == "forking"
        p = capsa("generate", "systemd", "--new", "web", check=False)
        assert p.returncode == 125 and "--new is not supported" in p.stderr
        p = capsa("generate", "systemd", "--restart-policy", "sometimes", "web", check=False)
        assert p.returncode == 125 and "no systemd restart policy" in p.stderr
        # what systemd would read from PIDFile once ExecStart has run: the live monitor
        capsa("start", "web")
        pid = int(pathlib.Path(svc["PIDFile"]).read_text())
        assert "capsa-monitor" in pathlib.Path(f"/proc/{pid}/cmdline").read_text()
    finally:
        capsa("rm", "-f", "web", check=False)
