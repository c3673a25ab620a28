"""Bound IDs: binding, nesting, isolation across tasks and threads, validation."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

import otelkit
from otelkit.testing import Capture


def test_bind_nests_and_unwinds() -> None:
    assert otelkit.ids() == {}
    with otelkit.bind(job_id="job-1", session_id="sess-9") as bound:
        assert bound == {"job_id": "job-1", "session_id": "sess-9"}
        with otelkit.bind(job_id="job-2", worker_id="worker-3"):
            assert otelkit.ids() == {
                "job_id": "job-2",
                "session_id": "sess-9",
                "worker_id": "worker-3",
            }
        assert otelkit.ids() == {"job_id": "job-1", "session_id": "sess-9"}
    assert otelkit.ids() == {}


def test_bind_unwinds_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError), otelkit.bind(job_id="job-1"):
        raise RuntimeError("boom")
    assert otelkit.ids() == {}


def test_bind_as_decorator_binds_per_call() -> None:
    @otelkit.bind(request_id="req-1")
    def handler() -> dict[str, str]:
        return otelkit.ids()

    assert handler() == {"request_id": "req-1"}
    assert otelkit.ids() == {}


async def test_concurrent_tasks_never_see_each_others_ids() -> None:
    seen: dict[str, list[str]] = {}

    async def worker(job_id: str) -> None:
        with otelkit.bind(job_id=job_id):
            for _ in range(5):
                await asyncio.sleep(0)
                seen.setdefault(job_id, []).append(otelkit.ids()["job_id"])

    await asyncio.gather(*(worker(f"job-{n}") for n in range(10)))
    assert all(values == [job_id] * 5 for job_id, values in seen.items())
    assert otelkit.ids() == {}


async def test_async_decorator_binds_inside_the_coroutine() -> None:
    @otelkit.bind(job_id="job-async")
    async def work() -> dict[str, str]:
        await asyncio.sleep(0)
        return otelkit.ids()

    assert await work() == {"job_id": "job-async"}
    assert otelkit.ids() == {}


def test_threads_keep_their_own_ids() -> None:
    barrier = threading.Barrier(4)
    errors: list[str] = []

    def worker(n: int) -> None:
        with otelkit.bind(worker_id=f"worker-{n}"):
            barrier.wait()
            if otelkit.ids() != {"worker_id": f"worker-{n}"}:
                errors.append(f"worker {n} saw {otelkit.ids()}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_carry_takes_ids_and_span_into_a_thread_pool(otelkit_capture: Capture) -> None:
    def child() -> dict[str, str]:
        with otelkit.span("child"):
            return otelkit.ids()

    with (
        otelkit.bind(job_id="job-pool"),
        otelkit.span("parent"),
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        carried = [pool.submit(otelkit.carry(child)) for _ in range(4)]
        bare = pool.submit(otelkit.ids)
        results = [future.result() for future in carried]
    assert results == [{"job_id": "job-pool"}] * 4
    assert bare.result() == {}, "without carry a pool thread sees nothing"
    parent = otelkit_capture.span("parent")
    children = [s for s in otelkit_capture.spans if s.name == "child"]
    assert len(children) == 4
    assert all(s.parent.span_id == parent.context.span_id for s in children)
    assert all(s.attributes["job_id"] == "job-pool" for s in children)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ({"JobId": "x"}, "invalid ID key 'JobId'"),
        ({"job-id": "x"}, "invalid ID key 'job-id'"),
        ({"_job": "x"}, "invalid ID key '_job'"),
        ({"job_id": 123}, "expected str, got int"),
        ({"job_id": None}, "expected str, got NoneType"),
        ({"job_id": ""}, "must be 1-256 printable characters"),
        ({"job_id": "a\nb"}, "must be 1-256 printable characters"),
        ({"job_id": "x" * 257}, "must be 1-256 printable characters"),
    ],
)
def test_invalid_ids_raise_a_clear_value_error(ids: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        otelkit.bind(**ids)  # type: ignore[arg-type]
    assert otelkit.ids() == {}


def test_new_id_format() -> None:
    value = otelkit.new_id("job")
    assert re.fullmatch(r"job-[0-9a-f]{32}", value)
    assert otelkit.new_id("job") != value
    with pytest.raises(ValueError, match="prefix"):
        otelkit.new_id("")
    with pytest.raises(ValueError, match="prefix"):
        otelkit.new_id("a b")


async def test_one_bind_object_entered_by_concurrent_tasks() -> None:
    shared = otelkit.bind(worker_id="w-1")

    async def work(job_id: str, delay: float) -> dict[str, str]:
        with shared, otelkit.bind(job_id=job_id):
            await asyncio.sleep(delay)
            return otelkit.ids()

    assert list(await asyncio.gather(work("a", 0.02), work("b", 0.0))) == [
        {"worker_id": "w-1", "job_id": "a"},
        {"worker_id": "w-1", "job_id": "b"},
    ]
    assert otelkit.ids() == {}


def test_reserved_field_names_are_not_ids() -> None:
    with pytest.raises(ValueError, match="invalid ID key 'message': it names a field"):
        otelkit.bind(message="x")


def test_decorating_a_generator_is_refused_with_a_way_out() -> None:
    def frames() -> Iterator[int]:
        yield 1

    for decorator in (otelkit.bind(job_id="j"), otelkit.job("render"), otelkit.timed("T")):
        with pytest.raises(TypeError, match="cannot decorate the generator function"):
            decorator(frames)
