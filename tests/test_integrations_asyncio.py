"""``configure(instrument=["asyncio"])``: the coroutines and ``to_thread`` functions named
in OpenTelemetry's variables get a span per run, carrying the bound IDs of the code that
started them (the worker thread's span too); others get none."""

from __future__ import annotations

import asyncio

import pytest

import otelkit
from otelkit.testing import capture
from tests.support.integrations import turned_off_after


async def fetch_scene(scene: str) -> str:
    await asyncio.sleep(0)
    return scene.upper()


async def untraced() -> None:
    await asyncio.sleep(0)


def render(scene: str) -> str:
    return f"rendered {scene}"


def test_named_coroutines_and_thread_functions_get_spans_with_the_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_PYTHON_ASYNCIO_COROUTINE_NAMES_TO_TRACE", "fetch_scene")
    monkeypatch.setenv("OTEL_PYTHON_ASYNCIO_TO_THREAD_FUNCTION_NAMES_TO_TRACE", "render")

    async def main() -> tuple[str, str]:
        with otelkit.bind(job_id="job-asyncio"):
            scene = await asyncio.create_task(fetch_scene("s1"))
            await asyncio.gather(untraced())
            return scene, await asyncio.to_thread(render, scene)

    with turned_off_after("asyncio"):
        otelkit.configure(console=False, log_stdout=False, instrument=["asyncio"])
        with capture() as cap:
            assert asyncio.run(main()) == ("S1", "rendered S1")
    spans = {span.name: span for span in cap.spans}
    assert set(spans) == {"asyncio coro-fetch_scene", "asyncio to_thread-render"}
    for span in spans.values():
        assert span.attributes["job_id"] == "job-asyncio"
