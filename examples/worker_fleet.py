"""A fleet of bot workers pulling browser jobs from a Redis queue, with heartbeats.

Three workers, each its own process as each would be its own container, take jobs from
one Redis list. Every log line carries the worker's ``worker_id``, the ``job_id`` of the
job it belongs to (``browser.navigate.…``), where it runs and how much memory the process
uses; one job fails. Each worker's heartbeat keeps its live status in Redis while the logs
only record the transitions. A supervisor (this script without arguments) starts the
workers, hands out the jobs, reads the fleet's status back from Redis as a dashboard
would, and scrapes each worker's ``/health`` and ``/metrics`` as Prometheus would.

How it maps to the distributed-bot logging guide it reproduces, all from otelkit:

* **Context on every record**: ``service``, ``worker_id`` (bound in each worker),
  ``job_id`` (``otelkit.job``), and the deployment context the guide's
  ``auto_detect_deployment_context()`` binds: ``platform_fields=True`` puts ``hostname``,
  ``container_id`` (ECS metadata URI, cgroup, Fly machine) and ``region`` (``FLY_REGION``,
  ``AWS_REGION``) on every line; ``deployment_env`` comes from ``DEPLOYMENT_ENV``.
  ``resource_fields=True`` adds the process's ``memory_mb``, ``cpu_percent`` and
  ``num_threads`` (read at most once a second), so the guide's Loki query
  ``{deployment_env="production"} | json | memory_mb > 500`` finds ordinary lines when
  Alloy ships the JSON stdout as the guide does.
* **The guide's Loki labels over OTLP**: ``examples/ops/bot_worker_fleet.yaml``'s
  ``loki_labels`` renders the collector and Loki settings (``otelkit ops render``) that
  give the OTLP lines ``service``, ``level``, ``worker_id``, ``hostname`` and
  ``deployment_env`` as stream labels; there the memory query reads structured metadata:
  ``{deployment_env="production"} | memory_mb > 500`` (no ``| json``).
* **Heartbeats in Redis**: ``worker:heartbeat:<worker_id>`` (a hash with the worker's
  state, job, counts, pid and ``resources``; it expires when the worker dies) and the
  ``worker:status`` stream, every ``HEARTBEAT_INTERVAL`` seconds. The guide's debug
  commands work as written::

      redis-cli HGETALL worker:heartbeat:worker-1
      redis-cli XREAD COUNT 10 STREAMS worker:status 0

* **/health and Prometheus /metrics on each worker's METRICS_PORT**: ``configure()``
  serves them when ``METRICS_PORT`` is set (``METRICS_HOST=0.0.0.0`` for a scrape from
  outside the container; here every worker takes a free port and announces its URL in
  its heartbeat). ``/health`` has the guide's ``state`` and ``worker_id`` next to
  otelkit's ``uptime_seconds``, ``system`` and ``resources``.
* **The guide's labels on /metrics**: ``worker_state{worker_id=…}`` is a gauge per
  worker (one series per process, so the label's cardinality is the fleet's size).
  The other labels are the process's identity, which OpenTelemetry keeps in the
  resource rather than on every series: the supervisor starts each worker with
  ``OTEL_RESOURCE_ATTRIBUTES=worker_id=…`` (as a deployment manifest would),
  ``platform_fields=True`` adds ``host.name``, ``container.id`` and ``cloud.region``, and
  the Prometheus exporter serves them once per process as ``target_info{worker_id=…,
  host_name=…, container_id=…, cloud_region=…, deployment_environment=…} 1``. A query
  joins them onto any metric on the scrape's ``job`` and ``instance`` labels; the guide's
  ``worker_memory_bytes{worker_id=…}`` is::

      process_memory_usage_bytes
        * on (job, instance) group_left (worker_id, host_name, container_id, cloud_region)
        target_info

  ``system_metrics=True`` serves the memory, CPU, threads and open file handles; the
  error rate is ``rate(jobs_total{outcome="error"}[5m]) / rate(jobs_total[5m])``.
* **Files**: ``LOG_TO_FILE=1`` also writes the JSON lines to
  ``logs/bot-worker/bot-worker.jsonl`` (``LOG_DIR``), rotated into gzipped archives; the
  three processes append to the one file safely.

Needs a ``redis-server`` binary (Debian/Ubuntu: ``apt-get install redis-server``); the
script starts a throwaway one on loopback and stops it at exit (``REDIS_URL`` points it at
another). The demo's heartbeat interval is 0.2 s and its ports free ones; the guide's
defaults are ``HEARTBEAT_INTERVAL=30`` and ``METRICS_PORT=9200``. Run it::

    python examples/worker_fleet.py            # LOG_FORMAT=json shows what Loki gets
    FLY_REGION=us-west-1 LOG_TO_FILE=1 python examples/worker_fleet.py
    python examples/worker_fleet.py --worker worker-1   # one worker, against REDIS_URL
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

import otelkit
from otelkit.redis_heartbeat import Heartbeat, read_fleet

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _local_services import redis_server

log = otelkit.get_logger("bot.worker")
QUEUE = "jobs:browser"
WORKERS = ("worker-1", "worker-2", "worker-3")
STOP = json.dumps({"stop": True})  # one per worker, after the jobs: "the queue is done"
# The guide's Redis layout, without otelkit's default prefix.
HEARTBEAT_KEY = "worker:heartbeat:{worker_id}"
STATUS_STREAM = "worker:status"
# worker_state's values, as the guide's gauge has them.
STATE_CODES = {"STOPPED": 0, "IDLE": 1, "BUSY": 2, "DRAINING": 3}
PAGES = (
    "https://example.com/login",
    "https://example.com/inbox",
    "https://example.com/search",
    "https://example.com/hang",
    "https://example.com/settings",
    "https://example.com/cart",
    "https://example.com/orders",
    "https://example.com/profile",
    "https://example.com/help",
)


# -- a worker: one process ------------------------------------------------------------


def navigate(url: str) -> None:
    """Stands in for driving a browser: a short wait, and a page that never loads."""
    log.info("Navigating", url=url)
    time.sleep(0.15)
    if url.endswith("/hang"):
        raise TimeoutError(f"page {url} did not load within 30s")
    log.debug("DOM ready", url=url, elements=412)
    log.info("Page loaded", url=url, status_code=200)


def show_state(heartbeat: Heartbeat) -> None:
    """``worker_state{worker_id=…}`` on /metrics: one series per worker process."""
    otelkit.gauge("WorkerState", STATE_CODES[heartbeat.state], worker_id=heartbeat.worker_id)


def worker_health(heartbeat: Heartbeat) -> Callable[[], dict[str, Any]]:
    """What this worker's ``/health`` adds to otelkit's fields: the guide's state and ID."""

    def health() -> dict[str, Any]:
        status = heartbeat.status()
        keys = ("worker_id", "state", "job_id", "jobs_processed", "jobs_failed")
        return {key: status[key] for key in keys}

    return health


