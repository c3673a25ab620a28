"""Every planted secret through every path, scanned where data leaves: 0 leaks.

Outputs scanned: ``capture()`` (spans and log dicts), stdout in every log format, stderr
(the console span tree), EMF documents, and the OTLP wire through a real receiver on
loopback; httpx against a real local server, boto3 against the moto server, ASGI
(uvicorn) and WSGI (werkzeug) servers on loopback, and Lambda HTTP events.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import otelkit
from tests.support.otlp_receiver import otlp_receiver
from tests.support.polling import eventually
from tests.support.secrets_corpus import CORPUS, NEEDLES, PATHS, dump_spans, leaks, run_all_paths
from tests.support.servers import asgi_server, request, wsgi_server


def test_the_corpus_is_large_and_every_path_runs() -> None:
    assert len(CORPUS) >= 26
    assert len(set(NEEDLES)) == len(NEEDLES)
    assert len(PATHS) >= 15


def test_capture_holds_no_secret() -> None:
    from otelkit.testing import capture

    with capture() as cap:
        run_all_paths()
    assert len(cap.logs) > len(CORPUS) * 8, "the paths really logged"
    outputs = {
        "capture logs": json.dumps(cap.logs, default=str),
        "capture spans": dump_spans(cap.spans),
        "capture metrics": json.dumps(cap.metrics, default=str),
    }
    assert leaks(outputs) == []


@pytest.mark.parametrize("log_format", ["json", "text", "pretty"])
@pytest.mark.parametrize("strict", [True, False])
def test_stdout_stderr_and_emf_hold_no_secret(
    log_format: str,
    strict: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not strict:
        monkeypatch.delenv("OTELKIT_STRICT", raising=False)
    otelkit.configure(log_format=log_format, console=True, emf_namespace="Corpus")
    run_all_paths()
    otelkit.shutdown()  # writes the console metrics summary and the last EMF documents
    out, err = capsys.readouterr()
    assert "Saved" in out
    assert "CorpusCount" in out
    assert "span api" in err
    assert leaks({"stdout": out, "stderr": err}) == []


@pytest.mark.slow
def test_the_otlp_wire_holds_no_secret() -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        run_all_paths()
        assert otelkit.flush(timeout=10)
        wire = json.dumps(received.requests)
    assert "span api" in wire
    assert "Saved" in wire
    assert "CorpusCount" in wire
    assert leaks({"OTLP": wire}) == []


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _echo_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def _everywhere(capsys: pytest.CaptureFixture[str]) -> Iterator[dict[str, str]]:
    """Configure with a real OTLP receiver and stdout JSON; yield the outputs to scan."""
    outputs: dict[str, str] = {}
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, console=True, log_format="json")
        yield outputs
        assert otelkit.flush(timeout=10)
        outputs["OTLP"] = json.dumps(received.requests)
    out, err = capsys.readouterr()
    outputs["stdout"], outputs["stderr"] = out, err


@pytest.mark.slow
def test_httpx_calls_leak_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    import httpx

    with _echo_server() as port, _everywhere(capsys) as outputs:
        logging.getLogger("httpx").setLevel(logging.INFO)
        for secret in CORPUS:
            if secret.key in {"url", "callback", "download", "dsn"}:
                continue
            httpx.get(f"http://127.0.0.1:{port}/p", params={secret.key: secret.value})
        httpx.get(
            f"http://alice:urlpass-needle-88@127.0.0.1:{port}/"
            "?token=qtok-needle-313&X-Amz-Signature=9f86d081884c7d659a2feaa0c55ad015a3"
            "bf4f1b2b0b822cd15d6c15b0f00a08"
        )
    assert "HTTP Request" in outputs["stdout"]
    assert "127.0.0.1" in outputs["OTLP"]
    assert leaks(outputs) == []


SESSION_TOKEN = "FwoGZXIvYXdzEJr//////////wEaDSessNeedleTok0123456789abcdefXYZ"


@pytest.mark.slow
def test_boto3_at_debug_leaks_no_credential_or_sensitive_member(
    aws_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3

    with _everywhere(capsys) as outputs:
        for name in ("botocore", "boto3", "urllib3"):
            logging.getLogger(name).setLevel(logging.DEBUG)
        client = boto3.client(
            "secretsmanager",
            endpoint_url=aws_endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIAQ3EXAMPLEZX7NQ2B",
            aws_secret_access_key="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",
            aws_session_token=SESSION_TOKEN,
        )
        client.create_secret(Name="corpus-secret", SecretString="Hunter2-pw-Q9x7")
        value = client.get_secret_value(SecretId="corpus-secret")["SecretString"]
        assert value == "Hunter2-pw-Q9x7"
        client.put_secret_value(SecretId="corpus-secret", SecretString="pwd-needle-5501")
    assert "SecretString" in outputs["stdout"], "botocore really logged the bodies"
    assert "secretsmanager" in outputs["OTLP"].lower()
    assert leaks(outputs) == []
    assert SESSION_TOKEN[20:40] not in json.dumps(outputs)


def _asgi_app() -> Any:
    from otelkit.middleware.asgi import OtelkitASGIMiddleware

    log = otelkit.get_logger("corpus.asgi")

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        log.info("Handling", query=scope.get("query_string", b"").decode())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return OtelkitASGIMiddleware(app)


def _wsgi_app() -> Any:
    from otelkit.middleware.wsgi import OtelkitWSGIMiddleware

    log = otelkit.get_logger("corpus.wsgi")

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        log.info(
            "Handling",
            query=environ.get("QUERY_STRING", ""),
            authorization=environ.get("HTTP_AUTHORIZATION"),
        )
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    return OtelkitWSGIMiddleware(app)


_QUERY = (
    "token=qtok-needle-313&password=qpw-needle-29&X-Amz-Signature=9f86d081884c7d659a2"
    "feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08&api_key=ak-live-7c1e9b2f44d0"
)
_HEADERS = {
    "Authorization": "Bearer bearer-needle-4f9a2c7e1b",
    "Cookie": "sessionid=ck-needle-77ab",
    "X-Api-Key": "xak-needle-0192",
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
def test_http_servers_leak_no_query_or_header_secret(
    kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    serve = asgi_server(_asgi_app()) if kind == "asgi" else wsgi_server(_wsgi_app())
    with _everywhere(capsys) as outputs, serve as url:
        logging.getLogger("werkzeug").setLevel(logging.INFO)  # its request line has the query
        response = request("GET", f"{url}/orders?{_QUERY}", headers=_HEADERS)
        assert response.status_code == 200
        eventually(lambda: otelkit.flush(timeout=5))
    assert "/orders" in outputs["OTLP"]
    assert "Handling" in outputs["stdout"]
    assert leaks(outputs) == []


@pytest.mark.slow
def test_lambda_http_events_leak_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    @otelkit.aws.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        otelkit.get_logger("corpus.lambda").info(
            "Event", query=event.get("queryStringParameters"), headers=event.get("headers")
        )
        return {"statusCode": 200, "body": "ok"}

    event = {
        "version": "2.0",
        "routeKey": "GET /orders",
        "rawPath": "/orders",
        "rawQueryString": _QUERY,
        "queryStringParameters": dict(pair.split("=", 1) for pair in _QUERY.split("&")),
        "headers": {k.lower(): v for k, v in _HEADERS.items()},
        "requestContext": {
            "http": {"method": "GET", "path": "/orders", "sourceIp": "72.12.164.125"},
            "domainName": "api.example.com",
            "requestId": "r-1",
        },
    }
    with _everywhere(capsys) as outputs:
        assert handler(event, None)["statusCode"] == 200
    assert "Event" in outputs["stdout"]
    assert leaks(outputs) == []


@pytest.mark.slow
def test_configured_fields_and_resource_attributes_hold_no_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Written on every line and on every export: the one policy applies to configuration too.
    monkeypatch.setenv("OTELKIT_STATIC_FIELDS", "api_key=static-needle-5521,team=core")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "db.password=resource-needle-8812,tier=gold")
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, console=False, log_format="json")
        otelkit.get_logger("settings").info("Started")
        with otelkit.span("work"):
            pass
        assert otelkit.flush(timeout=10)
        wire = json.dumps(received.requests)
    out = capsys.readouterr().out
    assert '"team":"core"' in out
    assert "gold" in wire, "the resource attributes were exported"
    for where, text in {"stdout": out, "OTLP": wire}.items():
        assert "static-needle-5521" not in text, where
        assert "resource-needle-8812" not in text, where


def test_the_runtime_endpoints_serve_no_secret() -> None:
    # Every secret as an error message (/stats top_errors), a health field and a failing
    # health check's error (/health).
    otelkit.configure(console=False, log_stdout=False, error_dedup_every=100, prometheus=True)
    errors = otelkit.get_logger("corpus.errors")
    for secret in CORPUS:
        errors.error(f"Call failed: {secret.text}")
        try:
            raise ConnectionError(f"cannot connect: {secret.text}")
        except ConnectionError:
            errors.exception("Dependency down")
    calls = itertools.count()

    def health() -> dict[str, Any]:
        call = next(calls)  # each secret twice: as fields, then as the error of a failure
        secret = CORPUS[call // 2 % len(CORPUS)]
        if call % 2:
            raise RuntimeError(f"check failed: {secret.text}")
        return {"status": "degraded", secret.key: secret.value, "detail": secret.text}

    server = otelkit.start_http_server(port=0, health=health)
    try:
        stats = request("GET", f"{server.url}/stats", timeout=10).text
        health_bodies = [
            request("GET", f"{server.url}/health", timeout=10) for _ in range(len(CORPUS) * 2)
        ]
    finally:
        server.stop()
    assert sorted({body.status_code for body in health_bodies}) == [200, 500]
    bodies = [body.text for body in health_bodies]
    assert "top_errors" in stats
    assert leaks({"/stats": stats, "/health": "\n".join(bodies)}) == []
