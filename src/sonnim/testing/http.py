"""A local HTTP server that records what it receives and fails on demand: the stand-in for a shop's
webhook endpoint or a platform's API (Kakao, Naver, SMS providers build on it in fakes/)."""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Behaviour:
    fail_first: int = 0  # answer the first N requests with fail_status
    fail_status: int = 503
    status: int = 200
    body: dict = field(default_factory=lambda: {"ok": True})
    delay_seconds: float = 0  # answer slowly: lets a test hold a request in flight


class RecordingServer:
    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer._lock:
                    outer.requests.append(Recorded(self.command, self.path, dict(self.headers), body))
                    n = len(outer.requests)
                b = outer.behaviour
                if b.delay_seconds:
                    time.sleep(b.delay_seconds)
                status = b.fail_status if n <= b.fail_first else b.status
                payload = json.dumps(b.body if status < 400 else {"error": "failing on purpose"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_GET = do_PUT = _handle

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "RecordingServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
