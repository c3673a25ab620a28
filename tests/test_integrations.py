"""``configure(instrument=...)``: clear errors for unknown names and for missing extras."""

from __future__ import annotations

import importlib
import importlib.util
import sys

import pytest

import otelkit
from otelkit import _integrations
from otelkit.testing import capture
from tests.support.servers import fake_api


def test_unknown_integration_name_is_a_clear_error() -> None:
    with pytest.raises(
        ValueError, match=r"unknown integration\(s\) 'kafka'; known: aiohttp, asyncio"
    ):
        otelkit.configure(console=False, instrument=("botocore", "kafka"))


def test_requested_integration_whose_library_is_missing_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_integrations, "_enabled", set())  # as in a fresh process
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "httpx" else real_find_spec(name, *a),
    )
    with pytest.raises(ImportError, match=r"pip install 'otelkit\[httpx\]'"):
        otelkit.configure(console=False, instrument=("httpx",))


def test_missing_instrumentation_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.instrumentation.botocore", None)
    monkeypatch.delitem(sys.modules, "otelkit.integrations.botocore", raising=False)
    with pytest.raises(
        ImportError,
        match=r"opentelemetry-instrumentation-botocore: "
        r"pip install 'otelkit\[botocore\]'",
    ):
        importlib.import_module("otelkit.integrations.botocore")


def test_httpx_spans_carry_ids_and_never_a_secret_query_value() -> None:
    """A real request to a loopback service: the client span is stamped and scrubbed."""
    import httpx

    otelkit.configure(console=False, log_stdout=False)
    with fake_api() as url, capture() as cap, otelkit.bind(job_id="job-http"):
        httpx.post(f"{url}/v1/scenes?api_key=sk-live-123&page=2", json={"scene": 1})
    (span,) = cap.spans
    assert span.attributes["job_id"] == "job-http"
    assert span.attributes["url.full"].endswith("/v1/scenes?api_key=[REDACTED]&page=2")
    assert all("sk-live-123" not in str(line) for line in cap.logs)
