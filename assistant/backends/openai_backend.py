"""The ``openai`` backend: any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp).

Owns: the client (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``; model ``ASSISTANT_LLM_MODEL``), one chat
request per answer, plain or streamed, at temperature 0; its retries (``llm_max_retries``; on
connection errors, timeouts, 408/409/429 and 5xx, with the SDK's backoff of 0.5 s, 1 s, ... and a
server's Retry-After obeyed when it fits); one overall deadline per request (``llm_timeout``);
and turning every failure into an ``LLMError`` whose message a user can act on. A stream that
breaks after it began is not retried: the pipeline falls back instead.

How the deadline holds however the server behaves. The SDK's own timeout is per read and
restarts with every byte (a server that trickles a byte a second, sends SSE keep-alive comments
or empty chunks never trips it), and its retry waits are plain ``time.sleep`` calls. So each
request runs in a worker thread of its own (``_Call``) that does the HTTP work (connect, SDK
attempt with ``max_retries=0``, reading the reply) and puts the text on a queue; the caller's
generator waits on that queue with the time that remains, and a timer cancels the call at the
deadline even when nobody is waiting (a caller holding an open stream). Cancelling shuts down the
call's sockets (``socket.shutdown``, which also wakes a read blocked in another thread; the
server sees the connection close) and wakes a retry wait (``threading.Event``), so the worker
ends at once. The sockets are known through the HTTP client's public trace hook (each
connection is recorded as it connects; connections are not kept alive between requests, so
every request opens, and then owns, its own). Retries are done here, not by the SDK, for the
same reason: a wait that would end past the deadline (a Retry-After of 100 s) is not started.
Closing the generator early (the caller abandons a stream, or drops it) cancels the call the
same way. Does not own: prompts, evidence or what the reply becomes (``backends.llm``).
"""

from __future__ import annotations

import os
import queue
import random
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from ..errors import BackendError
from .base import register
from .llm import ChatBackend, LLMError, ReplySignals, logprob_signals

TOP_LOGPROBS = 10  # alternatives asked for each token: enough to see the no-answer reply's share
INITIAL_RETRY_DELAY, MAX_RETRY_DELAY = 0.5, 8.0  # the SDK's backoff: 0.5 s, 1 s, 2 s ... 8 s
JOIN_SECONDS = 2.0  # how long closing a call waits for its (already woken) worker to end
_END = object()  # the worker's last item: the reply is complete
_current = threading.local()  # the ``_Call`` a worker thread is doing (read by the transport)


def retry_wait(cancelled: threading.Event, seconds: float) -> bool:
    """Wait ``seconds`` before a retry; False when the call was cancelled meanwhile (tests
    replace this to record the waits instead of sleeping)."""
    return not cancelled.wait(seconds)


def retry_delay(e: Exception, attempt: int) -> float | None:
    """How long to wait before retrying after ``e`` (attempt 0 is the first), as the OpenAI SDK
    would; None: not worth retrying (401, 404, a 400...)."""
    import openai

    if isinstance(e, openai.APIStatusError):
        headers = e.response.headers
        should = headers.get("x-should-retry")
        if should == "false" or (
            should != "true" and e.status_code not in (408, 409, 429) and e.status_code < 500
        ):
            return None
        try:
            after = float(headers.get("retry-after", ""))
        except ValueError:
            after = None
        if after is not None and after > 0:
            return after
    elif not isinstance(e, openai.APIConnectionError):  # also covers APITimeoutError
        return None
    backoff = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return backoff * (1 - 0.25 * random.random())


