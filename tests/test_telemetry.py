"""onnxruntime telemetry is off: running the default embedder leaves no file behind.

Official onnxruntime builds (1.29 and later) on Linux write a persistent device id and a SQLite
queue of usage events (``$XDG_CACHE_HOME/Microsoft/DeveloperTools/.onnxruntime/deviceid`` and
``onnxruntime.db``, or under ``$HOME/.cache``) as soon as onnxruntime is imported, unless
``ORT_DISABLE_TELEMETRY`` is set first or a CI variable is present. Each check runs in a fresh
process (the choice is made once, at import) with a temporary HOME and cache and without the CI
variables that would hide the problem; a control run of bare onnxruntime shows that the check can
fail on this onnxruntime.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Variables under which onnxruntime keeps quiet by itself (CI sets CI=true): removed, so that the
# test sees what a user's machine sees.
QUIETING = (
    "CI",
    "TF_BUILD",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "CIRCLECI",
    "TRAVIS",
    "JENKINS_URL",
    "CODEBUILD_BUILD_ID",
    "BUILDKITE",
    "TEAMCITY_VERSION",
    "BUILD_BUILDID",
)

EMBED = (
    "from assistant.embeddings import get_embedder\n"
    "v = get_embedder('minilm-int8').embed(['New Zealand committed 329 million NZD.'])\n"
    "assert v.shape == (1, 384), v.shape\n"
)


def run_isolated(code: str, tmp_path: Path, xdg: bool) -> list[Path]:
    """Run ``code`` in a new Python with a temporary HOME (and XDG_CACHE_HOME when ``xdg``);
    return every file it left under them."""
    home, cache = tmp_path / "home", tmp_path / "cache"
    home.mkdir()
    cache.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in QUIETING and not k.startswith("ORT_")}
    env["HOME"] = str(home)
    env.pop("XDG_CACHE_HOME", None)
    if xdg:
        env["XDG_CACHE_HOME"] = str(cache)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return sorted(p for root in (home, cache) for p in root.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def onnxruntime_would_write(tmp_path_factory) -> list[Path]:
    """What bare onnxruntime leaves behind on this machine (the control)."""
    return run_isolated("import onnxruntime", tmp_path_factory.mktemp("bare"), xdg=True)


def test_bare_onnxruntime_writes_a_device_id_here(onnxruntime_would_write):
    """The control: without the assistant's setting, this onnxruntime does write telemetry
    files, so the test below can fail. (A build without telemetry writes nothing: skipped.)"""
    if not onnxruntime_would_write:
        pytest.skip("this onnxruntime build writes no telemetry files")
    assert any(p.name == "deviceid" for p in onnxruntime_would_write), onnxruntime_would_write


@pytest.mark.parametrize("xdg", [True, False], ids=["XDG_CACHE_HOME", "HOME-only"])
def test_the_embedder_leaves_no_telemetry_files(tmp_path, xdg):
    assert run_isolated(EMBED, tmp_path, xdg) == []


def test_an_explicit_choice_in_the_environment_wins():
    """The assistant only fills in a default; a user's own ORT_DISABLE_TELEMETRY is kept."""
    code = "import os, assistant.embeddings; print(os.environ['ORT_DISABLE_TELEMETRY'])"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORT_")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "1", out.stderr[-2000:]
    env["ORT_DISABLE_TELEMETRY"] = "0"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "0", out.stderr[-2000:]
