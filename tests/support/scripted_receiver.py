"""An OTLP/HTTP receiver that answers each request as a script says, for property tests
over the exporter: ``ok``, ``partial`` (half the items rejected), ``429`` and ``503``
(with ``Retry-After: 0``), ``500``, ``hang`` (never answers, never processes) and ``cut``
(closes the connection without an answer, as a collector that went away). Past the end
of the script every request gets ``ok``. Only items it accepted are tallied."""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.fault_receiver import Tally, _count, _partial_answer
from tests.support.servers import http_server

ANSWERS = ("ok", "partial", "429", "503", "500", "hang", "cut")
HANG_SECONDS = 5.0


@contextmanager
def scripted_receiver(script: list[str]) -> Iterator[tuple[str, Tally]]:
    """Serve on 127.0.0.1 (an ephemeral port); yield (endpoint, tally)."""
    tally = Tally()
    answers = list(script)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            with lock:
                answer = answers.pop(0) if answers else "ok"
                tally.requests += 1
            if answer == "hang":
                time.sleep(HANG_SECONDS)
                self.close_connection = True
                return
            if answer == "cut":
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(2)
                return
            status = {"429": 429, "503": 503, "500": 500}.get(answer, 200)
            reply = b""
            if status == 200:
                spans, logs, points = _count(self.path, body)
                rejected = (spans + logs + points) // 2 if answer == "partial" else 0
                reply = _partial_answer(self.path, rejected) if rejected else b""
                with lock:
                    tally.spans += spans - (rejected if spans else 0)
                    tally.logs += logs - (rejected if logs else 0)
                    tally.points += points - (rejected if points else 0)
                    tally.rejected += rejected
            self.send_response(status)
            if status in (429, 503):
                self.send_header("Retry-After", "0")
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler) as url:
        yield url, tally