def run_worker(worker_id: str, redis_url: str) -> None:
    otelkit.configure(
        service_name="bot-worker",
        service_version="1.0.0",
        log_format=os.environ.get("LOG_FORMAT", "pretty"),
        platform_fields=True,
        resource_fields=True,
        static_fields={"deployment_env": os.environ.get("DEPLOYMENT_ENV", "local")},
        system_metrics=True,
    )
    server = otelkit.start_http_server()  # METRICS_PORT's
    # The interval is HEARTBEAT_INTERVAL's; a long TTL lets the fleet be read afterwards.
    # The heartbeat announces where this worker's endpoints are, for the supervisor.
    heartbeat = Heartbeat(
        redis_url,
        worker_id,
        key=HEARTBEAT_KEY,
        stream=STATUS_STREAM,
        fields={"queue": QUEUE, "metrics_url": server.url},
        ttl=30,
    )
    otelkit.start_http_server(health=worker_health(heartbeat))
    client = redis.Redis.from_url(redis_url)
    with otelkit.bind(worker_id=worker_id), heartbeat:
        show_state(heartbeat)
        while (popped := client.blpop([QUEUE], timeout=30)) is not None:
            message = json.loads(popped[1])
            if message.get("stop"):
                break
            try:
                with (
                    otelkit.job("browser.navigate", job_id=message["job_id"], url=message["url"]),
                    heartbeat.working(),
                ):
                    show_state(heartbeat)
                    navigate(message["url"])
            except TimeoutError:
                pass  # JOB_FAILED is logged, the heartbeat counts it; the worker goes on
            show_state(heartbeat)
        heartbeat.set_state("DRAINING", reason="queue empty")
        show_state(heartbeat)
        sys.stdin.read()  # until the supervisor lets go (closes our stdin)
    client.close()
    otelkit.shutdown()


# -- the supervisor: starts the workers, hands out jobs, watches ------------------------


