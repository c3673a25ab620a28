"""The line cap holds for every format and any fields, containers included: no line is
longer than MAX_LINE_CHARS, and a JSON line is still one JSON object."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import otelkit
from otelkit._values.log_formats import FORMATS, MAX_LINE_CHARS

BASE = {
    "timestamp": "2026-01-01T00:00:00.000Z",
    "level": "INFO",
    "message": "m",
    "logger": "app",
    "service": "svc",
    "environment": "dev",
    "source": "app.py:1",
    "trace_id": "0" * 32,
}

# Large values cheaply: sizes drawn, text made by repetition (escapes included).
chunk = st.builds(
    lambda piece, size: piece * size,
    st.sampled_from(["x", "é", '"', "\n", "\x00", "\u2028", "\\", "😀"]),
    st.integers(0, 25_000),
)
value = st.recursive(
    chunk | st.integers() | st.floats(allow_nan=True) | st.none(),
    lambda inner: st.lists(inner, max_size=120) | st.dictionaries(chunk, inner, max_size=20),
    max_leaves=80,
)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=st.dictionaries(chunk, value, max_size=30), message=chunk)
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_no_line_exceeds_the_cap(name: str, fields: dict[str, Any], message: str) -> None:
    render = FORMATS[name].build(False)
    event = {**BASE, **fields, "message": message}
    line = render(event)
    assert len(line) <= MAX_LINE_CHARS
    if name == "json":
        parsed = json.loads(line)
        assert parsed["trace_id"] == "0" * 32


def test_a_list_of_large_values_is_cut_to_the_cap(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False, scrub=False)  # the cap alone
    otelkit.get_logger("app").info("big", values=["v" * 16_384] * 100, after="kept")
    (line,) = capsys.readouterr().out.splitlines()
    assert len(line) <= MAX_LINE_CHARS  # before: 1.6 MB
    parsed = json.loads(line)
    assert parsed["after"] == "kept"
    assert parsed["message"] == "big"
    assert "truncated" in parsed["values"]


def test_thousands_of_fields_leave_a_count() -> None:
    line = FORMATS["json"].build(False)({**BASE, **{f"f{i}": "v" * 500 for i in range(5000)}})
    assert len(line) <= MAX_LINE_CHARS
    assert json.loads(line)["fields_left_out"] > 0
