"""Text UTF-8 cannot carry (lone surrogates) never costs the batch around it.

Through the production path: the real OTLP/HTTP exporters to a real receiver on loopback.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

import otelkit
from otelkit._values import encodable as _encodable
from tests.support.otlp_grpc_receiver import otlp_grpc_receiver
from tests.support.otlp_receiver import attributes, otlp_receiver

BAD = "x\ud800y"
REPAIRED = "x\ufffdy"


def _bad_name() -> None:
    with otelkit.span(BAD):
        pass


def _bad_attribute() -> None:
    with otelkit.span("bad") as span:
        span.set_attribute("body", BAD)
        span.set_attribute(BAD, "value")
        span.set_attribute("list", [BAD, "ok"])


def _bad_event() -> None:
    with otelkit.span("bad") as span:
        span.add_event(BAD, {"detail": BAD})


def _bad_status() -> None:
    from opentelemetry.trace import Status, StatusCode

    with otelkit.span("bad") as span:
        span.set_status(Status(StatusCode.ERROR, BAD))


def _bad_exception() -> None:
    with pytest.raises(ValueError, match="invalid request"), otelkit.span("bad"):
        raise ValueError(f"invalid request body {BAD!s}")


BAD_SPANS: dict[str, Callable[[], None]] = {
    "name": _bad_name,
    "attribute": _bad_attribute,
    "event": _bad_event,
    "status": _bad_status,
    "exception": _bad_exception,
}


@pytest.mark.parametrize("where", sorted(BAD_SPANS))
def test_one_bad_span_loses_no_other(where: str) -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        for index in range(100):
            if index == 50:
                BAD_SPANS[where]()
            with otelkit.span(f"good-{index}"):
                pass
        assert otelkit.flush(5.0)
        spans = received.spans()
    assert sorted(s["name"] for s in spans if s["name"].startswith("good-")) == sorted(
        f"good-{i}" for i in range(100)
    )
    assert len(spans) == 101
    assert REPAIRED in json.dumps(spans, ensure_ascii=False)


@pytest.mark.parametrize("where", sorted(BAD_SPANS))
def test_one_bad_span_loses_no_other_over_grpc(where: str) -> None:
    """The SDK's gRPC encoder, not otelkit's writer: each span is repaired as it ends."""
    with otlp_grpc_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, protocol="grpc", log_stdout=False, console=False)
        for index in range(100):
            if index == 50:
                BAD_SPANS[where]()
            with otelkit.span(f"good-{index}"):
                pass
        assert otelkit.flush(5.0)
        spans = [
            span
            for request in received.get("traces", [])
            for resource in request["resourceSpans"]
            for scope in resource["scopeSpans"]
            for span in scope["spans"]
        ]
    assert len(spans) == 101
    assert REPAIRED in json.dumps(spans, ensure_ascii=False)


def test_one_bad_log_record_loses_no_other(capsys: pytest.CaptureFixture[str]) -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_format="json", console=False)
        log = otelkit.get_logger("app")
        for index in range(100):
            if index == 50:
                log.warning(f"bad {BAD}", field=BAD, nested={"k": [BAD]})
            log.info("good %d", index)
        assert otelkit.flush(5.0)
        records = received.logs()
    bodies = [r["body"]["stringValue"] for r in records]
    assert [b for b in bodies if b.startswith("good")] == [f"good {i}" for i in range(100)]
    (bad,) = [r for r in records if r["body"]["stringValue"].startswith("bad")]
    assert bad["body"]["stringValue"] == f"bad {REPAIRED}"
    assert attributes(bad["attributes"])["field"] == REPAIRED
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 101  # the bad line written too, once


def test_bad_metric_dimension_loses_no_other_point() -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        otelkit.count("Jobs", route=BAD)
        otelkit.count("Jobs", route="/ok")
        otelkit.count("Other", 1, **{BAD: "v"})
        assert otelkit.flush(5.0)
        metrics = {m["name"]: m for m in received.metrics()}
    routes = {attributes(p["attributes"])["route"] for p in metrics["Jobs"]["sum"]["dataPoints"]}
    assert routes == {REPAIRED, "/ok"}
    (point,) = metrics["Other"]["sum"]["dataPoints"]
    assert attributes(point["attributes"]) == {REPAIRED: "v"}


@given(st.text())
def test_repaired_text_always_encodes_and_keeps_what_could(value: str) -> None:
    repaired = _encodable.text(value)
    repaired.encode("utf-8")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        assert "\ufffd" in repaired
    else:
        assert repaired is value
