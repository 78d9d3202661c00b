"""The index's locks: the readers/writer lock alone, the file lock, and an ``Index`` shared by
threads while it is read and updated.

No assertion depends on timing: threads meet at ``Barrier``s and ``Event``s, "cannot take the lock
now" is asked with ``blocking=False``, and a timeout only turns a deadlock into a failure.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.index import Index
from assistant.locking import FileLock, RWLock
from assistant.settings import Settings

DEADLOCK = 30  # seconds after which a thread that has not finished counts as deadlocked


def start(*targets: Callable[[], object]) -> list[threading.Thread]:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    return threads


def finish(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.join(DEADLOCK)
    assert not any(t.is_alive() for t in threads), "deadlocked"


def in_thread(fn: Callable[[], object]) -> object:
    """Run ``fn`` in another thread and return what it returned (or raise what it raised)."""
    out: list[object] = []
    err: list[BaseException] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as e:  # noqa: BLE001 - handed back to the caller
            err.append(e)

    finish(start(run))
    if err:
        raise err[0]
    return out[0]


def until(predicate: Callable[[], bool]) -> None:
    """Wait until ``predicate()`` holds (a state another thread reaches), or fail."""
    never = threading.Event()
    for _ in range(DEADLOCK * 1000):
        if predicate():
            return
        never.wait(0.001)
    raise AssertionError("the state was never reached")


def take(lock: RWLock, side: str, blocking: bool = True) -> bool:
    return lock.acquire_read(blocking) if side == "read" else lock.acquire_write(blocking)


def give(lock: RWLock, side: str) -> None:
    lock.release_read() if side == "read" else lock.release_write()


# What another thread gets, without waiting, while this thread holds a side (or nothing).
OTHER_THREAD = [
    (None, "read", True),
    (None, "write", True),
    ("read", "read", True),  # readers share
    ("read", "write", False),  # a writer waits for readers
    ("write", "read", False),  # readers wait for a writer
    ("write", "write", False),
]


@pytest.mark.parametrize(("held", "wanted", "granted"), OTHER_THREAD)
def test_what_another_thread_may_take(held: str | None, wanted: str, granted: bool) -> None:
    lock = RWLock()
    if held:
        take(lock, held)

    def attempt() -> bool:
        got = take(lock, wanted, blocking=False)
        if got:
            give(lock, wanted)
        return got

    assert in_thread(attempt) is granted
    if held:
        give(lock, held)
    assert in_thread(attempt)  # all given back


# Re-entry by the thread that holds the lock: granted at once, or an error, never a deadlock.
SAME_THREAD = [
    ("read", "read", None),
    ("write", "write", None),
    ("write", "read", None),
    ("read", "write", RuntimeError),  # an upgrade could deadlock two readers: refused
]


@pytest.mark.parametrize(("held", "wanted", "error"), SAME_THREAD)
def test_the_holding_thread_may_enter_again(
    held: str, wanted: str, error: type[Exception] | None
) -> None:
    lock = RWLock()

    def scenario() -> None:
        take(lock, held)
        if error:
            with pytest.raises(error):
                take(lock, wanted)
        else:
            assert take(lock, wanted, blocking=False)
            give(lock, wanted)
        give(lock, held)

    in_thread(scenario)
    assert in_thread(lambda: lock.acquire_write(blocking=False))  # all given back


def test_two_readers_are_inside_at_once() -> None:
    lock, both_inside = RWLock(), threading.Barrier(2, timeout=DEADLOCK)

    def reader() -> None:
        with lock.read():
            both_inside.wait()  # breaks (and fails) unless the other reader is inside too

    finish(start(reader, reader))
    assert not both_inside.broken


def test_a_writer_waits_for_readers_and_goes_before_new_ones() -> None:
    lock, wrote = RWLock(), threading.Event()
    lock.acquire_read()

    def writer() -> None:
        with lock.write():
            wrote.set()

    w = start(writer)
    until(lambda: lock.writers_waiting == 1)
    assert not wrote.is_set()  # the reader is still inside
    assert in_thread(lambda: lock.acquire_read(blocking=False)) is False  # writer goes first
    assert lock.acquire_read(blocking=False)  # but the reader itself re-enters: no deadlock
    lock.release_read()
    lock.release_read()
    finish(w)
    assert wrote.is_set()
    assert lock.acquire_read(blocking=False)
    lock.release_read()


def test_readers_and_writers_never_overlap() -> None:
    """Eight readers and two writers hammer the lock; each checks who else is inside."""
    lock, mutex = RWLock(), threading.Lock()
    inside = {"read": 0, "write": 0}
    bad: list[str] = []
    together = threading.Barrier(10, timeout=DEADLOCK)

    def worker(side: str) -> None:
        together.wait()
        for _ in range(300):
            with lock.read() if side == "read" else lock.write():
                with mutex:
                    inside[side] += 1
                    if inside["write"] > 1 or (inside["write"] and inside["read"]):
                        bad.append(f"{inside}")
                with mutex:
                    inside[side] -= 1

    finish(start(*(functools.partial(worker, s) for s in ["read"] * 8 + ["write"] * 2)))
    assert not bad


@pytest.mark.parametrize("side", ["read", "write"])
def test_releasing_what_is_not_held_is_an_error(side: str) -> None:
    with pytest.raises(RuntimeError):
        give(RWLock(), side)


def test_file_lock_is_seen_by_other_opens_and_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "sub" / ".lock"
    assert not FileLock(path).held()  # no file yet
    FileLock(path).wait()  # returns at once
    with FileLock(path).exclusive():
        assert FileLock(path).held()
    assert not FileLock(path).held()


# ----------------------------------------------------------------------- an Index in threads
@pytest.fixture
def index(corpus: Path, tmp_path: Path) -> Index:
    idx = Index(Settings(corpus=corpus, index_dir=tmp_path / "index", embedding_model="hash"))
    idx.update(progress=False)
    return idx


def test_eight_threads_read_one_index_at_once(index: Index) -> None:
    query = index.embedder.embed(["climate resilience programmes"])[0]
    _, ids = index.lexical()
    sources = list(index.get_chunks(ids[:20]).values())
    fresh = Index(index.settings)  # nothing loaded yet: the threads race to open everything
    together = threading.Barrier(8, timeout=DEADLOCK)

    def read() -> tuple:
        together.wait()
        with fresh.reading():
            lex, lex_ids = fresh.lexical()
            dense = fresh.dense_search(query, 10)
            chunks = fresh.get_chunks([cid for cid, _ in dense])
            files = [fresh.get_file(c.source) for c in sources]
        return lex_ids, dense, sorted(chunks), files, lex.idf("climat")

    results: list[tuple] = []
    finish(start(*[lambda: results.append(read())] * 8))
    assert len(results) == 8
    first = results[0]
    assert first[0] == ids and len(first[1]) == 10
    assert all(f is not None for f in first[3])
    assert all(r == first for r in results)


def test_a_search_never_sees_half_an_update(index: Index, corpus: Path) -> None:
    """Threads search while this thread updates the same Index: inside ``reading()`` every id
    the lexical index names is in the chunk table, and every dense hit too."""
    for i, path in enumerate(sorted(corpus.iterdir())[:3]):
        path.write_text(path.read_text(encoding="utf-8") + f"\nAn added line {i}.\n", "utf-8")
    (corpus / "new.txt").write_text("A new file about zebra crossings.\n", encoding="utf-8")
    query = index.embedder.embed(["zebra crossings"])[0]
    done, searched = threading.Event(), threading.Barrier(5, timeout=DEADLOCK)
    problems: list[str] = []

    def search() -> None:
        first = True
        while first or not done.is_set():
            with index.reading():
                _, ids = index.lexical()
                dense = [cid for cid, _ in index.dense_search(query, 20)]
                found = index.get_chunks(ids + dense)
            if missing := [cid for cid in ids + dense if cid not in found]:
                problems.append(f"{len(missing)} ids without a chunk, e.g. {missing[0]}")
            if first:
                searched.wait()  # every searcher has read the old index once
                first = False

    threads = start(search, search, search, search)
    searched.wait()
    report = index.update(progress=False)
    done.set()
    finish(threads)
    assert report.embedded > 0 and not problems
    assert index.get_file("new.txt") is not None


def test_updating_inside_reading_is_an_error_not_a_deadlock(index: Index) -> None:
    with index.reading(), pytest.raises(RuntimeError):
        index.update(progress=False)
    assert index.update(progress=False).embedded == 0  # and the lock was given back
