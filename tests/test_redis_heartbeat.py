"""The Redis heartbeat against a real redis-server: what it writes, what it logs, and that a
Redis outage never reaches the worker."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

import otelkit
from otelkit.redis_heartbeat import Heartbeat, read_fleet
from otelkit.testing import Capture
from tests.support.polling import eventually
from tests.support.servers import REDIS_INSTALL_HINT, redis_server

STATUS_FIELDS = {
    "worker_id",
    "state",
    "job_id",
    "jobs_processed",
    "jobs_failed",
    "uptime_seconds",
    "hostname",
    "pid",
    "interval_seconds",
    "timestamp",
    "resources",
}


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A throwaway redis-server for the session. Missing binary: fail, never skip."""
    if shutil.which("redis-server") is None:
        pytest.fail(
            f"{REDIS_INSTALL_HINT}. These tests need a real Redis; CI installs it "
            "with `apt-get install -y redis-server`.",
            pytrace=False,
        )
    with redis_server() as url:
        yield url


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    """A client on an empty database."""
    conn = redis.Redis.from_url(redis_url, decode_responses=True)
    conn.flushdb()
    yield conn
    conn.close()


def events(cap: Capture, event_type: str) -> list[dict[str, Any]]:
    return [line for line in cap.logs if line.get("event_type") == event_type]


def test_beat_writes_the_status_hash_with_a_ttl(client: redis.Redis, redis_url: str) -> None:
    with Heartbeat(redis_url, "worker-1", interval=10, fields={"region": "eu-central-1"}) as hb:
        status = eventually(lambda: client.hgetall("otelkit:worker:worker-1"))
        ttl_ms = client.pttl(hb.key)
    assert set(status) == STATUS_FIELDS | {"region"}
    assert status["worker_id"] == "worker-1"
    assert status["state"] == "IDLE"
    assert status["region"] == "eu-central-1"
    assert status["interval_seconds"] == "10"
    assert 0 < ttl_ms <= 30_000  # three intervals
    assert abs(float(status["timestamp"]) - time.time()) < 5
    # the last beat says the worker stopped cleanly, and the fleet view reads it back
    assert read_fleet(client)["worker-1"]["state"] == "STOPPED"


