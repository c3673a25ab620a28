"""Line caps: long messages and field values are cut with a marker; lines stay valid JSON."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import otelkit
from otelkit._redaction.scrub import DEFAULT
from otelkit._values.caps import cut
from tests.support.otlp_receiver import attributes, otlp_receiver

log = otelkit.get_logger("caps")


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]


@pytest.fixture(params=["strict", "production"])
def strictness(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "production":
        monkeypatch.delenv("OTELKIT_STRICT")
    return str(request.param)


@pytest.mark.usefixtures("strictness")
def test_a_long_message_is_cut_to_the_limit_with_its_original_length(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(log_format="json", console=False, max_message_chars=200)
    message = "Twilio webhook " + "x" * 385
    log.info(message, call_sid="CA1")
    log.info("short stays whole")
    cut_line, short = _lines(capsys)
    assert len(cut_line["message"]) == 200
    assert cut_line["message"].startswith("Twilio webhook xxx")
    assert cut_line["message"].endswith("… [truncated, 400 chars]")
    assert cut_line["call_sid"] == "CA1"
    assert short["message"] == "short stays whole"


def test_the_environment_variable_sets_the_limit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTELKIT_MAX_MESSAGE_CHARS", "50")
    otelkit.configure(log_format="json", console=False)
    logging.getLogger("lib").warning("%s", "y" * 120)  # plain stdlib records too
    (line,) = _lines(capsys)
    assert len(line["message"]) == 50
    assert line["message"].endswith("[truncated, 120 chars]")


@pytest.mark.parametrize("value", ["0", "12", "2.5", "lots", "inf"])
def test_a_limit_that_is_not_a_usable_whole_number_is_refused(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTELKIT_MAX_MESSAGE_CHARS", value)
    with pytest.raises(ValueError, match="OTELKIT_MAX_MESSAGE_CHARS"):
        otelkit.configure(console=False)


@pytest.mark.usefixtures("strictness")
def test_field_values_are_cut_whatever_their_type(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False, max_field_chars=64)
    page = "<html>" + "p" * 5000
    log.info(
        "Fetched", body=page, rows=[{"n": n} for n in range(100)], status=200, ok=True, short="fine"
    )
    try:
        raise ValueError("boom " * 100)
    except ValueError:
        log.exception("Upstream failed")
    fetched, failed = _lines(capsys)
    assert fetched["body"] == cut(page, 64)
    assert len(fetched["body"]) == 64
    assert fetched["rows"].startswith('[{"n": 0}, {"n": 1}')
    assert fetched["rows"].endswith("chars]")
    assert (fetched["status"], fetched["ok"], fetched["short"]) == (200, True, "fine")
    assert len(failed["exception"]) == 64, "the traceback field is capped as well"
    assert len(failed["error"]) == 64
    assert failed["trace_id" if "trace_id" in failed else "source"]  # structure untouched


@pytest.mark.usefixtures("strictness")
def test_hostile_values_are_cut_into_valid_lines(capsys: pytest.CaptureFixture[str]) -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no")

    cyclic: dict[str, Any] = {"name": "n" * 100}
    cyclic["self"] = cyclic
    otelkit.configure(log_format="json", console=False, max_field_chars=40)
    log.info("hostile", cyclic=cyclic, odd=Unprintable(), raw=b"\xff" * 100)
    (line,) = _lines(capsys)
    assert len(line["cyclic"]) == 40
    assert line["cyclic"].endswith("chars]")
    assert line["odd"] == "<unprintable Unprintable>"
    assert len(line["raw"]) == 40


def test_the_otlp_body_and_attributes_are_capped_too() -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(
            endpoint=endpoint,
            log_stdout=False,
            console=False,
            max_message_chars=40,
            max_field_chars=40,
        )
        log.warning("m" * 100, note="n" * 100)
        assert otelkit.flush(timeout=10)
    (record,) = [r for r in received.logs() if r["body"]["stringValue"].startswith("mmm")]
    assert record["body"]["stringValue"] == cut("m" * 100, 40)
    assert attributes(record["attributes"])["note"] == cut("n" * 100, 40)


_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=600)
_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda inner: (
        st.lists(inner, max_size=5)
        # secret-looking keys ("TOKEN") are redacted, not kept as given
        | st.dictionaries(
            st.text(max_size=5).filter(lambda k: not DEFAULT.is_secret(k)), inner, max_size=5
        )
    ),
    max_leaves=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(message=_text, value=_values, limit=st.integers(min_value=32, max_value=300))
def test_any_message_and_value_give_one_valid_line_within_the_limits(
    capsys: pytest.CaptureFixture[str], message: str, value: Any, limit: int
) -> None:
    otelkit.configure(  # redaction of secret-looking keys is not what is tested here
        log_format="json",
        console=False,
        max_message_chars=limit,
        max_field_chars=limit,
        scrub=False,
    )
    capsys.readouterr()
    log.info(message, value=value)
    out = capsys.readouterr().out
    assert out.endswith("\n")
    line = json.loads(out)  # exactly one valid JSON document
    assert len(line["message"]) <= limit
    written = line["value"]
    if isinstance(written, str):
        assert len(written) <= limit
    elif isinstance(value, (list, dict)):
        assert written == value
        assert len(json.dumps(written, ensure_ascii=False)) <= limit


@given(text=st.text(max_size=500), limit=st.integers(min_value=32, max_value=400))
def test_cut_keeps_the_start_and_never_exceeds_the_limit(text: str, limit: int) -> None:
    result = cut(text, limit)
    assert len(result) <= limit
    if len(text) <= limit:
        assert result == text
    else:
        assert text.startswith(result.split("… [truncated, ")[0])
        assert result.endswith(f"[truncated, {len(text)} chars]")
