"""OTLP partial success: items a collector refuses in a 200 answer are counted as dropped
(reason ``rejected``, with the collector's message) and make ``flush()`` return False."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

import otelkit
from otelkit._core import drops as _drops
from tests.support.fault_receiver import PARTIAL_MESSAGE, fault_receiver
from tests.support.servers import http_server


def _rejected() -> dict[str, int]:
    return {signal: n for (signal, reason), n in _drops.snapshot().items() if reason == "rejected"}


def test_rejected_items_of_every_signal_are_counted_and_reported(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _rejected()
    with fault_receiver("partial") as (endpoint, tally):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        log = otelkit.get_logger("partial")
        for n in range(10):
            with otelkit.span("work", n=n):
                log.info("working", n=n)
        for name in ("First", "Second", "Third", "Fourth"):
            otelkit.count(name)
        assert otelkit.flush(5.0) is False, "rejected items were not delivered"
        otelkit.shutdown(5.0)
    rejected = {k: v - before.get(k, 0) for k, v in _rejected().items()}
    assert rejected["spans"] == 5
    assert rejected["logs"] == 5
    assert rejected["metrics"] >= 2  # half of the first request's points, at least
    assert tally.spans == 5
    assert tally.logs == 5
    assert tally.rejected == sum(rejected.values())
    err = capsys.readouterr().err
    assert f"5 spans (rejected: {PARTIAL_MESSAGE})" in err
    assert f"5 logs (rejected: {PARTIAL_MESSAGE})" in err


def test_a_flush_with_nothing_rejected_is_true() -> None:
    """The same receiver with nothing to reject (one span: half of it rounds to 0)."""
    with fault_receiver("partial") as (endpoint, tally):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        with otelkit.span("alone"):
            pass
        assert otelkit.flush(5.0) is True
    assert tally.spans == 1


def test_a_json_answer_and_a_hostile_message_are_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A collector answering JSON; its message's control characters never reach stderr
    and a long message is cut."""
    message = "bad\x1b[31m span\n" + "x" * 1000

    class Collector(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps(
                {"partialSuccess": {"rejectedSpans": "2", "errorMessage": message}}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Collector) as endpoint:
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        for _ in range(3):
            with otelkit.span("work"):
                pass
        assert otelkit.flush(5.0) is False
        otelkit.shutdown(2.0)
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "(rejected: " in line)
    assert "2 spans (rejected: bad [31m span x" in line
    assert "\x1b" not in line
    assert len(line) < 400