def test_the_conventional_key_layout_and_resources(
    client: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEARTBEAT_INTERVAL", "7")
    with Heartbeat(
        redis_url, "worker-1", key="worker:heartbeat:{worker_id}", stream="worker:status"
    ) as hb:
        assert (hb.key, hb.stream, hb.interval) == (
            "worker:heartbeat:worker-1",
            "worker:status",
            7.0,
        )
        status = eventually(lambda: client.hgetall("worker:heartbeat:worker-1"))
    resources = json.loads(status["resources"])
    assert resources["memory_mb"] > 1
    assert resources["num_threads"] >= 2
    assert {"cpu_percent", "memory_percent", "open_files"} <= set(resources)
    # what the runbook's commands read: HGETALL and XREAD on the same keys
    assert client.hgetall("worker:heartbeat:worker-1")["worker_id"] == "worker-1"
    history: Any = client.xread({"worker:status": "0"}, count=10)
    ((stream, entries),) = history  # [[stream, [(id, fields), ...]]]
    assert stream == "worker:status"
    assert entries[-1][1]["state"] == "STOPPED"
    assert entries[-1][1]["worker_id"] == "worker-1"
    fleet = read_fleet(client, key="worker:heartbeat:{worker_id}")
    assert list(fleet) == ["worker-1"]
    assert read_fleet(client) == {}, "the default layout's keys are not these"


def test_resources_can_be_left_out(client: redis.Redis, redis_url: str) -> None:
    with Heartbeat(redis_url, "worker-2", interval=10, resources=False):
        status = eventually(lambda: client.hgetall("otelkit:worker:worker-2"))
    assert "resources" not in status


def test_a_dead_workers_hash_expires(client: redis.Redis, redis_url: str) -> None:
    hb = Heartbeat(redis_url, "worker-1", interval=0.05, ttl=0.2).start()
    eventually(lambda: client.exists(hb.key))
    hb.stop()
    eventually(lambda: not client.exists(hb.key), timeout=2)
    assert read_fleet(client) == {}


def test_status_stream_is_capped(client: redis.Redis, redis_url: str) -> None:
    # Approximate trimming drops whole stream nodes: make them small to see the cap.
    client.config_set("stream-node-max-entries", 5)
    try:
        hb = Heartbeat(redis_url, "worker-1", interval=10, stream_maxlen=20)
        for _ in range(200):
            assert hb.beat()
        assert 20 <= client.xlen(hb.stream) < 20 + 5
        entries: Any = client.xrange(hb.stream, count=1)
        assert entries[0][1]["worker_id"] == "worker-1"
    finally:
        client.config_set("stream-node-max-entries", 100)


def test_reports_the_bound_job_and_counts_outcomes(client: redis.Redis, redis_url: str) -> None:
    hb = Heartbeat(redis_url, "worker-2", interval=10)
    with otelkit.job("browser.navigate", job_id="browser.navigate.abc123"), hb.working():
        assert hb.beat()
        running = client.hgetall(hb.key)
    assert (running["state"], running["job_id"]) == ("BUSY", "browser.navigate.abc123")

    def failing_job() -> None:
        with hb.working("browser.navigate.def456"):
            assert hb.beat()
            assert client.hget(hb.key, "job_id") == "browser.navigate.def456"
            raise TimeoutError("page did not load")

    with pytest.raises(TimeoutError, match="page did not load"):
        failing_job()
    assert hb.beat()
    done = client.hgetall(hb.key)
    assert (done["state"], done["job_id"]) == ("IDLE", "")
    assert (done["jobs_processed"], done["jobs_failed"]) == ("2", "1")
    stream: Any = client.xrange(hb.stream)
    assert [entry["job_id"] for _, entry in stream] == [
        "browser.navigate.abc123",
        "browser.navigate.def456",
        "",
    ]


def test_logs_transitions_once_and_no_line_per_beat(
    otelkit_capture: Capture, client: redis.Redis, redis_url: str
) -> None:
    hb = Heartbeat(redis_url, "worker-3", interval=0.02)
    with otelkit.bind(hostname="bot-server-01"):
        hb.start()
    hb.start()  # already running: nothing new
    hb.set_state("DRAINING", reason="deploy")
    hb.set_state("DRAINING")
    eventually(lambda: client.xlen(hb.stream) >= 5)  # several beats, even at DEBUG level
    hb.stop()
    hb.stop()
    types = [line["event_type"] for line in otelkit_capture.logs if "event_type" in line]
    assert types == ["WORKER_STARTED", "WORKER_STATE_CHANGED", "WORKER_STOPPED"]
    started, changed, stopped = (events(otelkit_capture, t)[0] for t in types)
    assert {line["worker_id"] for line in (started, changed, stopped)} == {"worker-3"}
    assert started["heartbeat_key"] == "otelkit:worker:worker-3"
    assert (changed["state"], changed["previous_state"], changed["reason"]) == (
        "DRAINING",
        "IDLE",
        "deploy",
    )
    assert (stopped["state"], stopped["jobs_processed"]) == ("STOPPED", 0)
    assert client.hget(hb.key, "state") == "STOPPED"


@pytest.mark.usefixtures("redis_url")  # for its check that redis-server is installed
def test_redis_outage_never_reaches_the_worker(otelkit_capture: Capture) -> None:
    with redis_server() as url:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        with otelkit.bind(hostname="bot-server-01"):
            hb = Heartbeat(url, "worker-4", interval=0.05).start()
        before = redis.Redis.from_url(url)
        eventually(lambda: before.exists(hb.key))
        before.close()
    # Redis is down: jobs go on, the heartbeat warns once however many beats fail.
    for n in range(10):
        with otelkit.job("browser.navigate"), hb.working():
            time.sleep(0.03)
        assert hb.status()["jobs_processed"] == n + 1
    failed = events(otelkit_capture, "HEARTBEAT_FAILED")
    assert len(failed) == 1
    assert failed[0]["level"] == "WARNING"
    assert failed[0]["error_type"] == "ConnectionError"
    assert (failed[0]["worker_id"], failed[0]["hostname"]) == ("worker-4", "bot-server-01")
    assert "job_id" not in failed[0]  # the heartbeat belongs to the worker, not to a job
    with redis_server(port=port):
        recovered = eventually(lambda: events(otelkit_capture, "HEARTBEAT_RECOVERED"))
        assert recovered[0]["missed_beats"] >= 2
        assert recovered[0]["outage_seconds"] > 0.3
        fresh = redis.Redis.from_url(url, decode_responses=True)
        assert fresh.hget(hb.key, "jobs_processed") == "10"
        hb.stop()
        fresh.close()
    assert len(events(otelkit_capture, "HEARTBEAT_FAILED")) == 1
    assert len(events(otelkit_capture, "HEARTBEAT_RECOVERED")) == 1


async def test_async_context_manager(client: redis.Redis, redis_url: str) -> None:
    async with Heartbeat(redis_url, "worker-5", interval=10) as hb:
        eventually(lambda: client.exists(hb.key))
        with hb.working("browser.navigate.async1"):
            assert hb.state == "BUSY"
    assert client.hget("otelkit:worker:worker-5", "state") == "STOPPED"


def test_invalid_arguments_fail_at_the_call(redis_url: str) -> None:
    with pytest.raises(ValueError, match="worker_id"):
        Heartbeat(redis_url, "")
    with pytest.raises(ValueError, match="interval"):
        Heartbeat(redis_url, "worker-1", interval=0)
    with pytest.raises(ValueError, match=r"call stop\(\)"):
        Heartbeat(redis_url, "worker-1").set_state("STOPPED")


def test_missing_redis_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "try:\n"
        "    import otelkit.redis_heartbeat\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert "pip install 'otelkit[redis]'" in result.stdout
