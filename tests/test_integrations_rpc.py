"""``configure(instrument=[...])`` for calls between services: gRPC (a real server on
loopback) and Celery (a real worker process on a real redis broker). The caller's span
carries its bound IDs, and so does the span on the other side: they travel as baggage."""

from __future__ import annotations

import base64
import sys
from concurrent import futures
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry import propagate

import otelkit
from otelkit.integrations.grpc import target_host
from otelkit.testing import capture
from tests.support.integrations import turned_off_after
from tests.support.polling import eventually

SECRET = "AKIAIOSFODNN7EXAMPLE"
ROOT = Path(__file__).resolve().parent.parent


def test_grpc_client_and_server_spans_carry_the_callers_ids() -> None:
    import grpc  # type: ignore[import-untyped]

    otelkit.configure(console=False, log_stdout=False, instrument=["grpc"])
    with turned_off_after("grpc"):
        seen: list[dict[str, str]] = []

        def say(request: bytes, context: Any) -> bytes:
            seen.append(otelkit.ids())
            return request.upper()

        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        handler = grpc.method_handlers_generic_handler(
            "otelkit.test.Echo", {"Say": grpc.unary_unary_rpc_method_handler(say)}
        )
        server.add_generic_rpc_handlers((handler,))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            with (
                capture() as cap,
                otelkit.bind(job_id="job-grpc"),
                grpc.insecure_channel(f"127.0.0.1:{port}") as channel,
            ):
                # bytes in and out: no generated code needed
                assert channel.unary_unary("/otelkit.test.Echo/Say")(b"hi", timeout=5) == b"HI"
                spans = eventually(lambda: len(cap.spans) == 2 and list(cap.spans))
        finally:
            server.stop(None)
    by_kind = {span.kind.name: span for span in spans}
    client, server_span = by_kind["CLIENT"], by_kind["SERVER"]
    assert client.name == server_span.name == "/otelkit.test.Echo/Say"
    assert server_span.parent.span_id == client.context.span_id
    assert client.attributes["job_id"] == server_span.attributes["job_id"] == "job-grpc"
    assert client.attributes["rpc.system"] == "grpc"
    assert seen == [{"job_id": "job-grpc"}]  # bound in the handler too


@pytest.mark.parametrize(
    ("target", "host"),
    [
        ("127.0.0.1:50051", "127.0.0.1"),
        ("orders.internal:443", "orders.internal"),
        ("dns:///orders.internal:443", "orders.internal"),
        ("dns://8.8.8.8/orders.internal:443", "orders.internal"),
        ("[::1]:50051", "::1"),
        ("::1", "::1"),
        ("unix:/tmp/grpc.sock", ""),
        ("orders", "orders"),
    ],
)
def test_grpc_target_host(target: str, host: str) -> None:
    assert target_host(target) == host


@given(st.text(max_size=80))
def test_grpc_target_host_never_fails(target: str) -> None:
    assert isinstance(target_host(target), str)


