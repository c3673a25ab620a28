"""Two small HTTP services for the propagation test, each run as its own process.

``echo``: answers every request (including proxy-style absolute URLs) with the headers
it received, as JSON. ``caller``: configured with otelkit; ``GET /call?url=...&proxy=...``
binds IDs, calls ``url`` with httpx (through ``proxy`` when given) and answers with its
own trace ID and what the echo service saw.

Usage: ``python -m tests.support.http_services echo|caller``; prints ``READY <port>`` once
listening on 127.0.0.1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class Echo(BaseHTTPRequestHandler):
    """Reflects the request headers back."""

    def do_GET(self) -> None:
        self._answer({"path": self.path, "headers": dict(self.headers.items())})

    def _answer(self, body: Mapping[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""


class Caller(Echo):
    """Binds IDs and calls the URL it is given, as an application would."""

    def do_GET(self) -> None:
        import httpx

        import otelkit

        query = parse_qs(urlsplit(self.path).query)
        proxy = query.get("proxy", [None])[0]
        with (
            otelkit.span("handle request", kind="server") as span,
            otelkit.bind(correlation_id="corr-http-1", user_id="u-private"),
            httpx.Client(proxy=proxy, trust_env=False) as client,
        ):
            seen = client.get(query["url"][0]).json()
            trace_id = f"{span.get_span_context().trace_id:032x}"
        self._answer({"trace_id": trace_id, "seen": seen["headers"]})


def main(role: str) -> None:
    if role == "caller":
        import otelkit

        otelkit.configure(
            service_name="service-a", console=False, log_level="WARNING", instrument=("httpx",)
        )
    server = ThreadingHTTPServer(("127.0.0.1", 0), Caller if role == "caller" else Echo)
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
