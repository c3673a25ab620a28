"""Agentless export: OTLP/HTTP signed with SigV4, checked by a receiver that recomputes
each signature with botocore for the same credentials."""

from __future__ import annotations

from typing import Any

import pytest

import otelkit
from otelkit._sdk.sigv4 import SigV4Auth, signer_for
from otelkit.aws import _lambda_lifecycle
from tests.support.lambda_context import FakeContext
from tests.support.sigv4_receiver import (
    ACCESS_KEY,
    SECRET_KEY,
    TOKEN,
    expected_signature,
    sigv4_receiver,
)


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setattr(_lambda_lifecycle, "_cold_start", False)


@pytest.mark.parametrize("strict", ["1", ""])
def test_forced_signing_sends_valid_signatures_for_traces_and_logs(
    monkeypatch: pytest.MonkeyPatch, strict: str
) -> None:
    monkeypatch.setenv("OTELKIT_STRICT", strict)
    monkeypatch.setenv(
        "OTEL_EXPORTER_OTLP_LOGS_HEADERS",
        "x-aws-log-group=/aws/lambda/orders,x-aws-log-stream=otel",
    )
    with sigv4_receiver() as (url, received):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
        monkeypatch.setenv("OTELKIT_AWS_SIGV4", "1")
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "orders")

        @otelkit.aws.lambda_handler  # alone: configured from the environment above
        def handler(event: Any, context: Any) -> str:
            otelkit.get_logger("orders").info("Order stored")
            otelkit.count("OrdersStored", 1)
            return "ok"

        assert handler({}, FakeContext()) == "ok"  # its flush exports before returning
        traces, logs = received.by_path("/v1/traces"), received.by_path("/v1/logs")
    assert traces
    assert logs
    assert all(v.valid for v in received.verdicts), [v.path for v in received.verdicts]
    assert {(v.service, v.region) for v in traces} == {("xray", "eu-west-1")}
    assert {(v.service, v.region) for v in logs} == {("logs", "eu-west-1")}
    assert not received.by_path("/v1/metrics"), "metrics stay EMF on stdout"
    for verdict in logs:  # the log group and stream are covered by the signature
        assert {"x-aws-log-group", "x-aws-log-stream", "content-type", "host"} <= set(
            verdict.signed_headers
        )
        assert verdict.headers["x-aws-log-group"] == "/aws/lambda/orders"
    bodies = [v.body for v in traces if v.body is not None]
    spans = [
        s
        for body in bodies
        for rs in body["resourceSpans"]
        for ss in rs["scopeSpans"]
        for s in ss["spans"]
    ]
    assert [s["name"] for s in spans] == ["video-worker"]
    records = [
        r
        for v in logs
        if v.body is not None
        for rl in v.body["resourceLogs"]
        for sl in rl["scopeLogs"]
        for r in sl["logRecords"]
    ]
    stored = next(r for r in records if r["body"]["stringValue"] == "Order stored")
    attributes = {a["key"]: next(iter(a["value"].values())) for a in stored["attributes"]}
    assert (attributes["function_request_id"], attributes["cold_start"]) == ("req-0001", False)


def test_signal_endpoints_are_signed_per_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    with sigv4_receiver() as (url, received):
        otelkit.configure(
            traces_endpoint=f"{url}/custom/v1/traces",
            logs_endpoint=f"{url}/custom/v1/logs",
            aws_sigv4=True,
            console=False,
        )
        with otelkit.span("render"):
            otelkit.get_logger("r").warning("slow")
        assert otelkit.flush(5.0)
    assert {(v.path, v.service, v.valid) for v in received.verdicts} == {
        ("/custom/v1/traces", "xray", True),
        ("/custom/v1/logs", "logs", True),
    }


def test_without_signing_nothing_is_signed_and_the_receiver_refuses() -> None:
    with sigv4_receiver() as (url, received):
        otelkit.configure(endpoint=url, console=False)
        with otelkit.span("render"):
            pass
        otelkit.flush(5.0)
    assert received.verdicts
    assert not any(v.valid or "authorization" in v.headers for v in received.verdicts)


def test_the_receiver_rejects_a_signature_made_with_another_secret() -> None:
    """The check is not vacuous: the same request verified with a different secret fails."""
    signer = signer_for("http://127.0.0.1:9/v1/traces", "traces", True)
    assert signer is not None
    url, body = "http://127.0.0.1:9/v1/traces", b"\x0a\x00"
    sent = {"Content-Type": "application/x-protobuf"}
    added = signer(url, sent, body)
    headers = {k.lower(): v for k, v in {**sent, **added}.items()} | {"host": "127.0.0.1:9"}
    right, parts = expected_signature("POST", url, headers, body)
    wrong, _ = expected_signature("POST", url, headers, body, secret="other")
    assert right == parts["signature"] != wrong
    tampered, _ = expected_signature("POST", url, headers, b"\x0a\x01")
    assert tampered != parts["signature"]


@pytest.mark.parametrize(
    ("url", "forced", "expected"),
    [
        ("https://xray.eu-west-1.amazonaws.com/v1/traces", None, ("xray", "eu-west-1")),
        ("https://logs.us-east-2.amazonaws.com/v1/logs", None, ("logs", "us-east-2")),
        ("https://xray.eu-west-1.amazonaws.com/v1/traces", False, None),
        ("http://localhost:4318/v1/traces", None, None),
        ("https://collector.internal:4318/v1/logs", True, ("logs", "eu-west-1")),
        ("https://xray.eu-west-1.amazonaws.com.evil.example/v1/traces", None, None),
    ],
)
def test_signing_is_automatic_for_the_aws_otlp_endpoints(
    url: str, forced: bool | None, expected: tuple[str, str] | None
) -> None:
    signal = "logs" if url.endswith("/logs") else "traces"
    auth = signer_for(url, signal, forced)
    assert auth is None or isinstance(auth, SigV4Auth)
    assert (None if auth is None else (auth.service, auth.region)) == expected


def test_forced_signing_without_a_region_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(ValueError, match="AWS_REGION"):
        otelkit.configure(endpoint="http://127.0.0.1:9", aws_sigv4=True, console=False)
