"""Loopback stand-ins for other services in tests (an OpenAI-compatible server, a webhook
receiver): a handler that records what arrived and answers JSON, served on a free port."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar


class RecordingHandler(BaseHTTPRequestHandler):
    """Records each POST (path, headers, JSON body) in ``requests`` and answers
    :meth:`reply`'s JSON. Subclasses say what to answer."""

    requests: ClassVar[list[dict[str, Any]]]

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        headers = {k.lower(): v for k, v in self.headers.items()}
        type(self).requests.append({"path": self.path, "headers": headers, "json": body})
        payload = json.dumps(self.reply(body)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def reply(self, body: Any) -> Any:
        raise NotImplementedError

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def recording(handler: type[RecordingHandler], path: str = "/v1") -> Iterator[str]:
    """Serve ``handler`` on a free loopback port (its record emptied first); yields the URL."""
    handler.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
