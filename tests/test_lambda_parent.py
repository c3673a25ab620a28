"""Which parent an invocation continues: the carriers' priority, seen through
``@lambda_handler`` (spans and lines as a user reads them)."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import otelkit
from otelkit.aws._parent import CARRIERS
from otelkit.testing import Capture
from tests.support.lambda_context import TRACEPARENT, FakeContext
from tests.support.lambda_event_shapes import EVENTS

XRAY_ROOT = "5759e988bd862e3fe1be46a994272793"
XRAY_PARENT = "53995c3f42cd8ad8"
XRAY_ENV = f"Root=1-5759e988-bd862e3fe1be46a994272793;Parent={XRAY_PARENT};Sampled=1"
OTHER_TRACE = "0af7651916cd43dd8448eb211c80319c"
OTHER_PARENT = f"00-{OTHER_TRACE}-b7ad6b7169203331-01"

log = otelkit.get_logger("parent-test")


pytestmark = pytest.mark.usefixtures("warm_lambda")


@otelkit.aws.lambda_handler
def handler(event: Any, context: Any) -> Any:
    log.info("Handling")
    return {"ok": True}


def _span(cap: Capture) -> Any:
    return cap.span("video-worker")


def _authorizer(headers: dict[str, str]) -> dict[str, Any]:
    request = copy.deepcopy(EVENTS["apiGatewayAuthorizerRequest"])
    request["headers"].update(headers)
    return dict(request)


def test_the_lambda_segment_is_the_parent_last_and_keeps_the_ids_found_before(
    otelkit_capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An authorizer's request headers carry an ID but no trace context: with active
    tracing the X-Ray segment becomes the parent, and the ID stays on span and lines."""
    monkeypatch.setenv("_X_AMZN_TRACE_ID", XRAY_ENV)
    result = handler(_authorizer({"X-Correlation-ID": "corr-auth-1"}), FakeContext())

    span = _span(otelkit_capture)
    assert format(span.context.trace_id, "032x") == XRAY_ROOT
    assert format(span.parent.span_id, "016x") == XRAY_PARENT
    assert span.attributes["correlation_id"] == "corr-auth-1"
    (line,) = [line for line in otelkit_capture.logs if line["logger"] == "parent-test"]
    assert line["correlation_id"] == "corr-auth-1"
    assert result == {"ok": True}, "an authorizer's answer gets no header added"


def test_a_client_context_is_believed_before_the_payload_and_the_segment(
    otelkit_capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", XRAY_ENV)
    context = FakeContext()
    context.client_context = SimpleNamespace(custom={"traceparent": TRACEPARENT})  # type: ignore[attr-defined]
    handler({"headers": {"traceparent": OTHER_PARENT}}, context)
    span = _span(otelkit_capture)
    assert format(span.context.trace_id, "032x") == TRACEPARENT.split("-")[1]

    otelkit_capture.clear()
    handler({"headers": {"traceparent": OTHER_PARENT}}, FakeContext())
    assert format(_span(otelkit_capture).context.trace_id, "032x") == OTHER_TRACE

    otelkit_capture.clear()
    handler({"headers": {"accept": "*/*"}}, FakeContext())  # no trace header: no carrier
    assert format(_span(otelkit_capture).context.trace_id, "032x") == XRAY_ROOT


def test_the_carriers_are_listed_in_the_order_they_are_believed() -> None:
    """The segment comes last and only fills a missing parent; each carrier says when it
    is trusted."""
    roles = [carrier.role for carrier in CARRIERS]
    assert roles[-1] == "parent"
    assert set(roles[:-1]) == {"context"}
    assert all(carrier.trust for carrier in CARRIERS)
    names = [carrier.name for carrier in CARRIERS]
    assert names.index(next(n for n in names if "client context" in n)) < names.index(
        next(n for n in names if "payload" in n)
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200))
def test_any_correlation_header_is_bound_whole_or_not_at_all(
    otelkit_capture: Capture, value: str
) -> None:
    """Whatever an authorizer's caller sends as ``X-Correlation-ID``, the invocation runs,
    and the span carries that value stripped (when it is safe) or no correlation ID."""
    otelkit_capture.clear()
    result = handler(_authorizer({"X-Correlation-ID": value}), FakeContext())
    assert result == {"ok": True}
    bound = _span(otelkit_capture).attributes.get("correlation_id")
    assert bound is None or bound == value.strip()