class _Call:
    """One request's deadline and what cancelling it must release: its sockets, its retry wait.
    Shared between the caller's generator, the worker thread and the deadline timer."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.cancelled = threading.Event()
        self.replied = False  # the server sent a status line (a streamed reply began)
        self.received = 0  # characters of text received
        self.waiting = ""  # what a retry is waiting for, if it is
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def add_socket(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if not self.cancelled.is_set():
                return
        _shutdown(sock)  # connected after the call was cancelled

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook: record each connection's socket as soon as it is connected."""
        if event.endswith("connect_tcp.complete") or event.endswith("start_tls.complete"):
            stream = info.get("return_value")
            if stream is not None:
                self.add_socket(stream.get_extra_info("socket"))

    def cancel(self) -> None:
        """Wake the worker wherever it blocks and close the connection (idempotent)."""
        with self._lock:
            self.cancelled.set()
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed
        pass


def _transport() -> Any:
    """An HTTP transport that gives each request's sockets to the ``_Call`` doing it."""
    import httpx2

    class CallTransport(httpx2.BaseTransport):
        def __init__(self) -> None:
            # No keep-alive: each request connects (so the trace hook sees its socket) and its
            # connection ends with it; nothing of one call outlives it in a pool.
            self.inner = httpx2.HTTPTransport(limits=httpx2.Limits(max_keepalive_connections=0))

        def handle_request(self, request: Any) -> Any:
            call: _Call | None = getattr(_current, "call", None)
            if call is None:
                return self.inner.handle_request(request)
            if call.cancelled.is_set():
                raise httpx2.ConnectError("the request was cancelled", request=request)
            request.extensions = {**request.extensions, "trace": call.trace}
            response = self.inner.handle_request(request)
            call.replied = True  # a status line and headers came
            stream = response.extensions.get("network_stream")
            call.add_socket(stream.get_extra_info("socket") if stream is not None else None)
            return response

        def close(self) -> None:
            self.inner.close()

    return CallTransport()


