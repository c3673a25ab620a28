"""Metric calls never raise on production values outside strict mode, and no value can
stop later metrics from being exported."""

from __future__ import annotations

import math
from typing import Any

import pytest

import otelkit
from otelkit._core import drops as _drops
from otelkit._core import safety as _safety
from tests.support.otlp_receiver import otlp_receiver

BAD_CALLS: dict[str, tuple[str, tuple[Any, ...], dict[str, Any]]] = {
    "none_dimension": ("count", ("Orders", 1), {"status": None}),
    "dict_dimension": ("count", ("Orders", 1), {"status": {"a": 1}}),
    "id_dimension": ("count", ("Orders", 1), {"job_id": "job-1"}),
    "negative_record": ("record", ("Latency", -3.0), {}),
    "negative_count": ("count", ("Orders", -1), {}),
    "nan": ("record", ("Latency", math.nan), {}),
    "inf_gauge": ("gauge", ("Depth", math.inf), {}),
    "negative_inf_gauge": ("gauge", ("Depth", -math.inf), {}),
    "nan_gauge": ("gauge", ("Depth", math.nan), {}),
    "negative_inf_record": ("record", ("Latency", -math.inf), {}),
    "huge_int": ("count", ("Orders", 10**400), {}),
    "string_value": ("count", ("Orders", "3"), {}),
    "none_value": ("gauge", ("Depth", None), {}),
}


@pytest.fixture(autouse=True)
def fresh_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the first report of each kind of problem."""
    monkeypatch.setattr(_safety, "_reported", set())


def _call(kind: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    getattr(otelkit, kind)(*args, **kwargs)


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_bad_values_never_raise_when_unconfigured(
    name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OTELKIT_STRICT")
    _call(*BAD_CALLS[name])
    assert "otelkit:" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_strict_mode_raises_on_bad_values(name: str) -> None:
    with pytest.raises(ValueError, match=r"metric|correlation ID"):
        _call(*BAD_CALLS[name])


def test_bad_values_are_dropped_or_coerced_and_counted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OTELKIT_STRICT")
    before = _drops.totals().get("metrics", 0)
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        for _ in range(3):
            for call in BAD_CALLS.values():
                _call(*call)
        otelkit.count("Orders", 2**63)  # past int64: carried as a double
        otelkit.count("Huge", 2**62)
        otelkit.count("Huge", 2**62)  # the sum passes int64
        otelkit.count("Orders", 1, status="ok")
        assert otelkit.flush(timeout=5.0)
        otelkit.shutdown()
        metrics = {m["name"]: m for m in received.metrics()}
    points = {
        tuple(
            sorted((a["key"], next(iter(a["value"].values()))) for a in p.get("attributes", []))
        ): p
        for p in metrics["Orders"]["sum"]["dataPoints"]
    }
    assert points[(("status", "ok"),)]["asInt"] == "1"
    assert points[(("status", "None"),)]["asInt"] == "3"  # coerced to text, kept
    assert points[()]["asDouble"] == pytest.approx(2.0**63 + 3)  # job_id dropped, kept
    (huge,) = metrics["Huge"]["sum"]["dataPoints"]
    assert huge["asDouble"] == 2.0**63
    assert _drops.totals()["metrics"] - before == 3 * len(BAD_CALLS)
    err = capsys.readouterr().err
    assert err.count("value must be a finite number >= 0") == 1  # once per kind of problem
