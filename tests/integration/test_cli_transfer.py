"""Moving files and images in and out (issue 14): `capsa cp` with `-` as a tar stream (items 11) and
`capsa save IMAGE:TAG` writing only the asked tags into RepoTags (item 15)."""
import io
import json
import pathlib
import subprocess
import tarfile

from test_cli_run import CAPSA, capsa  # noqa: F401  (the fixture)


def archive_manifest(path):
    with tarfile.open(path) as t:
        return json.load(t.extractfile("manifest.json"))


def test_save_writes_only_the_asked_tags(capsa):
    capsa("tag", "busybox", "one:1")
    capsa("tag", "busybox", "one:2")
    out = pathlib.Path(capsa.tmp) / "one.tar"
    capsa("save", "-o", out, "one:2")
    assert [m["RepoTags"] for m in archive_manifest(out)] == [["one:2"]]
    # two names of one image: one entry with both; an id: no tags (as docker)
    capsa("save", "-o", out, "one:2", "busybox")
    assert [m["RepoTags"] for m in archive_manifest(out)] == [["one:2", "busybox:latest"]]
    image_id = json.loads(capsa("image", "inspect", "one:1").stdout)[0]["Id"]
    capsa("save", "-o", out, image_id)
    assert [m["RepoTags"] for m in archive_manifest(out)] == [[]]
