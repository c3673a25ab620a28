"""Every registered log format is a valid ``log_format`` and writes real stdout lines."""

from __future__ import annotations

import contextlib
import enum
import io
import json
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import otelkit
from otelkit._config.settings import resolve
from otelkit._values.keys import RESERVED_FIELD_NAMES
from otelkit._values.log_formats import FORMATS, LOG_FORMATS, render_json, renderer
from otelkit._values.safe_values import plain
from tests.support.processes import production_env

_LOGGING_KWARGS = frozenset({"exc_info", "stack_info", "stacklevel", "extra"})


class Level(enum.IntEnum):
    HIGH = 3


class _Tag(str):
    """A str subclass, as enums with ``str`` mixed in are."""


@pytest.mark.parametrize("name", LOG_FORMATS)
def test_each_registered_format_writes_a_line(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    otelkit.configure(log_format=name, console=False, resource_detectors="none")
    otelkit.get_logger("app").info("format check", order_id="o-7")
    out = capsys.readouterr().out
    assert "format check" in out
    assert "o-7" in out
    if name == "json":
        assert json.loads(out.splitlines()[-1])["order_id"] == "o-7"


def test_the_setting_accepts_exactly_the_registered_formats() -> None:
    for name in FORMATS:
        assert resolve({"log_format": name.upper()}, environ={}).log_format == name
    with pytest.raises(ValueError, match="is not one of " + ", ".join(FORMATS)):
        resolve({}, environ={"LOG_FORMAT": "xml"})


def test_an_unregistered_format_is_an_error_not_a_fallback() -> None:
    with pytest.raises(ValueError, match="unknown log format 'xml'"):
        renderer("xml", colour=False)


# Values a log call may carry, including what JSON cannot express (NaN, objects, bytes)
# and keys json turns into strings its own way.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.binary(max_size=8)
    | st.sampled_from([Level.HIGH, _Tag("t\n1"), Decimal("1.5"), 10**30])
)
_keys = (
    st.text(max_size=10) | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
)
_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(_keys, children, max_size=4)
    ),
    max_leaves=12,
)


@given(event=st.dictionaries(st.text(max_size=12), _values, max_size=14))
@example(event={"quote": 'a"b\\c\n\x00\u2028é', "n": -1, "f": 0.1, "b": True, "x": None})
@example(event={"level": "INFO", 1: "an int key", None: [1.5, {2: "x"}]})
def test_a_json_line_is_what_json_dumps_writes(event: dict[Any, Any]) -> None:
    try:
        expected = json.dumps(
            event, default=str, ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )
    except ValueError:  # NaN or infinity somewhere: the line is written from plain()
        expected = None
    line = render_json(event)
    if expected is not None:
        assert line == expected
    else:
        assert isinstance(json.loads(line), dict)


@settings(max_examples=60, deadline=None)
@given(
    message=st.text(max_size=60),
    fields=st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True), _values),
)
def test_every_logged_value_is_on_the_stdout_line(message: str, fields: dict[str, Any]) -> None:
    fields = {k: v for k, v in fields.items() if k not in RESERVED_FIELD_NAMES | _LOGGING_KWARGS}
    otelkit.configure(log_format="json", console=False, scrub=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        otelkit.get_logger("formats").info(message, **fields)
    line, end = out.getvalue().split("\n")  # U+0085 and U+2028 stay in the line, as JSON allows
    assert end == ""
    written = json.loads(line)
    assert written["message"] == message
    try:
        json.dumps(fields, default=str, allow_nan=False)
        shown = fields
    except ValueError:  # something not finite: the whole line is written from plain()
        shown = plain(fields)
    for key, value in shown.items():
        assert written[key] == json.loads(json.dumps(value, default=str))


_PRETTY_PROGRAM = (
    "import otelkit; otelkit.configure(service_name='c', log_format='pretty', console=False);"
    " otelkit.get_logger('t').warning('careful')"
)


@pytest.mark.parametrize(
    ("env", "coloured"),
    [({}, False), ({"FORCE_COLOR": "1"}, True), ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False)],
)
def test_pretty_lines_follow_no_color_and_force_color(env: dict[str, str], coloured: bool) -> None:
    # stdout is a pipe here: colour only when FORCE_COLOR asks, never when NO_COLOR is set.
    base = {k: v for k, v in production_env().items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    result = subprocess.run(
        [sys.executable, "-c", _PRETTY_PROGRAM],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "careful" in result.stdout
    assert ("\x1b[" in result.stdout) is coloured
