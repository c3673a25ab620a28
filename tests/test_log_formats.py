"""Every registered log format is a valid ``log_format`` and writes real stdout lines."""

from __future__ import annotations

import json

import pytest

import otelkit
from otelkit._log_formats import FORMATS, LOG_FORMATS, renderer
from otelkit._settings import resolve


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
