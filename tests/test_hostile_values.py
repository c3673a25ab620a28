"""Whatever a caller logs, the host keeps running and the line is written (non-strict mode).

These go through the production path: the rendered lines on stdout and the OTLP log
records on the wire, with ``OTELKIT_STRICT`` unset.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import pytest

import otelkit
from tests.support.otlp_receiver import attributes, otlp_receiver


class RaisingRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")

    __str__ = __repr__


def _cyclic_dict() -> dict[str, Any]:
    loop: dict[str, Any] = {"name": "loop"}
    loop["self"] = loop
    return loop


def _cyclic_list() -> list[Any]:
    loop: list[Any] = [1]
    loop.append(loop)
    return loop


def _deep(levels: int) -> dict[str, Any]:
    deep: dict[str, Any] = {}
    for _ in range(levels):
        deep = {"a": deep}
    return deep


HOSTILE: dict[str, Any] = {
    "cyclic_dict": _cyclic_dict(),
    "cyclic_list": _cyclic_list(),
    "deep": _deep(50_000),
    "raising_repr": RaisingRepr(),
    "bytes": b"\xff\xfe raw \x00",
    "nan": math.nan,
    "inf": -math.inf,
    "huge_int": 10**5000,
    "huge_str": "x" * 2_000_000,
    "nested_nan": {"values": [1.0, math.nan]},
}


@pytest.fixture
def lenient(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTELKIT_STRICT")


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line]


@pytest.mark.usefixtures("lenient")
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_json_line_written_for_hostile_field(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    log = otelkit.get_logger("app")
    with otelkit.bind(job_id="job-1"), otelkit.span("work"):
        log.info("hostile", value=HOSTILE[name], after="kept")
        otelkit.event("HOSTILE_EVENT", value=HOSTILE[name])
    captured = capsys.readouterr()
    lines = _lines(captured.out)
    assert [line["message"] for line in lines] == ["hostile", "HOSTILE_EVENT"]
    for line in lines:
        assert line["job_id"] == "job-1"
        assert len(line["trace_id"]) == 32
        assert len(json.dumps(line)) < 300_000
    assert lines[0]["after"] == "kept"
    assert "internal error" not in captured.err


def test_cycles_and_depth_do_not_raise_in_strict_mode(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    otelkit.get_logger("app").info("cycle", loop=HOSTILE["cyclic_dict"], deep=HOSTILE["deep"])
    (line,) = _lines(capsys.readouterr().out)
    assert line["loop"]["name"] == "loop"
    assert "<cycle>" in json.dumps(line["loop"])
    assert "<nested too deep>" in json.dumps(line["deep"])


@pytest.mark.usefixtures("lenient")
@pytest.mark.parametrize("log_format", ["text", "pretty"])
def test_text_formats_survive_every_hostile_field(
    log_format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    otelkit.configure(log_format=log_format, console=False)
    log = otelkit.get_logger("app")
    for name, value in HOSTILE.items():
        log.info("hostile %s", name, value=value)
    out = capsys.readouterr().out
    for name in HOSTILE:
        assert f"hostile {name}" in out
    assert len(out) < 50 * 100_000


@pytest.mark.usefixtures("lenient")
def test_fallback_line_keeps_time_level_ids_and_trace(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    otelkit.configure(log_format="json", console=False)
    root = logging.getLogger()  # pytest's own capture handler would raise on the bad format
    monkeypatch.setattr(
        root, "handlers", [h for h in root.handlers if type(h).__name__ == "OtelkitHandler"]
    )
    with otelkit.bind(job_id="job-7"), otelkit.span("work"):
        otelkit.get_logger("app").warning("%d items", "not a number")
    captured = capsys.readouterr()
    (line,) = _lines(captured.out)
    assert line["level"] == "WARNING"
    assert line["timestamp"].endswith("Z")
    assert line["job_id"] == "job-7"
    assert len(line["trace_id"]) == 32
    assert len(line["span_id"]) == 16
    assert line["logger"] == "app"
    assert "%d items" in line["message"]
    assert line["logging_error"].startswith("TypeError")
    assert captured.err.count("otelkit: internal error") == 1


@pytest.mark.usefixtures("lenient")
def test_otlp_records_carry_hostile_fields() -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        log = otelkit.get_logger("app")
        for name, value in HOSTILE.items():
            log.info("hostile %s", name, value=value)
        assert otelkit.flush(timeout=5.0)
        otelkit.shutdown()
        records = received.logs()
    bodies = {record["body"]["stringValue"]: attributes(record["attributes"]) for record in records}
    assert set(bodies) == {f"hostile {name}" for name in HOSTILE}
    assert bodies["hostile raising_repr"]["value"] == "<unprintable RaisingRepr>"
    assert len(bodies["hostile huge_str"]["value"]) < 20_000
