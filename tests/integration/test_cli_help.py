"""`--help` and `-h` print the usage and do nothing, for every command and subcommand, wherever they
are on the line before `--` (issue 14 item 3: `volume prune --help` deleted every unused volume,
`volume create --help` made one, `system --help` was an error)."""
import re

import pytest

from test_cli_run import capsa  # noqa: F401  (the fixture)

# run, create and exec end with the container's command line: a --help after the image or
# container is the container's, and for run and create `-h` is --hostname (docker's too)
CARRY_COMMAND = {"run", "create", "exec"}


def commands(capsa):
    """(path...) for every command in `capsa --help`, and every subcommand of each group."""
    top = capsa("--help").stdout.split("Commands:", 1)[1]
    names = re.findall(r"^  ([a-z][a-z-]*) ", top, re.M)
    paths = []
    for name in names:
        p = capsa(name, "--help", check=False)
        body = p.stdout.split("Commands:", 1)
        if len(body) == 1:
            paths.append((name,))
            continue
        subs = re.findall(r"^  ([a-z]+)", body[1], re.M) or body[1].split()
        assert subs, (name, p.stdout)
        paths.extend((name, s) for s in subs)
    return paths


def snapshot(capsa):
    return {what: sorted(capsa(*args).stdout.split())
            for what, args in {"volumes": ("volume", "ls", "-q"), "networks": ("network", "ls", "-q"),
                               "containers": ("ps", "-a", "-q"), "images": ("images", "-q")}.items()}


def help_lines(path):
    """The ways to ask: alone, after an argument, as -h (where -h is not an option of the command)."""
    lines = [[*path, "--help"]]
    if path[-1] not in CARRY_COMMAND:
        lines += [[*path, "stopped", "--help"], [*path, "-h", "stopped"], [*path, "unusedvol", "-f", "-h"]]
    else:
        lines += [[*path, "--help", "busybox", "true"]]
    return lines


def test_every_command_help_prints_usage_and_changes_nothing(capsa):
    capsa("volume", "create", "unusedvol")
    capsa("create", "--name", "stopped", "busybox", "true")
    before = snapshot(capsa)
    assert before["volumes"] == ["unusedvol"] and len(before["containers"]) == 1
    paths = commands(capsa)
    for want in [("volume", "prune"), ("volume", "create"), ("system", "df"), ("container", "prune"),
                 ("network", "ls"), ("image", "prune"), ("run",), ("rm",)]:
        assert want in paths, paths
    bad = []
    for path in paths:
        for line in help_lines(path):
            p = capsa(*line, check=False)
            if p.returncode != 0 or "Usage" not in p.stdout:
                bad.append((line, p.returncode, p.stdout[-200:], p.stderr[-200:]))
            elif snapshot(capsa) != before:
                bad.append((line, "changed the state", snapshot(capsa)))
                break
    capsa("rm", "stopped")
    assert bad == [], "\n".join(map(str, bad))


def test_group_help_exits_0(capsa):
    for group in ["system", "volume", "network", "container", "image"]:
        for flag in ["--help", "-h"]:
            p = capsa(group, flag, check=False)
            assert p.returncode == 0 and "Usage" in p.stdout, (group, flag, p.stdout, p.stderr)


def test_help_as_a_value_or_after_dashdash_is_not_help(capsa):
    # `--label --help` labels the volume "--help" (docker's pflag reads the next word as the value)
    p = capsa("volume", "create", "--label", "--help", "labelled")
    assert p.stdout.strip() == "labelled"
    assert capsa("volume", "inspect", "labelled").returncode == 0
    # the container's own --help
    p = capsa("run", "--rm", "busybox", "echo", "--help")
    assert p.stdout == "--help\n"
