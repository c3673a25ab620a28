"""Trace context and IDs over HTTP between two real services, and only to internal hosts.

Service A (otelkit, httpx) and service B (an echo server) run as separate processes on
127.0.0.1. To reach B under a name that is not internal without any DNS lookup or
non-loopback traffic, A sends through B as an HTTP proxy: httpx then asks B for
``http://api.partner.test/...`` (``.test`` never resolves), B echoes what it got, and the
allowlist decision is made on ``api.partner.test`` exactly as for a real third party.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit._correlation.ids import current_ids
from otelkit._correlation.propagation import OtelkitPropagator

ROOT = Path(__file__).resolve().parents[1]


def _start(role: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.http_services", role],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("READY "), f"{role} did not start: {line!r}"
    return process, int(line.split()[1])


@pytest.fixture(scope="module")
def services() -> Iterator[tuple[int, int]]:
    """(port of A, port of B). A treats ``*.corp.test`` as internal, via the env var."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["OTELKIT_PROPAGATE_TO"] = "*.corp.test"
    echo, echo_port = _start("echo", env)
    caller, caller_port = _start("caller", env)
    try:
        yield caller_port, echo_port
    finally:
        for process in (caller, echo):
            process.terminate()
            process.wait(timeout=10)


def _call(services: tuple[int, int], url: str, via_proxy: bool = False) -> dict[str, Any]:
    caller_port, echo_port = services
    query = {"url": url}
    if via_proxy:
        query["proxy"] = f"http://127.0.0.1:{echo_port}"
    with urlopen(f"http://127.0.0.1:{caller_port}/call?{urlencode(query)}", timeout=10) as response:
        answer: dict[str, Any] = json.load(response)
    answer["seen"] = {k.lower(): v for k, v in answer["seen"].items()}
    return answer


def test_internal_service_gets_trace_context_and_public_ids(services: tuple[int, int]) -> None:
    answer = _call(services, f"http://127.0.0.1:{services[1]}/work")
    seen, trace_id = answer["seen"], answer["trace_id"]
    assert seen["traceparent"].split("-")[1] == trace_id
    assert seen["x-amzn-trace-id"].startswith(f"Root=1-{trace_id[:8]}-{trace_id[8:]};")
    assert seen["baggage"] == "correlation_id=corr-http-1"  # user_id never leaves


def test_configured_internal_pattern_gets_them_too(services: tuple[int, int]) -> None:
    answer = _call(services, "http://billing.corp.test/charge", via_proxy=True)
    assert answer["seen"]["baggage"] == "correlation_id=corr-http-1"
    assert answer["seen"]["traceparent"].split("-")[1] == answer["trace_id"]


def test_third_party_host_gets_nothing(services: tuple[int, int]) -> None:
    answer = _call(services, "http://api.partner.test/v1/notify", via_proxy=True)
    seen = answer["seen"]
    assert seen["host"] == "api.partner.test"  # the request really was for that host
    assert not {"traceparent", "tracestate", "baggage", "x-amzn-trace-id"} & set(seen)
    assert "corr-http-1" not in json.dumps(seen)


def test_only_well_known_public_ids_travel() -> None:
    """What one service sends is exactly what the next one binds back."""
    _pipeline.activate(_pipeline.Pipeline())  # the default policy
    carrier: dict[str, str] = {}
    with otelkit.bind(job_id="job-1", user_id="u-1", tenant_id="t-1"), otelkit.span("x"):
        OtelkitPropagator().inject_unfiltered(carrier)
    assert carrier["baggage"] == "job_id=job-1"
    received = OtelkitPropagator().extract(carrier)
    assert dict(current_ids(received)) == {"job_id": "job-1"}
