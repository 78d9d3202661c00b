"""The ``openai`` backend: any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp).

Owns: the client (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``; model ``ASSISTANT_LLM_MODEL``), one chat
request per answer, plain or streamed, at temperature 0; retries are the SDK's own
(``llm_max_retries``; on connection errors, timeouts, 408/409/429 and 5xx, with exponential
backoff and the server's Retry-After obeyed), a time limit per request (``llm_timeout``), and
turning every failure into an ``LLMError`` whose message a user can act on. A stream that
breaks after it began is not retried: the pipeline falls back instead. Does not own: prompts,
evidence or what the reply becomes (``backends.llm``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from ..errors import BackendError
from .base import register
from .llm import ChatBackend, LLMError, ReplySignals, logprob_signals

TOP_LOGPROBS = 10  # alternatives asked for each token: enough to see the no-answer reply's share


def _is_transport_error(e: Exception) -> bool:
    """An HTTP-library error (httpx, httpx2, httpcore) raised while reading a broken reply."""
    return any(
        c.__module__.split(".")[0] in ("httpx", "httpx2", "httpcore") for c in type(e).__mro__
    )


@register("openai")
class OpenAIBackend(ChatBackend):
    """Chat completions from an OpenAI-compatible server, verified like every other backend."""

    def __init__(self, settings, client: Any = None) -> None:
        super().__init__(settings)
        key = os.environ.get("OPENAI_API_KEY", "")
        base = os.environ.get("OPENAI_BASE_URL", "").strip()
        self.base_url = (base or "https://api.openai.com/v1").rstrip("/")
        if client is None:
            if not key and not base:
                raise BackendError(
                    "the openai backend needs OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL "
                    "(for a compatible server: llama.cpp, Ollama, vLLM), and ASSISTANT_LLM_MODEL"
                )
            import openai

            client = openai.OpenAI(
                api_key=key or "not-needed",  # local servers accept any key
                base_url=self.base_url,
                timeout=settings.llm_timeout,
                max_retries=settings.llm_max_retries,
            )
        self.client = client
        self.model = settings.llm_model
        self.calibration = settings.llm_model  # a fit for it exists only if someone made one
        # Whether to ask for log-probabilities: turned off, for good, by a server that rejects
        # them (a fact about the server, not about one call).
        self.logprobs = settings.llm_logprobs

    @property
    def model_name(self) -> str:
        return self.model

    # ------------------------------------------------------------------------- requests
    def _request(self, request: dict[str, Any], **extra: Any) -> Any:
        """``chat.completions.create`` asking for the first token's top log-probabilities
        (``llm_logprobs``); a server that rejects the request with them (400/422) is asked once
        more without, and not asked for them again: its answers are then judged by the evidence
        signals alone."""
        import openai

        if not self.logprobs:
            return self.client.chat.completions.create(**request, **extra)
        try:
            return self.client.chat.completions.create(
                **request, **extra, logprobs=True, top_logprobs=TOP_LOGPROBS
            )
        except openai.APIStatusError as e:
            if e.status_code not in (400, 422):
                raise
            self.logprobs = False
            return self.client.chat.completions.create(**request, **extra)

    def chat(self, messages: list[dict[str, str]], stream: bool) -> Iterator[str | ReplySignals]:
        import openai

        request = dict(
            model=self.model,
            messages=messages,
            temperature=0,
            seed=0,
            max_tokens=self.settings.llm_max_tokens,
        )
        started = False  # a reply began: a failure now is a broken answer, not a failed request
        first_top: list[tuple[str, float]] = []
        logps: list[float] = []

        def note_logprobs(choice: Any) -> None:
            for t in _token_logprobs(choice):
                if not logps:
                    first_top.extend(
                        (a.token, a.logprob) for a in (getattr(t, "top_logprobs", None) or [])
                    )
                logps.append(float(t.logprob))

        try:
            if not stream:
                reply = self._request(request)
                text = _content(reply)
                note_logprobs(reply.choices[0])
                yield text
                yield ReplySignals(logprob_signals(first_top, logps))
                return
            finished = False
            chunks = self._request(request, stream=True)
            started = True
            for chunk in chunks:
                choices = getattr(chunk, "choices", None)
                if choices is None:
                    raise LLMError(f"malformed stream chunk from {self.base_url}")
                if choices:
                    note_logprobs(choices[0])
                if choices and choices[0].delta is not None and choices[0].delta.content:
                    yield choices[0].delta.content
                finished = finished or bool(choices and choices[0].finish_reason)
            if not finished:  # the connection closed before the server said it was done
                raise LLMError(f"the stream from {self.base_url} ended before the answer did")
            yield ReplySignals(logprob_signals(first_top, logps))
        except openai.OpenAIError as e:
            if started and isinstance(e, openai.APIConnectionError):
                cause = e.__cause__ or e.__context__ or e
                raise LLMError(
                    f"the connection to {self.base_url} broke in the middle of the answer: {cause}"
                ) from e
            raise LLMError(self.describe(e)) from e
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise LLMError(f"malformed reply from {self.base_url}: {e}") from e
        except Exception as e:  # noqa: BLE001 - only transport errors are expected here
            if _is_transport_error(e):
                raise LLMError(
                    f"the connection to {self.base_url} broke in the middle of the answer: "
                    f"{e or type(e).__name__}"
                ) from e
            raise

    def describe(self, e: Exception) -> str:
        """A message for the user: what failed, and what to check."""
        import openai

        url, retries = self.base_url, self.settings.llm_max_retries
        after = f" (tried {retries + 1} times)" if retries else ""
        if isinstance(e, openai.APITimeoutError):
            return f"no reply from {url} within {self.settings.llm_timeout:g} s{after}"
        if isinstance(e, openai.APIConnectionError):
            cause = e.__cause__ or e.__context__
            why = f": {cause}" if cause is not None and str(cause) else ""
            return f"cannot reach {url}{after}{why}"
        if isinstance(e, openai.AuthenticationError):
            return f"{url} refused the API key (401); check OPENAI_API_KEY"
        if isinstance(e, openai.PermissionDeniedError):
            return f"{url} denied access (403); check OPENAI_API_KEY and the model's permissions"
        if isinstance(e, openai.RateLimitError):
            return f"rate limited by {url} (429){after}; try again later"
        if isinstance(e, openai.NotFoundError):
            return f"{url} does not know model {self.model!r} (404); check ASSISTANT_LLM_MODEL"
        if isinstance(e, openai.BadRequestError):
            msg = str(getattr(e, "message", e))
            if any(w in msg.lower() for w in ("context", "too long", "token")):
                return (
                    "the prompt does not fit the model's context window; lower "
                    f"ASSISTANT_LLM_CONTEXT_TOKENS ({msg[:160]})"
                )
            return f"the server rejected the request (400): {msg[:200]}"
        if isinstance(e, openai.APIStatusError):
            return f"server error {e.status_code} from {url}{after}"
        if isinstance(e, openai.APIResponseValidationError):
            return f"malformed reply from {url}"
        return f"{type(e).__name__}: {e}"


def _token_logprobs(choice: Any) -> list[Any]:
    """The token log-probabilities a reply's (or a stream chunk's) choice carries; none when the
    server sent none or sent them in a shape it should not have."""
    content = getattr(getattr(choice, "logprobs", None), "content", None)
    if not isinstance(content, list):
        return []
    return [t for t in content if isinstance(getattr(t, "logprob", None), (int, float))]


def _content(reply: Any) -> str:
    """The text of a non-streamed reply; ``LLMError`` when it is not the expected shape."""
    try:
        text = reply.choices[0].message.content
    except (AttributeError, IndexError, TypeError) as e:
        raise LLMError("malformed reply: no choices[0].message.content") from e
    if text is not None and not isinstance(text, str):
        raise LLMError("malformed reply: the message content is not text")
    return text or ""
