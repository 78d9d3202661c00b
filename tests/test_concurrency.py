"""Several askers at once, and asking while the index is being written.

Threads share one ``Assistant`` (its answers must not be swapped, even with a backend that streams
slowly) or use one each; processes ask while another process updates or rebuilds the index. The
writer is paused at a known point (the driver of ``test_crash_safety``) and only released once every
asker has answered during the pause, so the overlap is certain rather than left to timing.
Every answer is checked: the expected fact, and citations that verify against the real lines.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from reliability_helpers import (
    assert_citations_real,
    assert_index_consistent,
    hash_env,
    make_corpus,
    topic,
)
from test_crash_safety import DRIVER, _change_corpus

from assistant import Assistant
from assistant.backends import Context, TextDelta, register
from assistant.backends.extractive import ExtractiveBackend, extract

QUESTIONS = {
    f"What is the code of the {topic(i, j)} project?": f"C{i}X{j}"
    for i, j in [(3, 1), (7, 3), (12, 5), (20, 0), (33, 7), (41, 2)]
}


@register("slow-stream-test")
class SlowStream(ExtractiveBackend):
    """The extractive answer, streamed a word at a time with a pause, like an LLM backend."""

    def run(self, question: str, evidence: list, ctx: Context, *, stream: bool = False):
        d = extract(question, evidence, ctx, self.settings.min_support)
        if stream:
            for word in " ".join(c.text for c in d.claims).split(" "):
                time.sleep(0.0005)  # lets other threads run mid-answer; not a timing assertion
                yield TextDelta(word + " ")
        yield d


class Overlap:
    """Counts how many drafts run at once (the most seen), for the slow fake backend below."""

    lock = threading.Lock()
    running = 0
    most = 0


@register("overlap-test")
class OverlapBackend(ExtractiveBackend):
    """The extractive answer, after waiting (bounded) until another question is being drafted
    too: with an answering lock no two drafts ever overlap and ``Overlap.most`` stays 1."""

    def run(self, question: str, evidence: list, ctx: Context, *, stream: bool = False):
        with Overlap.lock:
            Overlap.running += 1
            Overlap.most = max(Overlap.most, Overlap.running)
        try:
            deadline = time.monotonic() + 5
            while Overlap.most < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            yield extract(question, evidence, ctx, self.settings.min_support)
        finally:
            with Overlap.lock:
                Overlap.running -= 1


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("concurrency")
    corpus, index = root / "corpus", root / "index"
    make_corpus(corpus, files=50, paragraphs=8)
    Assistant(corpus=corpus, index_dir=index, embedding_model="hash").build_index()
    return corpus, index


def _check(answer, corpus: Path, fact: str) -> None:  # type: ignore[no-untyped-def]
    assert fact in answer.text, answer.text[:120]
    assert_citations_real(answer, corpus)


def _in_threads(work, n: int) -> list[BaseException]:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            work(k)
        except BaseException as e:  # noqa: BLE001  (collected and re-raised by the test)
            errors.append(e)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
        assert not t.is_alive(), "a thread hung"
    return errors


@pytest.mark.parametrize("backend", ["extractive", "slow-stream-test"])
def test_threads_sharing_one_assistant_get_their_own_answers(built, backend: str) -> None:
    corpus, index = built
    a = Assistant(corpus=corpus, index_dir=index, embedding_model="hash", backend=backend)
    items = list(QUESTIONS.items())

    def work(k: int) -> None:
        for r in range(4):
            q, fact = items[(k + r) % len(items)]
            _check(a.ask(q), corpus, fact)
            *pieces, answer = a.stream(q)  # what the UI does: pieces, then the verified answer
            _check(answer, corpus, fact)
            assert all(isinstance(p, TextDelta) for p in pieces)
            if backend == "slow-stream-test":
                assert fact in "".join(p.text for p in pieces)

    errors = _in_threads(work, 8)
    assert not errors, errors[0]


def test_eight_threads_get_exactly_the_answers_they_get_one_at_a_time(built) -> None:
    """Different questions from 8 threads on one Assistant: each answer (claims, citations,
    outcome) equals the one asked alone; and the drafts really ran at the same time."""
    corpus, index = built
    a = Assistant(corpus=corpus, index_dir=index, embedding_model="hash", backend="overlap-test")
    questions = [q for q, _ in QUESTIONS.items()]
    questions += [f"Which project has the code C{i}X{j}?" for i, j in [(3, 1), (20, 0)]]
    assert len(questions) == 8
    Overlap.most = 2  # one at a time: no waiting for a partner
    alone = {q: a.ask(q) for q in questions}
    Overlap.most = 0
    together: dict[str, object] = {}

    errors = _in_threads(lambda k: together.__setitem__(questions[k], a.ask(questions[k])), 8)
    assert not errors, errors[0]
    assert Overlap.most >= 2, "the questions were answered one after another"
    for q in questions:
        got, want = together[q], alone[q]
        assert (got.claims, got.outcome, got.citations) == (
            want.claims,
            want.outcome,
            want.citations,
        ), q


def test_threads_with_their_own_assistants(built) -> None:
    corpus, index = built
    items = list(QUESTIONS.items())

    def work(k: int) -> None:
        a = Assistant(corpus=corpus, index_dir=index, embedding_model="hash", backend="extractive")
        for r in range(3):
            q, fact = items[(k + r) % len(items)]
            _check(a.ask(q), corpus, fact)

    errors = _in_threads(work, 6)
    assert not errors, errors[0]


def test_indexing_in_one_thread_while_others_ask(tmp_path: Path) -> None:
    """One Assistant: build_index waits for running answers and answers wait for it."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, files=30, paragraphs=8)
    a = Assistant(corpus=corpus, index_dir=index, embedding_model="hash", backend="extractive")
    a.build_index()
    items = [(q, f) for q, f in QUESTIONS.items() if int(f[1:].split("X")[0]) < 30]
    stop = threading.Event()

    def work(k: int) -> None:
        if k == 0:
            try:
                for r in range(3):
                    (corpus / f"extra{r}.txt").write_text(f"Extra note {r}: nothing to see.\n")
                    a.build_index()
            finally:
                stop.set()
            return
        n = 0
        while not stop.is_set() or n < 3:
            q, fact = items[(k + n) % len(items)]
            _check(a.ask(q), corpus, fact)
            n += 1

    errors = _in_threads(work, 4)
    assert not errors, errors[0]
    assert_index_consistent(corpus, index)


