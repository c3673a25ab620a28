"""``configure(instrument=[...])`` for calls between services: gRPC (a real server on
loopback) and Celery (a real worker process on a real redis broker). The caller's span
carries its bound IDs, and so does the span on the other side: they travel as baggage."""

from __future__ import annotations

from concurrent import futures
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import otelkit
from otelkit.integrations.grpc import target_host
from otelkit.testing import capture
from tests.support.integrations import turned_off_after
from tests.support.polling import eventually

SECRET = "AKIAIOSFODNN7EXAMPLE"


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
