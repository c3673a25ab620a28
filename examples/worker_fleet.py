"""A fleet of bot workers pulling browser jobs from a Redis queue, with heartbeats.

Three workers (threads) take jobs from one Redis list. Every log line carries the
worker's ``worker_id``, the ``job_id`` of the job it belongs to (``browser.navigate.…``)
and the host it runs on; one job fails. Each worker's heartbeat keeps its live status in
Redis (a hash per worker, a capped stream for history) while the logs only record the
transitions. At the end the fleet's status is read back from Redis, as a dashboard would.

Needs a ``redis-server`` binary (Debian/Ubuntu: ``apt-get install redis-server``); the
script starts a throwaway one on loopback and stops it at exit. Run it::

    python examples/worker_fleet.py            # LOG_FORMAT=json shows what Loki gets
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

import redis

import otelkit
from otelkit.redis_heartbeat import Heartbeat, read_fleet

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _local_services import redis_server

log = otelkit.get_logger("bot.worker")
QUEUE = "jobs:browser"
WORKERS = ("worker-1", "worker-2", "worker-3")
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
    # Bound per thread: this worker's lines carry its worker_id, never another's.
    with (
        otelkit.bind(worker_id=worker_id),
        Heartbeat(redis_url, worker_id, interval=0.2, fields={"queue": QUEUE}, ttl=30) as heartbeat,
    ):  # a long TTL, so the fleet can be read afterwards
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


def print_fleet(client: redis.Redis, title: str) -> None:
    """What a dashboard shows: every live worker's latest heartbeat, read from Redis."""
    lines = [
        f"\n{title} (hashes otelkit:worker:*, stream otelkit:workers:status "
        f"with {client.xlen('otelkit:workers:status')} entries):"
    ]
    for worker_id, status in read_fleet(client).items():
        lines.append(
            f"  {worker_id}  {status['state']:<8} job={status['job_id'] or '-':<24} "
            f"processed={status['jobs_processed']} failed={status['jobs_failed']} "
            f"uptime={status['uptime_seconds']}s host={status['hostname']} "
            f"pid={status['pid']}"
        )
    sys.stdout.write("\n".join(lines) + "\n\n")  # one write: worker threads log meanwhile


def main() -> None:
    # Deployment context on every line of every worker, whatever thread writes it.
    otelkit.configure(
        service_name="bot-worker",
        service_version="1.0.0",
        log_format=os.environ.get("LOG_FORMAT", "pretty"),
        static_fields={
            "hostname": socket.gethostname(),
            "deployment_env": os.environ.get("DEPLOYMENT_ENV", "local"),
        },
    )
    with redis_server() as redis_url:
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
        for thread in threads:
            thread.join()
        print_fleet(client, "Fleet status at the end")
        client.close()
    otelkit.shutdown()


if __name__ == "__main__":
    main()
