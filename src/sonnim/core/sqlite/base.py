"""Django's SQLite backend, with one queue for writers: in-process and across processes.

SQLite lets one writer in at a time. Django starts every transaction with BEGIN IMMEDIATE, and a writer
that finds the file locked waits in SQLite's busy handler, which sleeps and retries (1, 2, 5 ... 100 ms
naps): under concurrent requests a waiting writer sleeps on long after the lock is free, and the slowest
requests took seconds. Here a writer queues first: the threads of one process on a lock, then the
processes (the server's workers, the task worker, the CLI) on an exclusive flock() of `<db>.writer`,
which the kernel hands to the next waiter the moment the last one commits. A waiter blocks without the
GIL, so the process's other threads go on parsing requests meanwhile. The queue waits no longer than
SQLite itself would; after that SQLite's own busy handling decides. An in-memory database (one
connection) needs no queue."""

import fcntl
import os
import queue
import threading
import time

from django.db.backends.sqlite3 import base

_guard = threading.Lock()


class _TimedOut(Exception):
    pass


_queues: dict[str, "_WriterQueue"] = {}


class _Wait:
    """One contended acquire, handed to the queue's helper thread."""

    def __init__(self) -> None:
        self.taken = threading.Event()
        self.guard = threading.Lock()
        self.abandoned = False


class _WriterQueue:
    """One database file's writers: a thread lock, then a file lock shared with the other processes."""

    def __init__(self, path: str) -> None:
        self._threads = threading.Lock()
        self._path = f"{path}.writer"
        self._fd: int | None = None
        self._pid = 0
        self._waits: queue.SimpleQueue[_Wait] = queue.SimpleQueue()

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return False
        try:
            self._lock_file(deadline)
        except _TimedOut:
            return False  # the thread lock goes back with the late file lock (_helper)
        except OSError:  # a read-only directory, say: SQLite's busy handling still protects the file
            self._fd = None
        return True

    def _lock_file(self, deadline: float) -> None:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own description
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
            self._waits = queue.SimpleQueue()
            threading.Thread(target=self._helper, name="sonnim-sqlite-writer", daemon=True).start()
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        # Contended: the helper thread blocks in the kernel (no GIL held), so this wait can time out.
        wait = _Wait()
        self._waits.put(wait)
        if wait.taken.wait(max(0.0, deadline - time.monotonic())):
            return
        with wait.guard:
            if wait.taken.is_set():
                return
            # The helper gets the file lock eventually and gives it back with the thread lock: until then
            # this process's other writers keep queueing, or the next one would be handed a lock (the
            # same open file's) that is about to be dropped under it.
            wait.abandoned = True
        raise _TimedOut

    def _helper(self) -> None:
        waits, fd = self._waits, self._fd
        while True:
            wait = waits.get()
            fcntl.flock(fd, fcntl.LOCK_EX)
            with wait.guard:
                if not wait.abandoned:
                    wait.taken.set()
                    continue
            fcntl.flock(fd, fcntl.LOCK_UN)
            self._threads.release()

    def release(self) -> None:
        try:
            if self._fd is not None and self._pid == os.getpid():
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


def _queue(name: str) -> _WriterQueue:
    with _guard:
        queue = _queues.get(name)
        if queue is None:
            queue = _queues[name] = _WriterQueue(name)
        return queue


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer_lock = False

    def _start_transaction_under_autocommit(self):
        if not self.is_in_memory_db():
            self._holds_writer_lock = _queue(str(self.settings_dict["NAME"])).acquire(
                timeout=float(self.settings_dict["OPTIONS"].get("timeout", 5))
            )
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _release_writer_lock(self) -> None:
        if self._holds_writer_lock:
            self._holds_writer_lock = False
            _queue(str(self.settings_dict["NAME"])).release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer_lock()
