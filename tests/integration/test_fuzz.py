"""The fuzzers (tests/fuzz, see its README.md) as part of the test suite: config.json (fuzz_config) and
the image config and manifest parsers (fuzz_image, shorter).

Builds build-fuzz/fuzz_config with tests/fuzz/build.sh (clang + libFuzzer + ASan + UBSan), replays the
seed corpus through it, then fuzzes for FUZZ_SECONDS.  Skipped, saying why, when no clang is installed
(.ci/packages-test.txt installs clang-14 and libclang-rt-14-dev for CI).  Needs no root.

A failure shows the end of libFuzzer's output; the crashing input is left in build-fuzz/ci-artifacts/
(replay it with `build-fuzz/fuzz_config build-fuzz/ci-artifacts/crash-...`).
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import TOP

FUZZ_DIR = TOP / "tests" / "fuzz"
SEEDS = FUZZ_DIR / "corpus"
DICT = FUZZ_DIR / "config.dict"
OUT = TOP / "build-fuzz"
FUZZER = OUT / "fuzz_config"
CORPUS = OUT / "ci-corpus"          # fresh for each run; the seed corpus is only read
ARTIFACTS = OUT / "ci-artifacts"    # fresh for each run: crash-*, leak-*, timeout-*, oom-*

FUZZ_SECONDS = 20
MIN_EXECUTIONS = 1000
UNIT_TIMEOUT = 10                   # seconds for one input before libFuzzer calls it a timeout
TAIL = 8000                         # characters of output shown on a failure


def tail(out, n=TAIL):
    return out if len(out) <= n else "[...]\n" + out[-n:]


ERROR_RE = re.compile(r"^==\d+==\s*ERROR|runtime error:|^==\d+== ERROR: libFuzzer|^INFO: a leak", re.M)


def report(out, n=TAIL):
    """The sanitizer's or libFuzzer's report (from its first line, with the stack trace) and the end of
    the output; the end of the output alone when there is no report."""
    m = ERROR_RE.search(out)
    if not m:
        return tail(out, n)
    start = out.rfind("\n", 0, m.start()) + 1
    if len(out) - start <= n:
        return ("[...]\n" if start else "") + out[start:]
    return "[...]\n" + out[start:start + n // 2] + "\n[...]\n" + out[-n // 2:]


def find_cc():
    """The compiler build.sh will use: $CC, else clang, else clang-14; None when there is none."""
    for cc in ([os.environ["CC"]] if os.environ.get("CC") else ["clang", "clang-14"]):
        if shutil.which(cc):
            return cc
    return None


def sanitizer_env():
    env = dict(os.environ)
    symbolizer = shutil.which("llvm-symbolizer") or "/usr/lib/llvm-14/bin/llvm-symbolizer"
    if os.access(symbolizer, os.X_OK):
        env.setdefault("ASAN_SYMBOLIZER_PATH", symbolizer)
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return env


@pytest.fixture(scope="module")
def fuzzer():
    cc = find_cc()
    if cc is None:
        reason = (f"no clang to build the fuzzer ({'CC=' + os.environ['CC'] if os.environ.get('CC') else 'clang, clang-14'}"
                  " not found): apt-get install clang-14 libclang-rt-14-dev")
        print(f"SKIP: {reason}", file=sys.stderr)
        pytest.skip(reason)
    env = dict(os.environ, CC=cc)
    p = subprocess.run(["sh", str(FUZZ_DIR / "build.sh")], cwd=TOP, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    assert p.returncode == 0, f"tests/fuzz/build.sh (CC={cc}) exited {p.returncode}:\n{tail(p.stdout)}"
    assert FUZZER.exists(), f"tests/fuzz/build.sh did not produce {FUZZER}:\n{tail(p.stdout)}"
    return FUZZER


SEED_FILES = sorted(f.name for f in SEEDS.iterdir() if f.is_file())


def test_seed_corpus_present():
    assert len(SEED_FILES) >= 5, f"seed corpus {SEEDS} looks empty: {SEED_FILES}"


@pytest.mark.parametrize("seed", SEED_FILES)
def test_fuzzer_replays_seed(fuzzer, seed):
    """Each seed, run once through the harness (no fuzzing): no crash, leak, sanitizer report or
    broken invariant."""
    p = subprocess.run([str(fuzzer), f"-timeout={UNIT_TIMEOUT}", str(SEEDS / seed)], cwd=TOP,
                       env=sanitizer_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    assert p.returncode == 0, f"fuzz_config {seed} exited {p.returncode}:\n{report(p.stdout)}"
    assert re.search(r"^Executed .*" + re.escape(seed), p.stdout, re.M), \
        f"fuzz_config did not report executing {seed}:\n{tail(p.stdout)}"


def test_fuzz_config_parser(fuzzer):
    """libFuzzer for FUZZ_SECONDS from the seed corpus and dictionary: exit 0, no artifact written,
    and enough inputs executed to mean it actually fuzzed."""
    for d in (CORPUS, ARTIFACTS):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    cmd = [str(fuzzer),
           f"-max_total_time={FUZZ_SECONDS}", "-max_len=8192", f"-timeout={UNIT_TIMEOUT}",
           f"-dict={DICT}", f"-artifact_prefix={ARTIFACTS}/", "-print_final_stats=1",
           str(CORPUS), str(SEEDS)]
    try:
        p = subprocess.run(cmd, cwd=TOP, env=sanitizer_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=FUZZ_SECONDS + 120)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"fuzzer still running after {FUZZ_SECONDS + 120} s: {' '.join(cmd)}\n{tail(out)}")
    out = p.stdout
    artifacts = sorted(f.name for f in ARTIFACTS.iterdir()
                       if f.name.startswith(("crash-", "leak-", "timeout-", "oom-")))
    assert p.returncode == 0 and not artifacts, (
        f"fuzzer exited {p.returncode}, artifacts {artifacts} in {ARTIFACTS}\n"
        f"command: {' '.join(cmd)}\n{report(out)}")
    m = re.search(r"^stat::number_of_executed_units:\s*(\d+)", out, re.M)
    assert m, f"no stat::number_of_executed_units in the fuzzer's output:\n{tail(out)}"
    executed = int(m.group(1))
    assert executed > MIN_EXECUTIONS, \
        f"only {executed} inputs executed in {FUZZ_SECONDS} s (want > {MIN_EXECUTIONS}):\n{tail(out)}"


IMAGE_FUZZER = OUT / "fuzz_image"
IMAGE_SEEDS = FUZZ_DIR / "corpus-image"
IMAGE_DICT = FUZZ_DIR / "image.dict"
IMAGE_FUZZ_SECONDS = 10
API_FUZZER = OUT / "fuzz_api"
API_SEEDS = FUZZ_DIR / "corpus-api"
API_DICT = FUZZ_DIR / "api.dict"
API_FUZZ_SECONDS = 10
DOCKERFILE_FUZZER = OUT / "fuzz_dockerfile"
DOCKERFILE_SEEDS = FUZZ_DIR / "corpus-dockerfile"
DOCKERFILE_DICT = FUZZ_DIR / "dockerfile.dict"
DOCKERFILE_FUZZ_SECONDS = 10
DNS_FUZZER = OUT / "fuzz_dns"
DNS_SEEDS = FUZZ_DIR / "corpus-dns"
DNS_DICT = FUZZ_DIR / "dns.dict"
DNS_FUZZ_SECONDS = 10


def fuzz_briefly(name, fuzzer_path, seeds_dir, dict_path, seconds):
    """One of the shorter fuzzers: replays its seeds, then fuzzes for `seconds`; exit 0, no artifact,
    enough executions."""
    corpus, artifacts_dir = OUT / f"ci-corpus-{name}", OUT / f"ci-artifacts-{name}"
    for d in (corpus, artifacts_dir):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    assert fuzzer_path.exists(), f"tests/fuzz/build.sh did not produce {fuzzer_path}"
    seeds = sorted(str(f) for f in seeds_dir.iterdir() if f.is_file())
    assert len(seeds) >= 5, f"seed corpus {seeds_dir} looks empty"
    p = subprocess.run([str(fuzzer_path), f"-timeout={UNIT_TIMEOUT}", *seeds], cwd=TOP, env=sanitizer_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
    assert p.returncode == 0, f"{fuzzer_path.name} on its seeds exited {p.returncode}:\n{report(p.stdout)}"
    cmd = [str(fuzzer_path), f"-max_total_time={seconds}", "-max_len=8192", f"-timeout={UNIT_TIMEOUT}",
           f"-dict={dict_path}", f"-artifact_prefix={artifacts_dir}/", "-print_final_stats=1",
           str(corpus), str(seeds_dir)]
    p = subprocess.run(cmd, cwd=TOP, env=sanitizer_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=seconds + 120)
    artifacts = sorted(f.name for f in artifacts_dir.iterdir()
                       if f.name.startswith(("crash-", "leak-", "timeout-", "oom-")))
    assert p.returncode == 0 and not artifacts, (
        f"{fuzzer_path.name} exited {p.returncode}, artifacts {artifacts} in {artifacts_dir}\n"
        f"command: {' '.join(cmd)}\n{report(p.stdout)}")
    m = re.search(r"^stat::number_of_executed_units:\s*(\d+)", p.stdout, re.M)
    assert m and int(m.group(1)) > MIN_EXECUTIONS, f"too few executions:\n{tail(p.stdout)}"


def test_fuzz_image_parsers(fuzzer):
    """fuzz_image (image configs, manifests, indexes) the same way, shorter."""
    fuzz_briefly("image", IMAGE_FUZZER, IMAGE_SEEDS, IMAGE_DICT, IMAGE_FUZZ_SECONDS)


def test_fuzz_api_requests(fuzzer):
    """fuzz_api: what capsa-service parses of a request (the version prefix, route patterns, filters,
    the create body's translation into the engine's options)."""
    fuzz_briefly("api", API_FUZZER, API_SEEDS, API_DICT, API_FUZZ_SECONDS)


def test_fuzz_dockerfile(fuzzer):
    """fuzz_dockerfile: the Dockerfile parser, the word expander, .dockerignore patterns and the
    COPY/ADD globs over a small context directory (src/lib/build)."""
    fuzz_briefly("dockerfile", DOCKERFILE_FUZZER, DOCKERFILE_SEEDS, DOCKERFILE_DICT, DOCKERFILE_FUZZ_SECONDS)


def test_fuzz_dns(fuzzer):
    """fuzz_dns: the DNS messages a container sends a network's DNS server, and the resolvers'
    answers it relays (src/lib/net/dns.c)."""
    fuzz_briefly("dns", DNS_FUZZER, DNS_SEEDS, DNS_DICT, DNS_FUZZ_SECONDS)
