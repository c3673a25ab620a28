"""Property tests on the public entry points (non-strict mode): nothing raises except the
documented ValueErrors, every JSON line parses, no record is lost."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import otelkit
from otelkit._core import drops
from otelkit.testing import Capture, capture

_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=50)
    | st.binary(max_size=20)
)
_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=15,
)
_field_names = st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True).filter(
    lambda name: name not in {"exc_info", "stack_info", "stacklevel", "extra"}
)
_lenient = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def lenient(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTELKIT_STRICT")


@pytest.mark.usefixtures("lenient")
@_lenient
@given(message=st.text(max_size=80), fields=st.dictionaries(_field_names, _values, max_size=4))
def test_every_log_call_and_event_writes_one_parsable_line(
    capsys: pytest.CaptureFixture[str], message: str, fields: dict[str, Any]
) -> None:
    otelkit.configure(log_format="json", console=False)
    capsys.readouterr()
    log = otelkit.get_logger("prop")
    with otelkit.span("prop"):
        log.info(message, **fields)
        otelkit.event("PROP_EVENT", **fields)
    lines = [json.loads(line) for line in capsys.readouterr().out.split("\n") if line]
    assert [line["level"] for line in lines] == ["INFO", "INFO"]
    assert all(len(line["trace_id"]) == 32 for line in lines)


@pytest.mark.usefixtures("lenient")
@_lenient
@given(
    value=_values,
    dimensions=st.dictionaries(_field_names, _values, max_size=3),
    kind=st.sampled_from(["count", "record", "gauge"]),
)
def test_metric_calls_never_raise_outside_strict_mode(
    value: Any, dimensions: dict[str, Any], kind: str
) -> None:
    """Each call is recorded, or counted as dropped: never raised, never silently lost."""
    name = f"Prop{kind.title()}"
    before = sum(drops.totals().values())
    with capture() as cap:
        getattr(otelkit, kind)(name, value, **dimensions)
        recorded = bool(cap.metrics.get(name))
    assert recorded or sum(drops.totals().values()) > before


_messages = st.dictionaries(
    st.sampled_from(
        [
            "MessageId",
            "Body",
            "body",
            "MessageAttributes",
            "messageAttributes",
            "Attributes",
            "Sns",
            "detail-type",
            "detail",
            "messageId",
        ]
    ),
    _values | st.just('{"Type":"Notification","TopicArn":"arn:x","MessageAttributes":"x"}'),
    max_size=5,
)


@_lenient
@given(messages=st.lists(_messages, max_size=4))
def test_messages_of_any_shape_each_get_one_span(
    otelkit_capture: Capture, messages: list[Any]
) -> None:
    otelkit_capture.clear()
    for message in messages:
        with otelkit.aws.process_message(message):
            pass
    assert len(otelkit_capture.spans) == len(messages)


@_lenient
@given(records=st.lists(_messages | _values, min_size=1, max_size=4))
def test_lambda_batches_of_any_shape_never_fail_the_handler(
    otelkit_capture: Capture, records: list[Any]
) -> None:
    @otelkit.aws.lambda_handler
    def handler(event: Any, context: Any) -> str:
        return "ok"

    assert handler({"Records": records}, None) == "ok"
