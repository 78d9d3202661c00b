"""Locks around the index: one between processes, one between the threads of a process.

Owns: ``FileLock``, the ``.lock`` file in the index folder that an update holds exclusively
(``fcntl.flock``: the kernel lets go of it when the process dies, so a ``kill -9`` never leaves it
held), and the two questions others ask of it (is a writer there now? wait until it is gone).
``RWLock``, a readers/writer lock for one process: any number of readers at once or one writer; a
waiting writer goes before readers that arrive after it; re-entrant for the thread that holds it.
Does not own: what is read or written under them (``index``), or any timeout: a lock is waited
for until it is free.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path


class FileLock:
    """An exclusive lock on ``path`` shared by every process; readers only look at it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the lock (waiting for any other holder) for the body of the ``with``."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def wait(self) -> None:
        """Return once nobody holds the lock (at once when there is no lock file)."""
        with contextlib.suppress(OSError), open(self.path, "rb") as fh:
            fcntl.flock(fh, fcntl.LOCK_SH)
            fcntl.flock(fh, fcntl.LOCK_UN)

    def held(self) -> bool:
        """True while someone (another process, or another open of it here) holds the lock."""
        try:
            with open(self.path, "rb") as fh:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
                fcntl.flock(fh, fcntl.LOCK_UN)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False


class RWLock:
    """Many readers at once, or one writer; a waiting writer goes before new readers.

    Re-entrant per thread: a thread that reads may read again, even while a writer waits (it holds
    the lock already, so making it wait would deadlock it with itself); a thread that writes may
    write or read again. A thread that holds only the read side cannot take the write side (two
    such threads would wait for each other forever): that raises ``RuntimeError`` at once.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers: dict[int, int] = {}  # thread id -> how often it holds the read side
        self._writer: int | None = None  # the thread that holds the write side
        self._writes = 0  # how often the writer holds it
        self._waiting = 0  # writers waiting for it

    @property
    def writers_waiting(self) -> int:
        """How many threads are waiting for the write side now."""
        with self._cond:
            return self._waiting

    def acquire_read(self, blocking: bool = True) -> bool:
        """Take the read side; with ``blocking=False`` return False instead of waiting."""
        me = threading.get_ident()
        with self._cond:
            if self._writer != me and me not in self._readers:
                if not blocking and not self._readable():
                    return False
                self._cond.wait_for(self._readable)
            self._readers[me] = self._readers.get(me, 0) + 1
        return True

    def release_read(self) -> None:
        me = threading.get_ident()
        with self._cond:
            held = self._readers.get(me, 0)
            if not held:
                raise RuntimeError("release_read() by a thread that does not hold the read side")
            if held > 1:
                self._readers[me] = held - 1
            else:
                del self._readers[me]
                self._cond.notify_all()

    def acquire_write(self, blocking: bool = True) -> bool:
        """Take the write side; with ``blocking=False`` return False instead of waiting."""
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._writes += 1
                return True
            if me in self._readers:
                raise RuntimeError("a thread that holds the read side cannot take the write side")
            if not self._writable():
                if not blocking:
                    return False
                self._waiting += 1
                try:
                    self._cond.wait_for(self._writable)
                finally:
                    self._waiting -= 1
                    self._cond.notify_all()  # readers held back by this writer may go if it gave up
            self._writer, self._writes = me, 1
        return True

    def release_write(self) -> None:
        with self._cond:
            if self._writer != threading.get_ident():
                raise RuntimeError("release_write() by a thread that does not hold the write side")
            self._writes -= 1
            if not self._writes:
                self._writer = None
                self._cond.notify_all()

    def read(self) -> contextlib.AbstractContextManager[None]:
        """Hold the read side for the body of the ``with``."""
        return _holding(self.acquire_read, self.release_read)

    def write(self) -> contextlib.AbstractContextManager[None]:
        """Hold the write side for the body of the ``with``."""
        return _holding(self.acquire_write, self.release_write)

    def _readable(self) -> bool:
        return self._writer is None and not self._waiting

    def _writable(self) -> bool:
        return self._writer is None and not self._readers


@contextlib.contextmanager
def _holding(acquire: Callable[[], object], release: Callable[[], None]) -> Iterator[None]:
    acquire()
    try:
        yield
    finally:
        release()
