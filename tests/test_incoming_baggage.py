"""Incoming ``baggage`` is read for its IDs only, and reads exactly what the SDK's W3C
propagator would give for them: the same syntax checks, limits and percent-decoding,
checked on hostile headers through ``process_message`` and an HTTP server."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry import baggage
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context

import otelkit
from otelkit._correlation.incoming_baggage import MAX_INCOMING_IDS
from otelkit._correlation.propagation import MAX_BAGGAGE_CHARS
from otelkit._values.keys import (
    ID_KEY_PATTERN,
    MAX_ID_VALUE_LENGTH,
    PRIVATE_ID_KEYS,
    WELL_KNOWN_ID_KEYS,
)
from otelkit.testing import capture

_KEYS = st.sampled_from(
    [*WELL_KNOWN_ID_KEYS, "job%5Fid", "job_id+", "other", "Job_ID", "job_id\t", "x y"]
)
_VALUE_TEXT = st.lists(
    st.sampled_from([*'abc-1_%2B5F+;=, \t"\\é\x00', "job", "%41", "%"]), max_size=8
).map("".join)
_MEMBER = st.builds(
    lambda key, before, after, value, props: f"{key}{before}={after}{value}{props}",
    _KEYS,
    st.sampled_from(["", " ", "\t"]),
    st.sampled_from(["", " "]),
    _VALUE_TEXT,
    st.sampled_from(["", ";p", ";p=1", "; p = 2 ", ";", ";=x"]),
)
HEADERS = st.one_of(
    st.lists(_MEMBER, max_size=8).map(",".join),
    st.lists(_MEMBER, max_size=8).map(" , ".join),
    st.text(max_size=80),
)


def _sdk_ids(header: str, private: frozenset[str] = PRIVATE_ID_KEYS) -> dict[str, str]:
    """What the SDK's baggage propagator yields, kept by the same ID rules."""
    if len(header) > MAX_BAGGAGE_CHARS:
        return {}
    try:
        entries: Mapping[str, object] = baggage.get_all(
            W3CBaggagePropagator().extract({"baggage": header}, Context())
        )
    except UnicodeEncodeError:  # the SDK raises on lone surrogates; otelkit reads nothing
        return {}
    ids: dict[str, str] = {}
    for key, value in entries.items():
        if (
            key in WELL_KNOWN_ID_KEYS
            and key not in private
            and isinstance(value, str)
            and ID_KEY_PATTERN.match(key)
            and 0 < len(value) <= MAX_ID_VALUE_LENGTH
            and value.isprintable()
        ):
            ids[key] = value
            if len(ids) == MAX_INCOMING_IDS:
                break
    return ids


def _ids_in_process_message(header: str) -> dict[str, str]:
    message = {
        "MessageId": "m-1",
        "Body": "hello",
        "MessageAttributes": {"baggage": {"DataType": "String", "StringValue": header}},
    }
    with capture(), otelkit.aws.process_message(message):
        return otelkit.ids()


@pytest.fixture(autouse=True)
def lenient(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTELKIT_STRICT", "0")  # production mode: nothing raises


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(HEADERS)
def test_ids_read_from_baggage_are_what_the_sdk_propagator_gives(header: str) -> None:
    assert _ids_in_process_message(header) == _sdk_ids(header)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("correlation_id=c-1,job_id=job-1", {"correlation_id": "c-1", "job_id": "job-1"}),
        ("job%5Fid=j%2D1", {"job_id": "j-1"}),  # names and values are percent-decoded
        ("job_id=a,job_id=b", {"job_id": "b"}),  # the last value wins
        ("user_id=u-1,job_id=j", {"job_id": "j"}),  # private IDs are never read
        ("job_id=has space", {}),  # not a W3C value: the member is dropped
        ("other=1,session_id = s-1 ;p=1", {"session_id": "s-1 ;p=1"}),  # as the SDK keeps it
        ("é=1,job_id=j", {"job_id": "j"}),  # a non-ASCII member is skipped, not the rest
        ("a=1," * 180 + "job_id=j", {}),  # past the SDK's 180 members nothing is read
    ],
)
def test_examples(header: str, expected: dict[str, str]) -> None:
    assert _ids_in_process_message(header) == expected == _sdk_ids(header)


def test_an_oversized_header_is_ignored_whole() -> None:
    header = "job_id=j," + "x=" + "y" * MAX_BAGGAGE_CHARS
    assert _ids_in_process_message(header) == {}
