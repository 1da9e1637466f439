"""SQLite's writer queue (core/sqlite): threads of one process and separate processes take turns on one
database file, a waiter that times out leaves the queue usable, and concurrent writers lose nothing."""

import multiprocessing
import sqlite3
import threading

from sonnim.core.sqlite.base import _queue, _WriterQueue

_fork = multiprocessing.get_context("fork")


def _hold(path: str, held, release) -> None:
    queue = _WriterQueue(path)
    assert queue.acquire(timeout=5)
    held.set()
    release.wait(10)
    queue.release()


def test_a_waiter_that_times_out_leaves_the_queue_usable(tmp_path):
    path = str(tmp_path / "db.sqlite3")
    held, release = _fork.Event(), _fork.Event()
    other = _fork.Process(target=_hold, args=(path, held, release))
    other.start()
    try:
        assert held.wait(10)
        queue = _WriterQueue(path)
        assert queue.acquire(timeout=0.2) is False  # the other process holds the file lock
        release.set()
        assert queue.acquire(timeout=10) is True  # the late lock was given back, threads lock included
        queue.release()
    finally:
        release.set()
        other.join(10)
    assert other.exitcode == 0


def _write(path: str, start: int, count: int) -> None:
    queue = _queue(path)  # the backend's: one per process and file, shared by its threads
    connection = sqlite3.connect(path, timeout=0.05, isolation_level=None)  # SQLite alone would fail
    for n in range(start, start + count):
        assert queue.acquire(timeout=10)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO t (n) VALUES (?)", (n,))
            connection.execute("COMMIT")
        finally:
            queue.release()


def test_processes_and_threads_take_turns_without_losing_a_write(tmp_path):
    path = str(tmp_path / "db.sqlite3")
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (n INTEGER)")
    processes = [_fork.Process(target=_write, args=(path, p * 1000, 150)) for p in range(2)]
    for process in processes:
        process.start()
    threads = [threading.Thread(target=_write, args=(path, 10_000 + t * 1000, 150)) for t in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0, 0]
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT COUNT(*), COUNT(DISTINCT n) FROM t").fetchone() == (600, 600)
