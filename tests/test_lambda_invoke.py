"""One trace across ``lambda.invoke``: the caller's trace and public IDs reach the callee's
``lambda_handler`` through what Lambda actually delivers.

boto3 calls a Lambda Invoke API served on loopback, which does what the service does
with the request: for a synchronous call it hands the function the decoded client
context (``context.client_context.custom``); for an ``Event`` call it drops the client
context and passes only the payload.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from types import SimpleNamespace
from typing import Any

import pytest

import otelkit
from otelkit.aws import _lambda_lifecycle
from otelkit.aws._inject import MAX_CLIENT_CONTEXT_BYTES, client_context_with
from otelkit.testing import Capture, capture
from tests.support.lambda_context import FakeContext
from tests.support.servers import http_server, moto_client

seen: list[dict[str, Any]] = []


@otelkit.aws.lambda_handler
def notification_service(event: Any, context: Any) -> dict[str, Any]:
    otelkit.get_logger("notify").info("Sending notification")
    seen.append({"ids": otelkit.ids(), "event": event})
    return {"sent": True}


@contextmanager
def lambda_api() -> Iterator[str]:
    """The Invoke API on 127.0.0.1, running ``notification_service`` as Lambda would."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            kind = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
            encoded = self.headers.get("X-Amz-Client-Context")
            context = FakeContext(function_name="notification-service")
            if encoded and kind != "Event":  # Lambda passes it to synchronous calls only
                custom = json.loads(base64.b64decode(encoded)).get("custom")
                context.client_context = SimpleNamespace(custom=custom)  # type: ignore[attr-defined]
            result = notification_service(json.loads(body or b"{}"), context)
            payload = b"" if kind == "Event" else json.dumps(result).encode()
            self.send_response(202 if kind == "Event" else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler) as url:
        yield url


@pytest.fixture
def cap(monkeypatch: pytest.MonkeyPatch) -> Iterator[Capture]:
    monkeypatch.setattr(_lambda_lifecycle, "_cold_start", False)
    seen.clear()
    otelkit.configure(service_name="processor", console=False, instrument=("botocore",))
    with capture(service_name="processor") as captured:
        yield captured


@pytest.mark.parametrize(
    ("invocation_type", "client_context"),
    [
        ("RequestResponse", None),
        ("RequestResponse", {"custom": {"tenant": "t-1"}, "env": {"locale": "en"}}),
        ("Event", None),
    ],
)
def test_invoke_carries_trace_and_public_ids_to_the_callee(
    cap: Capture, invocation_type: str, client_context: dict[str, Any] | None
) -> None:
    extra = {}
    if client_context is not None:
        extra["ClientContext"] = base64.b64encode(json.dumps(client_context).encode()).decode()
    with lambda_api() as url:
        client = moto_client("lambda", url)
        with (
            otelkit.bind(correlation_id="corr-001", user_id="u-private"),
            otelkit.span("process message"),
        ):
            client.invoke(
                FunctionName="notification-service",
                InvocationType=invocation_type,
                Payload=json.dumps({"message_id": "m-1"}),
                **extra,
            )

    invoke_span = next(s for s in cap.spans if s.kind.name == "CLIENT")
    callee = cap.span("notification-service")
    assert callee.context.trace_id == invoke_span.context.trace_id, "one trace"
    assert callee.parent.span_id == invoke_span.context.span_id
    assert seen[0]["ids"] == {"correlation_id": "corr-001"}, "public IDs only"
    line = next(line for line in cap.logs if line["message"] == "Sending notification")
    assert line["correlation_id"] == "corr-001"
    assert seen[0]["event"]["message_id"] == "m-1"
    if client_context is not None:  # the caller's own client context is kept
        assert client_context_with(extra["ClientContext"], {}) is not None


def test_client_context_keeps_the_callers_entries_and_its_limit() -> None:
    original = base64.b64encode(
        json.dumps({"custom": {"tenant": "t-1"}, "client": {"app": "x"}}).encode()
    ).decode()
    encoded = client_context_with(original, {"traceparent": "tp"})
    assert encoded is not None
    merged = json.loads(base64.b64decode(encoded))
    assert merged == {"custom": {"tenant": "t-1", "traceparent": "tp"}, "client": {"app": "x"}}
    big = base64.b64encode(json.dumps({"custom": {"k": "v" * 2600}}).encode()).decode()
    assert client_context_with(big, {"traceparent": "t" * 55}) is None
    assert (
        len(client_context_with(None, {"traceparent": "t" * 55}) or "") < MAX_CLIENT_CONTEXT_BYTES
    )
    assert client_context_with("not base64!", {"traceparent": "tp"}) is None


def test_a_too_large_client_context_falls_back_to_the_payload(cap: Capture) -> None:
    big = base64.b64encode(json.dumps({"custom": {"k": "v" * 2600}}).encode()).decode()
    with lambda_api() as url:
        client = moto_client("lambda", url)
        with otelkit.span("process message"):
            client.invoke(
                FunctionName="notification-service",
                ClientContext=big,
                Payload=json.dumps({"message_id": "m-2"}),
            )
    invoke_span = next(s for s in cap.spans if s.kind.name == "CLIENT")
    assert cap.span("notification-service").parent.span_id == invoke_span.context.span_id


def test_a_direct_invocation_without_context_starts_a_trace(cap: Capture) -> None:
    notification_service({"headers": {"x": "y"}}, FakeContext())
    assert cap.span("video-worker").parent is None


def test_a_synchronous_call_needs_no_json_object_payload(cap: Capture) -> None:
    """Only the client context can carry the context here: the payload is a JSON list."""
    with lambda_api() as url:
        client = moto_client("lambda", url)
        with otelkit.bind(correlation_id="corr-list"), otelkit.span("process message"):
            client.invoke(FunctionName="notification-service", Payload=json.dumps([1, 2]))
    invoke_span = next(s for s in cap.spans if s.kind.name == "CLIENT")
    assert cap.span("notification-service").parent.span_id == invoke_span.context.span_id
    assert seen[0] == {"ids": {"correlation_id": "corr-list"}, "event": [1, 2]}
