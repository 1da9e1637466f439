"""A ThreadingHTTPServer that records requests and answers from a queue of scripted replies."""

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sonnim.testing.http import Recorded


@dataclass
class Reply:
    status: int = 200
    body: dict | list | str | None = None  # JSON unless a str (sent as is)
    delay_seconds: float = 0.0  # answer late: a timeout on the caller's side


@dataclass
class FakeServer:
    """Answers each request with the next scripted Reply (then `default()`), and records it."""

    requests: list[Recorded] = field(default_factory=list)
    script: deque = field(default_factory=deque)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(self.command, self.path, dict(self.headers), body)
                with outer._lock:
                    outer.requests.append(recorded)
                    reply = outer.script.popleft() if outer.script else outer.default(recorded)
                if reply.delay_seconds:
                    time.sleep(reply.delay_seconds)
                payload = (
                    reply.body if isinstance(reply.body, str) else json.dumps(reply.body, ensure_ascii=False)
                )
                data = (payload or "").encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the caller gave up (timeout tests)
                    pass

            do_POST = do_GET = do_PUT = do_DELETE = _handle

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def default(self, request: Recorded) -> Reply:
        return Reply(200, {"ok": True})

    def then(self, *replies: Reply) -> "FakeServer":
        """Script the next answers, in order; afterwards `default()` answers again."""
        self.script.extend(replies)
        return self

    def json_bodies(self) -> list:
        return [r.json() for r in self.requests]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