@pytest.mark.slow
def test_celery_tasks_carry_the_senders_ids_into_a_real_worker() -> None:
    from tests.support.celery_app import app, render
    from tests.support.otlp_receiver import attributes, otlp_receiver
    from tests.support.processes import server_process
    from tests.support.servers import redis_server

    with redis_server() as broker, otlp_receiver() as (endpoint, received):
        app.conf.update(broker_url=broker, result_backend=broker)
        otelkit.configure(console=False, log_stdout=False, instrument=["celery"])
        worker = [sys.executable, "-m", "celery", "-A", "tests.support.celery_app", "worker"]
        options = ["--pool=solo", "--without-gossip", "--without-mingle", "--loglevel=WARNING"]
        env = {
            "OTLP_TEST_ENDPOINT": endpoint,
            "CELERY_BROKER_URL": broker,
            "CELERY_RESULT_BACKEND": broker,
            "PYTHONPATH": str(ROOT),
        }
        with turned_off_after("celery"), server_process([*worker, *options], ROOT, env) as out:
            with capture() as cap, otelkit.bind(job_id="job-celery"):
                result = render.apply_async((f"scene-{SECRET}",))
            assert result.get(timeout=60) == {
                "scene": f"scene-{SECRET}",
                "ids": {"job_id": "job-celery"},
            }, out.stderr
        # The worker has stopped, and exported what it had on the way out.
        worker_spans = eventually(lambda: received.spans(), timeout=10)
    (sent,) = [s for s in cap.spans if s.kind.name == "PRODUCER"]
    assert sent.name == "apply_async/render"
    assert sent.attributes["job_id"] == "job-celery"
    (run,) = [s for s in worker_spans if s["name"] == "run/render"]
    run_attributes = attributes(run["attributes"])
    assert run_attributes["job_id"] == "job-celery"
    assert base64.b64decode(run["traceId"]).hex() == format(sent.context.trace_id, "032x")
    assert SECRET not in str(worker_spans)


async def test_grpc_aio_client_and_server_spans_carry_the_callers_ids() -> None:
    import grpc

    otelkit.configure(console=False, log_stdout=False, instrument=["grpc"])
    with turned_off_after("grpc"):
        seen: list[dict[str, str]] = []

        async def say(request: bytes, context: Any) -> bytes:
            seen.append(otelkit.ids())
            return request.upper()

        server = grpc.aio.server()
        handler = grpc.method_handlers_generic_handler(
            "otelkit.test.Echo", {"Say": grpc.unary_unary_rpc_method_handler(say)}
        )
        server.add_generic_rpc_handlers((handler,))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            with capture() as cap, otelkit.bind(job_id="job-grpc-aio"):
                async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                    say_call = channel.unary_unary("/otelkit.test.Echo/Say")
                    assert await say_call(b"hi", timeout=5) == b"HI"
                spans = list(cap.spans)
        finally:
            await server.stop(None)
    by_kind = {span.kind.name: span for span in spans}
    client, server_span = by_kind["CLIENT"], by_kind["SERVER"]
    assert server_span.parent.span_id == client.context.span_id
    assert client.attributes["job_id"] == server_span.attributes["job_id"] == "job-grpc-aio"
    assert seen == [{"job_id": "job-grpc-aio"}]


def test_exports_over_grpc_make_no_spans_of_their_own() -> None:
    """The OTLP/gRPC exporter is a gRPC client: with gRPC instrumented, an export must not
    trace itself (each export would make a span to export)."""
    from tests.support.otlp_grpc_receiver import otlp_grpc_receiver

    # The receiver's server is created first: it stands for a collector elsewhere.
    with otlp_grpc_receiver() as (endpoint, received):
        otelkit.configure(console=False, log_stdout=False, instrument=["grpc"])
        with turned_off_after("grpc"):
            # The exporter's channel is opened while gRPC is instrumented.
            otelkit.configure(
                console=False,
                log_stdout=False,
                endpoint=endpoint,
                protocol="grpc",
                instrument=["grpc"],
            )
            with otelkit.job("calls", job_id="job-loop"):
                pass
            assert otelkit.flush(timeout=5)
            assert otelkit.flush(timeout=5)
            # The export's channel decided for its own call (which, untraced, injected
            # nothing): a later bare inject (a hand-written client, destination unknown)
            # must not inherit that decision and send the bound IDs as baggage.
            headers: dict[str, str] = {}
            with otelkit.bind(job_id="job-after"):
                propagate.inject(headers)
            assert "baggage" not in headers
            otelkit.shutdown(timeout=5)
    names = [
        span["name"]
        for request in received.get("traces", [])
        for resource in request["resourceSpans"]
        for scope in resource["scopeSpans"]
        for span in scope["spans"]
    ]
    assert "calls" in names
    assert not [name for name in names if "Export" in name], names