def _is_transport_error(e: Exception) -> bool:
    """An HTTP-library error (httpx, httpcore and their forks) raised reading a broken reply."""
    return any(
        c.__module__.split(".")[0] in ("httpx", "httpx2", "httpcore", "httpcore2")
        for c in type(e).__mro__
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
                max_retries=0,  # retried here, within the deadline (see the module docstring)
                http_client=openai.DefaultHttpxClient(transport=_transport()),
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
        """The reply, read by a worker thread within one deadline of ``llm_timeout`` seconds;
        closing this generator (or reaching the deadline) cancels the request at once."""
        limit = self.settings.llm_timeout
        call = _Call(time.monotonic() + limit)
        items: queue.Queue[Any] = queue.Queue()
        worker = threading.Thread(
            target=self._work, args=(call, messages, stream, items), name="openai-request"
        )
        timer = threading.Timer(limit, call.cancel)  # also when nobody waits on the queue
        timer.name = "openai-deadline"
        timer.daemon = worker.daemon = True
        worker.start()
        timer.start()
        try:
            while True:
                try:
                    item = items.get(timeout=max(0.0, call.remaining()))
                except queue.Empty:
                    raise LLMError(self._too_late(call)) from None
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    if call.remaining() <= 0 or isinstance(item, _Cancelled):
                        raise LLMError(self._too_late(call)) from item
                    raise item
                yield item
        finally:  # done, failed, past the deadline or abandoned: release everything now
            call.cancel()
            timer.cancel()
            worker.join(JOIN_SECONDS)
            timer.join(JOIN_SECONDS)

    def _too_late(self, call: _Call) -> str:
        t = f"{self.settings.llm_timeout:g} s"
        if call.waiting:
            why = call.waiting
        elif call.received:
            why = f"{self.base_url} stopped after {call.received} characters"
        elif call.replied:
            why = f"{self.base_url} answered but sent no text"
        else:
            why = f"no reply from {self.base_url}"
        return f"no complete answer within {t}: {why}"

    def _work(self, call: _Call, messages: list[dict[str, str]], stream: bool, out: Any) -> None:
        """The worker thread: the request with its retries; every result goes on ``out``."""
        _current.call = call
        try:
            for item in self._attempts(call, messages, stream):
                if call.cancelled.is_set():
                    return
                out.put(item)
            out.put(_END)
        except BaseException as e:  # noqa: BLE001 - handed to the caller, who decides
            out.put(e)
        finally:
            _current.call = None

    def _attempts(
        self, call: _Call, messages: list[dict[str, str]], stream: bool
    ) -> Iterator[str | ReplySignals]:
        """``_reply`` tried up to ``1 + llm_max_retries`` times, never waiting past the
        deadline; a reply that began is not retried."""
        import openai

        retries = self.settings.llm_max_retries
        for attempt in range(retries + 1):
            try:
                yield from self._reply(call, messages, stream)
                return
            except openai.OpenAIError as e:
                if call.cancelled.is_set():
                    raise _Cancelled() from e
                began = stream and call.replied and isinstance(e, openai.APIConnectionError)
                if call.received or began:
                    raise self._broken(e) from e
                delay = retry_delay(e, attempt)
                if delay is None or attempt == retries:
                    raise LLMError(self.describe(e, attempt + 1)) from e
                if delay >= call.remaining():
                    call.waiting = f"{self.describe(e, attempt + 1)}, asking to wait {delay:g} s"
                    raise LLMError(self._too_late(call)) from e
                call.replied = False
                if not retry_wait(call.cancelled, delay):
                    raise _Cancelled() from e
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                raise LLMError(f"malformed reply from {self.base_url}: {e}") from e
            except Exception as e:
                if call.cancelled.is_set():
                    raise _Cancelled() from e
                if _is_transport_error(e):
                    raise self._broken(e) from e
                raise

    def _broken(self, e: Exception) -> LLMError:
        cause = e if _is_transport_error(e) else (e.__cause__ or e.__context__ or e)
        return LLMError(
            f"the connection to {self.base_url} broke in the middle of the answer: "
            f"{str(cause) or type(cause).__name__}"
        )

    def _reply(
        self, call: _Call, messages: list[dict[str, str]], stream: bool
    ) -> Iterator[str | ReplySignals]:
        """One attempt, in the worker thread; raises the SDK's errors as they are."""
        request = dict(
            model=self.model,
            messages=messages,
            temperature=0,
            seed=0,
            max_tokens=self.settings.llm_max_tokens,
            # Bounds a connect that never completes; a stalled read is the deadline's job.
            timeout=max(0.001, call.remaining()),
        )
        first_top: list[tuple[str, float]] = []
        logps: list[float] = []

        def note_logprobs(choice: Any) -> None:
            for t in _token_logprobs(choice):
                if not logps:
                    first_top.extend(
                        (a.token, a.logprob) for a in (getattr(t, "top_logprobs", None) or [])
                    )
                logps.append(float(t.logprob))

        if not stream:
            reply = self._request(request)
            text = _content(reply)
            note_logprobs(reply.choices[0])
            yield text
            yield ReplySignals(logprob_signals(first_top, logps))
            return
        finished = False
        chunks = self._request(request, stream=True)
        try:
            for chunk in chunks:
                choices = getattr(chunk, "choices", None)
                if choices is None:
                    raise LLMError(f"malformed stream chunk from {self.base_url}")
                if choices:
                    note_logprobs(choices[0])
                if choices and choices[0].delta is not None and choices[0].delta.content:
                    call.received += len(choices[0].delta.content)
                    yield choices[0].delta.content
                finished = finished or bool(choices and choices[0].finish_reason)
        finally:
            chunks.close()
        if not finished:  # the connection closed before the server said it was done
            raise LLMError(f"the stream from {self.base_url} ended before the answer did")
        yield ReplySignals(logprob_signals(first_top, logps))

    def describe(self, e: Exception, tries: int = 1) -> str:
        """A message for the user: what failed (after ``tries`` attempts), and what to check."""
        import openai

        url = self.base_url
        after = f" (tried {tries} times)" if tries > 1 else ""
        if isinstance(e, openai.APITimeoutError):
            t = f"{self.settings.llm_timeout:g} s"
            return f"no complete answer within {t}: no reply from {url}"
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


class _Cancelled(Exception):
    """The worker noticed its call was cancelled (deadline or abandoned)."""


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
