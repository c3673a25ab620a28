"""Resource fields: the process's ``memory_mb``, ``cpu_percent`` and ``num_threads`` on every
line (seed 004's ``| json | memory_mb > 500``), read at most once a second."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit._process.resource_fields import FIELD_NAMES, ResourceFields
from tests.support.otlp_receiver import attributes, otlp_receiver
from tests.support.processes import production_env

# A worker that grows by 300 MB between two lines, with threads started meanwhile.
_GROWING_WORKER = textwrap.dedent(
    """
    import threading, time
    import otelkit

    otelkit.configure(service_name="bot-worker", console=False)
    log = otelkit.get_logger("bot.worker")
    log.info("Worker started")
    ballast = bytearray(b"\\x01") * (300 * 1024 * 1024)  # written, so resident
    stop = threading.Event()
    threads = [threading.Thread(target=stop.wait) for _ in range(5)]
    for thread in threads:
        thread.start()
    time.sleep(1.2)  # past the one-second cache
    log.info("Processing user request", worker_id="worker-1")
    stop.set()
    """
)


def _run_worker(**env: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-c", _GROWING_WORKER],
        env=production_env(LOG_FORMAT="json", **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_memory_mb_on_ordinary_lines_follows_the_process() -> None:
    started, request = _run_worker(OTELKIT_RESOURCE_FIELDS="true")
    assert request["message"] == "Processing user request"
    for line in (started, request):
        assert set(FIELD_NAMES) <= set(line), line
        assert isinstance(line["memory_mb"], float)
        assert line["cpu_percent"] >= 0
    assert started["memory_mb"] > 10
    # the seed's Loki filter ``memory_mb > 500`` would now pick the grown worker's lines
    assert request["memory_mb"] - started["memory_mb"] > 250
    assert request["num_threads"] >= started["num_threads"] + 5
    assert request["worker_id"] == "worker-1"


def test_off_by_default() -> None:
    started, request = _run_worker()
    assert request["message"] == "Processing user request"
    for line in (started, request):
        assert not set(FIELD_NAMES) & set(line), line


def test_read_at_most_once_per_period() -> None:
    now = [100.0]
    fields = ResourceFields(period=1.0, clock=lambda: now[0])
    first = [fields() for _ in range(1000)]
    assert fields.reads == 1
    assert all(line is first[0] for line in first), "every line shares the cached reading"
    now[0] += 0.999
    fields()
    assert fields.reads == 1
    now[0] += 0.002
    assert fields()["num_threads"] >= 1
    assert fields.reads == 2


def test_a_forked_child_reads_its_own_process() -> None:
    fields = ResourceFields(period=3600.0)
    parent = fields()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its first line must not show the parent's cached reading
        child = fields()
        os.write(write, json.dumps({"reads": fields.reads, **child}).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read) as pipe:
        child = json.loads(pipe.read())
    assert child["reads"] == 2, "the child read afresh instead of using the parent's copy"
    assert fields.reads == 1
    assert parent["memory_mb"] > 0
    assert child["memory_mb"] > 0


def test_resource_fields_reach_the_otlp_wire(capsys: Any) -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(
            service_name="bot-worker",
            endpoint=endpoint,
            log_format="json",
            console=False,
            resource_fields=True,
        )
        otelkit.get_logger("bot.worker").info("Processing user request")
        assert otelkit.flush(timeout=5.0)
        [record] = [
            r for r in received.logs() if r["body"].get("stringValue") == "Processing user request"
        ]
    exported = attributes(record["attributes"])
    assert exported["memory_mb"] > 10
    assert int(exported["num_threads"]) >= 1  # OTLP JSON carries ints as strings
    line = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert line["memory_mb"] == exported["memory_mb"]


def test_a_burst_of_lines_reads_the_process_once(capsys: Any) -> None:
    otelkit.configure(log_format="json", console=False, resource_fields=True)
    source = _pipeline.current().line_fields
    assert isinstance(source, ResourceFields)
    log = otelkit.get_logger("bot.worker")
    for attempt in range(500):
        log.info("Polling queue", attempt=attempt)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 500
    assert all(line["memory_mb"] > 10 for line in lines)
    # one reading per second at most: a slow machine may cross one boundary, not hundreds
    assert source.reads <= 3
