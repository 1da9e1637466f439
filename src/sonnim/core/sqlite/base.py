"""Django's SQLite backend, with one in-process queue for writers.

SQLite lets one writer in at a time. Django starts every transaction with BEGIN IMMEDIATE, and a writer
that finds the file locked waits in SQLite's busy handler, which sleeps and retries (1, 2, 5 ... 100 ms
naps): under concurrent requests a waiting writer sleeps on long after the lock is free, and the slowest
requests took seconds. Here the threads of one process queue on a lock first, and the next one starts the
moment the last one commits. Between processes (the server and a worker) SQLite's busy handler still
decides. An in-memory database (one connection) needs no queue."""

import threading

from django.db.backends.sqlite3 import base

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _writer_lock(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer_lock = False

    def _start_transaction_under_autocommit(self):
        if not self.is_in_memory_db():
            # no longer than SQLite itself would wait: after that, SQLite's own busy handling decides
            self._holds_writer_lock = _writer_lock(str(self.settings_dict["NAME"])).acquire(
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
            _writer_lock(str(self.settings_dict["NAME"])).release()

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
