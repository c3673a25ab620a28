"""A relay in front of the emulator's Runtime API that adds Lambda's active tracing
header to every invocation the runtime fetches.

The emulator does not send ``Lambda-Runtime-Trace-Id`` (its tracer is a no-op); the
Lambda service does when active tracing is on, and awslambdaric turns it into
``_X_AMZN_TRACE_ID``. The relay runs in the test process (awslambdaric's native client
holds the GIL while it waits, so it cannot run in the function's process); the runtime
is pointed at it by ``relayed_bootstrap``.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_HOP_HEADERS = {"connection", "transfer-encoding", "keep-alive", "content-length"}
_NEXT = "/2018-06-01/runtime/invocation/next"


@contextmanager
def runtime_api_relay(upstream: str, trace_header: str) -> Iterator[str]:
    """Relay to ``upstream`` (host:port) on loopback; yield the relay's host:port."""

    class Relay(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            connection = http.client.HTTPConnection(upstream, timeout=None)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
            connection.request(self.command, self.path, body=body or None, headers=headers)
            reply = connection.getresponse()
            data = reply.read()
            connection.close()
            self.send_response(reply.status)
            for name, value in reply.getheaders():
                if name.lower() not in _HOP_HEADERS:
                    self.send_header(name, value)
            if self.path == _NEXT:
                self.send_header("Lambda-Runtime-Trace-Id", trace_header)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _relay  # noqa: N815 - the stdlib server's method names

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
