"""Spans leaving over OTLP are redacted by the export itself, in the exporting thread:
whatever was set on a span, at any moment of its life, stays off the wire, whether the
background worker or a flush sends it, and the thread that ran the traced code does not
pay for redacting."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Link, Status, StatusCode

import otelkit
from otelkit._core import drops as _drops
from otelkit._sdk import outbox as outbox_module
from otelkit._sdk.redaction import redact_batch
from tests.support.otlp_receiver import Received, attributes, otlp_receiver
from tests.support.polling import eventually
from tests.support.secrets_corpus import CORPUS, Secret, leaks


def _everything_on_a_span(secret: Secret) -> None:
    """Every way a secret gets onto a span after it started, plus a link and the odd
    attribute types OTLP carries (sequences, maps, bytes)."""
    tracer = trace.get_tracer("some.instrumentation")
    with otelkit.span("export") as span:
        span.set_attribute(secret.key, secret.value)
        span.set_attribute("neutral", secret.text)
        span.set_attribute("texts", [secret.text, "plain"])
        span.set_attribute("nested", {"outer": {secret.key: secret.value, "n": secret.text}})
        span.set_attribute("blob", secret.text.encode())
        span.add_event("event", {secret.key: secret.value, "neutral": secret.text})
        span.add_event(secret.text)
        span.set_status(Status(StatusCode.ERROR, secret.text))
        span.record_exception(RuntimeError(secret.text))
        span.update_name(f"export {secret.text}")
        linked = tracer.start_span(
            "linked",
            links=[Link(span.get_span_context(), {secret.key: secret.value, "n": secret.text})],
        )
        linked.end()


def _wire(received: Received) -> str:
    return json.dumps(received.requests.get("/v1/traces", []))


def _blobs(received: Received) -> list[dict[str, Any]]:
    """The ``blob`` attribute values as OTLP JSON (``{"stringValue": ...}``...)."""
    return [
        item["value"]
        for span in received.spans()
        for item in span.get("attributes", [])
        if item["key"] == "blob"
    ]


def test_the_background_export_sends_no_secret() -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        for secret in CORPUS:
            _everything_on_a_span(secret)
        # A full batch wakes the worker: these spans leave without any flush.
        for _ in range(outbox_module.BATCH_SIZE):
            with otelkit.span("filler"):
                pass
        eventually(lambda: len(received.spans()) >= outbox_module.BATCH_SIZE, timeout=10)
        wire = _wire(received)
    assert "[REDACTED]" in wire
    assert leaks({"OTLP": wire}) == []
    # Bytes travel base64-encoded, out of the scanner's sight: bytes holding a secret
    # leave as the redacted text instead.
    blobs = _blobs(received)
    assert len(blobs) == len(CORPUS)
    assert all("[REDACTED]" in blob.get("stringValue", "") for blob in blobs), blobs


def test_a_flush_sends_no_secret() -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        for secret in CORPUS:
            _everything_on_a_span(secret)
        assert otelkit.flush(timeout=10)
        wire = _wire(received)
    assert len(received.spans()) == 2 * len(CORPUS)
    assert leaks({"OTLP": wire}) == []


def test_redaction_off_sends_spans_as_they_are() -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False, scrub=False)
        with otelkit.span("raw") as span:
            span.set_attribute("note", "password=kept-as-asked")
        assert otelkit.flush(timeout=10)
    (sent,) = received.spans()
    assert attributes(sent["attributes"])["note"] == "password=kept-as-asked"


_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=st.sampled_from(CORPUS), before=_TEXT, after=_TEXT, key=st.text(min_size=1))
def test_a_secret_anywhere_in_any_attribute_is_redacted(
    secret: Secret, before: str, after: str, key: str
) -> None:
    otelkit.configure(log_stdout=False, console=False)
    provider = TracerProvider()
    span = provider.get_tracer("hostile").start_span("hostile")
    span.set_attribute(key, f"{before} {secret.text} {after}")
    span.set_attribute(secret.key, secret.value)
    span.end()
    (redacted,) = redact_batch([cast("ReadableSpan", span)])
    assert leaks({"span": json.dumps(dict(redacted.attributes or {}))}) == []


class _Unreadable(ReadableSpan):
    """A span whose events cannot be read: redaction cannot check it."""

    @property
    def events(self) -> Any:
        raise RuntimeError("unreadable events")


def test_a_span_that_cannot_be_checked_is_left_out_and_counted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OTELKIT_STRICT")  # the safety net, as in production
    otelkit.configure(log_stdout=False, console=False)
    provider = TracerProvider()
    fine = cast("ReadableSpan", provider.get_tracer("t").start_span("fine"))
    fine.end()  # type: ignore[attr-defined]
    unreadable = _Unreadable("unreadable", events=(object(),))  # type: ignore[arg-type]
    before = _drops.snapshot().get(("spans", "redaction failed"), 0)
    assert redact_batch([unreadable, fine]) == [fine]
    assert _drops.snapshot().get(("spans", "redaction failed"), 0) == before + 1
    assert "span redaction" in capsys.readouterr().err


def _calling_thread_ratio(ours: Callable[[], object], bare: Callable[[], object]) -> float:
    """Median over interleaved rounds of the calling thread's CPU time, ours / bare."""
    ratios = []
    for round_index in range(9):
        timings = {}
        order = (ours, bare) if round_index % 2 else (bare, ours)
        for func in order:
            started = time.thread_time()
            for _ in range(150):
                func()
            timings[func] = time.thread_time() - started
        ratios.append(timings[ours] / max(timings[bare], 1e-9))
    return statistics.median(ratios)


def test_the_thread_that_ends_a_span_does_not_pay_for_redacting_it() -> None:
    # A long text holding a secret, new on every call: redacting it costs several times
    # what the span costs, so the ratio would show it if it ran in the calling thread.
    filler = "token bearer key auth card 4111 " * 40
    counter = iter(range(10**9))

    def text() -> str:
        return f"{filler} password=pw-{next(counter)} {filler}"

    with otlp_receiver() as (endpoint, _received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        bare_provider = TracerProvider(resource=Resource.create({"service.name": "bare"}))
        bare_provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(f"{endpoint}/v1/traces"))
        )
        tracer = bare_provider.get_tracer("bare")

        def ours() -> None:
            with otelkit.span("work") as span:
                span.set_attribute("detail", text())

        def bare() -> None:
            span = tracer.start_span("work")
            token = context.attach(trace.set_span_in_context(span))
            span.set_attribute("detail", text())
            context.detach(token)
            span.end()

        try:
            ratio = _calling_thread_ratio(ours, bare)
        finally:
            bare_provider.shutdown()
    assert ratio < 1.5, f"calling thread paid {ratio:.2f}x the bare SDK's span"
