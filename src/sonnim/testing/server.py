"""Run the real `sonnim serve` (uvicorn, HTTP + websockets) in a subprocess on the test database."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import connection


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The database the test is using (pytest-django's test database), as a DATABASE_URL."""
    d = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(d['NAME']).resolve()}"
    host = d.get("HOST") or "127.0.0.1"
    port = d.get("PORT") or 5432
    user = d.get("USER") or "postgres"
    password = f":{d['PASSWORD']}" if d.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{d['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "sonnim.settings.dev",
        "SONNIM_REDIS_PREFIX": settings.REDIS_PREFIX,
        "SONNIM_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONWARNINGS": "ignore",
        # the tests flush tables between tests while this server runs: no periodic sweeps racing them
        "SONNIM_WORKER_SWEEPS": "0",
    }
    env.update(extra)
    return env


class ServerProcess:
    def __init__(self, *, with_worker: bool = False, env: dict | None = None, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            sys.executable,
            "-m",
            "sonnim.cli",
            "serve",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        if with_worker:
            args.append("--with-worker")
        self._start(args, subprocess_env(**(env or {})))
        self._wait_ready()

    def _start(self, args: list[str], env: dict[str, str]) -> None:
        # Output goes to a file, never a pipe: nobody reads a pipe while a test runs, and once its buffer is
        # full every thread of the server that logs (the delivery worker among them) blocks for good.
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def pids(self) -> list[int]:
        """This server's process and the HTTP workers it forked (serve --workers)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.proc.pid:  # field 4: ppid
                    children.append(int(stat.parent.name))
            except (OSError, IndexError, ValueError):  # gone meanwhile
                pass
        return [self.proc.pid, *children]

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def _wait_ready(self, timeout: float = 90) -> None:  # a safety valve: startup loads the Kiwi model
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):  # noqa: S310 - localhost
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start in time")

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.output()

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