# ------------------------------------------------------------------------------ processes
ASKER = r"""
import json, os, sys
from pathlib import Path
from assistant import Assistant
sys.path.insert(0, os.environ["HELPERS"])
from reliability_helpers import assert_citations_real

corpus, index, mode, stop, minimum = sys.argv[1:5] + [int(sys.argv[5])]
questions = json.loads(os.environ["QUESTIONS"])
a, n = None, 0
while n < minimum or not os.path.exists(stop):
    if a is None or mode == "fresh":
        a = Assistant(corpus=corpus, index_dir=index, embedding_model="hash", backend="extractive")
    q, fact = questions[n % len(questions)]
    try:
        ans = a.ask(q)
        assert fact in ans.text, ans.text[:100]
        assert_citations_real(ans, Path(corpus))
        print(json.dumps({"ok": True}), flush=True)
    except BaseException as e:
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"[:300]}), flush=True)
    n += 1
"""


def _askers(corpus: Path, index: Path, stop: Path, modes: list[str]) -> list[subprocess.Popen]:
    env = hash_env(
        corpus,
        index,
        HELPERS=str(Path(__file__).parent),
        QUESTIONS=json.dumps(list(QUESTIONS.items())),
    )
    return [
        subprocess.Popen(
            [sys.executable, "-c", ASKER, str(corpus), str(index), mode, str(stop), "4"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in modes
    ]


def _read_answers(p: subprocess.Popen, k: int) -> list[dict]:
    """Block until the asker has reported ``k`` answers; a dead asker fails the test."""
    assert p.stdout is not None
    got = []
    for _ in range(k):
        line = p.stdout.readline()
        assert line, f"asker died: {p.stderr.read() if p.stderr else ''}"
        got.append(json.loads(line))
    return got


@pytest.mark.slow
@pytest.mark.parametrize(
    ("pause_at", "args"),
    [("after-commit:1", ()), ("before-embed:2", ("--rebuild",))],
    ids=["update", "rebuild"],
)
def test_processes_ask_while_another_process_indexes(
    tmp_path: Path, pause_at: str, args: tuple[str, ...]
) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, files=60, paragraphs=8)
    Assistant(corpus=corpus, index_dir=index, embedding_model="hash").build_index()
    if not args:
        _change_corpus(corpus)  # the update embeds, commits in batches and deletes
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", DRIVER, "index", "-q", *args],
        env=hash_env(corpus, index, CRASH_AT=pause_at),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    askers: list[subprocess.Popen] = []
    try:
        assert writer.stdout is not None and writer.stdout.readline().startswith("KILL-POINT")
        askers = _askers(corpus, index, stop, ["fresh", "fresh", "long", "long"])
        during = []
        if not args:  # an update in progress: askers answer from the committed batches
            for p in askers:
                during += _read_answers(p, 2)
        assert writer.stdin is not None
        writer.stdin.write("go\n")  # a rebuild in progress: askers wait for it, then answer
        writer.stdin.close()
        assert writer.wait(timeout=180) == 0, writer.stderr.read() if writer.stderr else ""
        stop.touch()
        after = []
        for p in askers:
            out, err = p.communicate(timeout=180)
            assert p.returncode == 0, err[-2000:]
            after += [json.loads(line) for line in out.splitlines()]
    finally:
        for p in [writer, *askers]:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=60)
    bad = [r for r in during + after if not r["ok"]]
    assert not bad, bad[:3]
    assert len(during + after) >= 4 * 4
    assert_index_consistent(corpus, index)


@pytest.mark.slow
def test_two_indexers_at_once_leave_one_consistent_index(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, files=60, paragraphs=8)
    Assistant(corpus=corpus, index_dir=index, embedding_model="hash").build_index()
    _change_corpus(corpus)
    first = subprocess.Popen(
        [sys.executable, "-c", DRIVER, "index", "-q"],
        env=hash_env(corpus, index, CRASH_AT="after-commit:1"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    second = None
    try:
        assert first.stdout is not None and first.stdout.readline().startswith("KILL-POINT")
        second = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "index", "-q"],
            env=hash_env(corpus, index),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        (corpus / "late.txt").write_text("A late file about the harbour.\n")
        assert first.stdin is not None
        first.stdin.write("go\n")
        first.stdin.close()
        assert first.wait(timeout=180) == 0
        _, err = second.communicate(timeout=180)
        assert second.returncode == 0, err
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(timeout=60)
    assert_index_consistent(corpus, index)
