"""span() and @traced on every kind of callable: names, attributes, nesting, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator, Iterator

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

import otelkit
from otelkit.testing import Capture


def test_span_block_sets_attributes_and_parents(otelkit_capture: Capture) -> None:
    with otelkit.span("compose video", scene=3, tags=["a", "b"], meta={"k": 1}) as outer:
        outer.set_attribute("frames", 120)
        with otelkit.span("encode", kind="client"):
            pass
    encode, compose = otelkit_capture.spans
    assert compose.name == "compose video"
    assert dict(compose.attributes) == {
        "scene": 3,
        "tags": ("a", "b"),
        "meta": "{'k': 1}",
        "frames": 120,
    }
    assert encode.parent.span_id == compose.context.span_id
    assert encode.kind is SpanKind.CLIENT
    assert not trace.get_current_span().get_span_context().is_valid


def test_span_records_exception_and_reraises(otelkit_capture: Capture) -> None:
    with pytest.raises(KeyError), otelkit.span("lookup"):
        raise KeyError("scene-9")
    span = otelkit_capture.span("lookup")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "KeyError: 'scene-9'"
    assert span.events[0].name == "exception"
    assert span.events[0].attributes["exception.type"] == "KeyError"


def test_span_attributes_are_scrubbed(otelkit_capture: Capture) -> None:
    with otelkit.span("login", api_key="sk-123", password="hunter2", user="ana"):
        pass
    assert dict(otelkit_capture.span("login").attributes) == {
        "api_key": "[REDACTED]",
        "password": "[REDACTED]",
        "user": "ana",
    }


def test_traced_sync_uses_qualified_name_and_returns(otelkit_capture: Capture) -> None:
    class Renderer:
        @otelkit.traced
        def render(self, n: int) -> int:
            return n * 2

    assert Renderer().render(21) == 42
    assert otelkit_capture.spans[0].name.endswith("Renderer.render")


async def test_traced_async_with_name_kind_and_attributes(otelkit_capture: Capture) -> None:
    @otelkit.traced("render scene", kind="internal", stage="render")
    async def render(n: int) -> int:
        await asyncio.sleep(0)
        return n

    assert list(await asyncio.gather(render(1), render(2))) == [1, 2]
    spans = otelkit_capture.spans
    assert [s.name for s in spans] == ["render scene", "render scene"]
    assert all(s.attributes["stage"] == "render" for s in spans)
    assert spans[0].context.trace_id != spans[1].context.trace_id


async def test_traced_async_failure(otelkit_capture: Capture) -> None:
    @otelkit.traced
    async def fail() -> None:
        raise TimeoutError("model did not answer")

    with pytest.raises(TimeoutError):
        await fail()
    assert otelkit_capture.spans[0].status.status_code is StatusCode.ERROR


def test_traced_generator_span_covers_iteration_and_stays_private(otelkit_capture: Capture) -> None:
    @otelkit.traced("scenes")
    def scenes() -> Iterator[int]:
        for n in range(3):
            with otelkit.span(f"scene {n}"):
                pass
            yield n

    seen = []
    for n in scenes():
        # Between yields the consumer's context is its own: no leaked current span.
        assert not trace.get_current_span().get_span_context().is_valid
        seen.append(n)
    assert seen == [0, 1, 2]
    parent = otelkit_capture.span("scenes")
    children = [s for s in otelkit_capture.spans if s.name.startswith("scene ")]
    assert len(children) == 3
    assert all(s.parent.span_id == parent.context.span_id for s in children)
    assert parent.end_time >= max(s.end_time for s in children)


def test_traced_generator_send_throw_and_early_close(otelkit_capture: Capture) -> None:
    @otelkit.traced("echo")
    def echo() -> Generator[object, object, None]:
        received: object = None
        while True:
            try:
                received = yield received
            except ValueError:
                received = "recovered"

    gen = echo()
    next(gen)
    assert gen.send("hello") == "hello"
    assert gen.throw(ValueError("x")) == "recovered"
    gen.close()
    span = otelkit_capture.span("echo")
    assert span.status.status_code is StatusCode.UNSET
    assert span.end_time is not None


def test_traced_generator_error_marks_span(otelkit_capture: Capture) -> None:
    @otelkit.traced("broken")
    def broken() -> Iterator[int]:
        yield 1
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        list(broken())
    assert otelkit_capture.span("broken").status.status_code is StatusCode.ERROR


async def test_traced_async_generator(otelkit_capture: Capture) -> None:
    @otelkit.traced("poll")
    async def poll() -> AsyncIterator[int]:
        for attempt in range(3):
            await asyncio.sleep(0)
            yield attempt

    assert [n async for n in poll()] == [0, 1, 2]
    assert otelkit_capture.span("poll").end_time is not None


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown span kind 'sever'"):
        otelkit.span("x", kind="sever")
    with pytest.raises(ValueError, match="non-empty string"):
        otelkit.span("")
    with pytest.raises(ValueError, match="non-empty string"):
        otelkit.traced("")


def test_decorators_work_before_configure() -> None:
    """A library can decorate with otelkit without the application configuring anything."""

    @otelkit.traced
    def work() -> str:
        with otelkit.span("inner"):
            return "done"

    assert work() == "done"


def test_nested_secrets_never_reach_span_attributes(otelkit_capture: Capture) -> None:
    with otelkit.span("call", request={"url": "/x", "headers": {"authorization": "Bearer t"}}):
        otelkit.event("CALLED", payload={"password": "p", "user": "ana"})
    span = otelkit_capture.span("call")
    assert "Bearer t" not in str(span.attributes["request"])
    assert "[REDACTED]" in str(span.attributes["request"])
    assert "'p'" not in str(span.events[0].attributes["payload"])


def test_a_span_object_is_entered_once_at_a_time() -> None:
    block = otelkit.span("once")
    with block, pytest.raises(RuntimeError, match="is already open"), block:
        pass
    with block:  # sequential reuse is fine: a new span each time
        pass
