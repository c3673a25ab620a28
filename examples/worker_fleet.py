"""A fleet of bot workers pulling browser jobs from a Redis queue, with heartbeats.

Three workers (threads) take jobs from one Redis list. Every log line carries the
worker's ``worker_id``, the ``job_id`` of the job it belongs to (``browser.navigate.…``)
and where it runs; one job fails. Each worker's heartbeat keeps its live status in Redis
while the logs only record the transitions. At the end the fleet's status is read back
from Redis, as a dashboard would.

How it maps to the distributed-bot logging guide it reproduces, all from otelkit:

* **Context on every record**: ``service``, ``worker_id`` (bound per worker), ``job_id``
  (``otelkit.job``), and the deployment context the guide's
  ``auto_detect_deployment_context()`` binds: ``platform_fields=True`` puts ``hostname``,
  ``container_id`` (ECS metadata URI, cgroup, Fly machine) and ``region`` (``FLY_REGION``,
  ``AWS_REGION``) on every line; ``deployment_env`` comes from ``DEPLOYMENT_ENV``.
* **Heartbeats in Redis**: ``worker:heartbeat:<worker_id>`` (a hash with the worker's
  state, job, counts and ``resources``; it expires when the worker dies) and the
  ``worker:status`` stream, every ``HEARTBEAT_INTERVAL`` seconds. The guide's debug
  commands work as written::

      redis-cli HGETALL worker:heartbeat:worker-1
      redis-cli XREAD COUNT 10 STREAMS worker:status 0

* **/health and Prometheus /metrics on METRICS_PORT**: ``configure()`` serves them when
  ``METRICS_PORT`` is set (``METRICS_HOST=0.0.0.0`` for a scrape from outside the
  container); ``start_http_server(health=…)`` adds the workers' states to ``/health``
  next to otelkit's ``uptime_seconds``, ``system`` and ``resources`` (``memory_mb``,
  ``memory_percent``, ``cpu_percent``, ``num_threads``, ``open_files``).
  ``system_metrics=True`` puts the process's memory, CPU, threads and open file handles
  on ``/metrics``; the guide's queries become ``process_memory_usage_bytes / 1024 / 1024``
  and ``rate(jobs_total{outcome="error"}[5m]) / rate(jobs_total[5m])``.
* **Files**: ``LOG_TO_FILE=1`` also writes the JSON lines to
  ``logs/bot-worker/bot-worker.jsonl`` (``LOG_DIR``), rotated into gzipped archives.

Needs a ``redis-server`` binary (Debian/Ubuntu: ``apt-get install redis-server``); the
script starts a throwaway one on loopback and stops it at exit (``REDIS_URL`` points it at
another). The demo's heartbeat interval is 0.2 s and its port any free one; the guide's
defaults are ``HEARTBEAT_INTERVAL=30`` and ``METRICS_PORT=9200``. Run it::

    python examples/worker_fleet.py            # LOG_FORMAT=json shows what Loki gets
    FLY_REGION=us-west-1 LOG_TO_FILE=1 python examples/worker_fleet.py
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
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
# The guide's Redis layout, without otelkit's default prefix.
HEARTBEAT_KEY = "worker:heartbeat:{worker_id}"
STATUS_STREAM = "worker:status"
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

heartbeats: dict[str, Heartbeat] = {}  # this process's workers, for /health


def enqueue_jobs(client: redis.Redis) -> None:
    for url in PAGES:
        job_id = f"browser.navigate.{uuid.uuid4().hex[:6]}"
        client.rpush(QUEUE, json.dumps({"job_id": job_id, "url": url}))


def navigate(url: str) -> None:
    """Stands in for driving a browser: a short wait, and a page that never loads."""
    log.info("Navigating", url=url)
    time.sleep(0.15)
    if url.endswith("/hang"):
        raise TimeoutError(f"page {url} did not load within 30s")
    log.debug("DOM ready", url=url, elements=412)
    log.info("Page loaded", url=url, status_code=200)


def run_worker(worker_id: str, redis_url: str, ready: threading.Barrier) -> None:
    # Bound per thread: this worker's lines carry its worker_id, never another's. The
    # interval is HEARTBEAT_INTERVAL's; a long TTL lets the fleet be read afterwards.
    with (
        otelkit.bind(worker_id=worker_id),
        Heartbeat(
            redis_url,
            worker_id,
            key=HEARTBEAT_KEY,
            stream=STATUS_STREAM,
            fields={"queue": QUEUE},
            ttl=30,
        ) as heartbeat,
    ):
        heartbeats[worker_id] = heartbeat
        client = redis.Redis.from_url(redis_url)
        ready.wait()  # start pulling together, so the jobs spread over the fleet
        while (raw := client.lpop(QUEUE)) is not None:
            message = json.loads(raw)  # type: ignore[arg-type]
            try:
                with (
                    otelkit.job("browser.navigate", job_id=message["job_id"], url=message["url"]),
                    heartbeat.working(),
                ):
                    navigate(message["url"])
            except TimeoutError:
                pass  # JOB_FAILED is logged, the heartbeat counts it; the worker goes on
        heartbeat.set_state("DRAINING", reason="queue empty")
        client.close()


def workers_health() -> dict[str, Any]:
    """What ``/health`` adds to otelkit's fields: each worker's state and counts."""
    workers = {}
    for worker_id, heartbeat in sorted(heartbeats.items()):
        status = heartbeat.status()
        workers[worker_id] = {
            key: status[key] for key in ("state", "job_id", "jobs_processed", "jobs_failed")
        }
    states = {worker["state"] for worker in workers.values()}
    return {"state": "BUSY" if "BUSY" in states else ",".join(sorted(states)), "workers": workers}


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
    sys.stdout.write("\n".join(lines) + "\n\n")  # one write: worker threads log meanwhile


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


def main() -> None:
    os.environ.setdefault("HEARTBEAT_INTERVAL", "0.2")  # the guide's default is 30 s
    os.environ.setdefault("METRICS_PORT", "0")  # any free port; the guide's is 9200
    otelkit.configure(
        service_name="bot-worker",
        service_version="1.0.0",
        log_format=os.environ.get("LOG_FORMAT", "pretty"),
        platform_fields=True,
        static_fields={"deployment_env": os.environ.get("DEPLOYMENT_ENV", "local")},
        system_metrics=True,
    )
    server = otelkit.start_http_server(health=workers_health)  # METRICS_PORT's server
    sys.stdout.write(f"monitoring endpoints: {server.url}/health {server.url}/metrics\n")
    with local_redis() as redis_url:
        client = redis.Redis.from_url(redis_url)
        enqueue_jobs(client)
        ready = threading.Barrier(len(WORKERS), timeout=10)
        threads = [
            threading.Thread(target=run_worker, name=worker_id, args=(worker_id, redis_url, ready))
            for worker_id in WORKERS
        ]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        print_fleet(client, "Fleet status, mid-run")
        sys.stdout.write(f"GET /health: {scrape(server.url + '/health')}\n")
        for thread in threads:
            thread.join()
        print_fleet(client, "Fleet status at the end")
        client.close()
    metrics = scrape(server.url + "/metrics")
    sys.stdout.write(f"GET /metrics:\n{metrics}GET /metrics ends\n")
    otelkit.shutdown()


if __name__ == "__main__":
    main()