def start_worker(worker_id: str, redis_url: str) -> subprocess.Popen[bytes]:
    """One worker process, as a container would run it, writing to our stdout."""
    environment = {
        **os.environ,
        "REDIS_URL": redis_url,
        # The worker's identity on its metrics' resource (target_info on /metrics), as a
        # deployment manifest sets it; platform_fields adds host, container and region.
        "OTEL_RESOURCE_ATTRIBUTES": f"worker_id={worker_id}",
    }
    return subprocess.Popen(
        # -u: every line is one write(), so the workers' lines never interleave
        [sys.executable, "-u", __file__, "--worker", worker_id],
        env=environment,
        stdin=subprocess.PIPE,
    )


def enqueue_jobs(client: redis.Redis) -> None:
    jobs = [
        json.dumps({"job_id": f"browser.navigate.{uuid.uuid4().hex[:6]}", "url": url})
        for url in PAGES
    ]
    client.rpush(QUEUE, *jobs, *[STOP] * len(WORKERS))


def wait_for_fleet(
    client: redis.Redis, ready: Callable[[dict[str, str]], bool], timeout: float = 30
) -> dict[str, dict[str, str]]:
    """The fleet read from Redis, once every worker's latest beat satisfies ``ready``."""
    deadline = time.monotonic() + timeout
    while True:
        fleet = read_fleet(client, key=HEARTBEAT_KEY)
        if set(fleet) == set(WORKERS) and all(ready(status) for status in fleet.values()):
            return fleet
        if time.monotonic() > deadline:
            raise TimeoutError(f"the fleet did not get ready: {fleet}")
        time.sleep(0.05)


def say(text: str) -> None:
    """One write to stdout, which the workers share: text never splits their lines."""
    sys.stdout.flush()
    os.write(sys.stdout.fileno(), text.encode())


def print_fleet(client: redis.Redis, title: str) -> None:
    """What a dashboard shows: every live worker's latest heartbeat, read from Redis."""
    lines = [
        f"\n{title} (hashes {HEARTBEAT_KEY.format(worker_id='*')}, stream {STATUS_STREAM} "
        f"with {client.xlen(STATUS_STREAM)} entries):"
    ]
    for worker_id, status in read_fleet(client, key=HEARTBEAT_KEY).items():
        lines.append(
            f"  {worker_id}  {status['state']:<8} job={status['job_id'] or '-':<24} "
            f"processed={status['jobs_processed']} failed={status['jobs_failed']} "
            f"uptime={status['uptime_seconds']}s host={status['hostname']} "
            f"pid={status['pid']}"
        )
    say("\n".join(lines) + "\n\n")


def scrape(url: str) -> str:
    """``GET url`` as Prometheus or a load balancer would (a real HTTP client)."""
    with urllib.request.urlopen(url, timeout=10) as response:  # loopback only
        return str(response.read().decode())


@contextmanager
def local_redis() -> Iterator[str]:
    """``REDIS_URL`` when set, else a throwaway redis-server on loopback."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
    else:
        with redis_server() as url:
            yield url


def supervise() -> None:
    os.environ.setdefault("HEARTBEAT_INTERVAL", "0.2")  # the guide's default is 30 s
    os.environ.setdefault("METRICS_PORT", "0")  # a free port each; the guide's is 9200
    with local_redis() as redis_url:
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        workers = [start_worker(worker_id, redis_url) for worker_id in WORKERS]
        try:
            fleet = wait_for_fleet(client, lambda status: status["state"] == "IDLE")
            enqueue_jobs(client)  # all at once: the waiting workers share them out
            time.sleep(0.3)
            print_fleet(client, "Fleet status, mid-run")
            for worker_id, status in fleet.items():
                say(f"GET /health {worker_id}: {scrape(status['metrics_url'] + '/health')}\n")
            wait_for_fleet(client, lambda status: status["state"] == "DRAINING")
            for worker_id, status in fleet.items():
                metrics = scrape(status["metrics_url"] + "/metrics")
                say(f"GET /metrics {worker_id}:\n{metrics}GET /metrics ends\n")
        finally:
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.close()  # let go: each worker stops its heartbeat and exits
            codes = [worker.wait(timeout=30) for worker in workers]
        print_fleet(client, "Fleet status at the end")
        client.close()
    if any(codes):
        raise SystemExit(f"a worker failed: exit codes {codes}")


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        run_worker(sys.argv[2], os.environ["REDIS_URL"])
    else:
        supervise()


if __name__ == "__main__":
    main()
