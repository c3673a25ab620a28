"""Remote browser sessions, observed with otelkit: the lifecycle CloudWatch keeps for good.

Modelled on a hosted-browser service: a session manager stores each session in DynamoDB
(status, plus an ``expiresAt`` TTL that removes the item 15 minutes after the session
stops), launches a browser for it, runs the client's operations, and stops it. Once the
item is gone, the log lines are all there is to debug, audit and bill with, so every one
of them carries ``session_id`` and ``project_id``, bound once and never passed by hand.

Four sessions run at once with asyncio, for two projects: one ends normally, one recovers
from a flaky screenshot, one is stopped by its timeout, and one fails (its page never
loads). DynamoDB is moto's emulator on loopback, so the botocore spans (``DynamoDB.PutItem``,
``DynamoDB.UpdateItem``) sit in each session's trace with its IDs. No AWS account, no
internet. Run it::

    python examples/browser_sessions.py          # LOG_FORMAT=json: what CloudWatch gets
    STRUCTURED_LOGGING=false python examples/browser_sessions.py    # plain text lines

How it maps to the logging guide it reproduces:

* Its ``SessionLogEntry`` is one ``otelkit.event(...)`` line: ``timestamp``,
  ``session_id``, ``project_id``, ``event_type``, ``status``, ``duration_ms``, ``error``.
  The guide's ``metadata`` map becomes top-level fields (``metadata.proxy_bytes`` is
  queried as ``proxy_bytes``), which keeps them typed on the span events too.
* Lifecycle events: ``SESSION_CREATED`` (CREATING) → ``SESSION_STARTING`` →
  ``SESSION_READY`` (provisioning ``duration_ms``) → ``BROWSER_OPERATION``… →
  ``SESSION_TERMINATED`` (STOPPED, or FAILED with ``error``), with ``SESSION_ERROR`` for each
  failed attempt and ``RESOURCE_METRICS`` at a fixed interval. ``otelkit.session`` with the
  ``BROWSER_SESSION`` lifecycle writes the first and the last of them itself, opens the
  session's span and records ``SessionDuration`` in seconds by ``ProjectId``, the metric
  the guide publishes (its alarm threshold of 600000 ms is 600 s here).
* Custom metrics: ``SessionErrors`` (the error-rate alarm), ``BrowserOperations``,
  ``BrowserOperationDuration``, ``SessionProvisioningDuration``, ``SessionProxyBytes``,
  ``SessionCpuPercent`` (per session). A project is a bounded set, so ``project_id`` is a
  dimension where it is given explicitly; session IDs never are.
* ``RESOURCE_METRICS`` comes from ``otelkit.runtime.resource_events``: the process's real
  CPU and memory, sampled while the browser runs, with the session's IDs.
* ``STRUCTURED_LOGGING=false`` switches the lines to plain text, as in the guide.
* **Retention and archive**: ``examples/ops/wallcrawler_sessions.yaml`` renders the log
  groups' retention (30 days for the entry point, 14 for the rest), the alarms, the
  saved queries and the S3 archive (lifecycle rule, Intelligent-Tiering) that keeps
  terminated sessions' lines after the groups expire (``otelkit ops render``).

The guide's CloudWatch Logs Insights queries, on these lines (``filter`` goes before
``stats``: Insights runs commands in order)::

    fields @timestamp, session_id, error, operation
    | filter event_type = "SESSION_ERROR" and project_id = "proj_123"
    | sort @timestamp desc | limit 100

    filter event_type = "SESSION_TERMINATED"
    | stats avg(duration_ms), max(duration_ms), min(duration_ms)

    filter event_type = "SESSION_TERMINATED"
    | stats sum(proxy_bytes) as total_bytes, avg(cpu_usage) as avg_cpu,
            count(*) as session_count by project_id

    fields @timestamp, event_type, status, error
    | filter session_id = "sess-…" | sort @timestamp asc
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

import otelkit
from otelkit.runtime import resource_events

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _local_services import moto_server

log = otelkit.get_logger("wallcrawler.sessions")

TABLE = "wallcrawler-sessions"
RETENTION_AFTER_STOP_S = 15 * 60  # the TTL removes a stopped session's item after this
METRICS_INTERVAL_S = 0.04  # RESOURCE_METRICS period: a minute in production
TIME_SCALE = 0.001  # a second of session time lasts a millisecond here, to keep the demo short
MAX_ATTEMPTS = 3

# The guide's session lifecycle, spelled its way; otelkit writes it for every session.
BROWSER_SESSION = otelkit.Lifecycle(
    started="SESSION_CREATED",
    started_status="CREATING",
    completed="SESSION_TERMINATED",
    completed_status="STOPPED",
    failed="SESSION_TERMINATED",
    failed_status="FAILED",
    duration_metric="SessionDuration",
    unit="s",
)


@dataclass(frozen=True)
class Step:
    """One operation a client asks the browser for."""

    operation: str  # navigate | extract | screenshot | act
    url: str
    selector: str | None = None


@dataclass(frozen=True)
class SessionRequest:
    """What the API received: who asks, and what the client will do with the browser."""

    project_id: str
    user_id: str
    steps: tuple[Step, ...]
    timeout_s: int = 300
    released: bool = True  # False: the client goes idle and the timeout stops the session
    flaky: frozenset[str] = frozenset()  # operations whose first attempt fails
    broken: frozenset[str] = frozenset()  # operations that fail on every attempt


@dataclass
class Usage:
    """What the session consumed: bytes moved, and the resource samples otelkit took.

    ``otelkit.runtime.resource_events`` writes the RESOURCE_METRICS lines (real CPU and
    memory of this process, with the session's IDs); ``network_bytes`` is added to each.
    """

    network_bytes: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)

    def counters(self) -> dict[str, int]:
        return {"network_bytes": self.network_bytes}

    @property
    def avg_cpu(self) -> float:
        cpu = [sample["cpu_percent"] for sample in self.samples]
        return round(sum(cpu) / len(cpu), 1) if cpu else 0.0

    @property
    def peak_memory_mb(self) -> float:
        return max((sample["memory_mb"] for sample in self.samples), default=0.0)


def _elapsed_ms(since: float) -> int:
    return round((time.monotonic() - since) * 1000)


class SessionStore:
    """Sessions in DynamoDB: one item per session, removed by TTL after it stops."""

    def __init__(self, client: Any) -> None:
        self._db = client

    def create_table(self) -> None:
        self._db.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "sessionId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "sessionId", "AttributeType": "S"}],
        )
        self._db.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
        )

    def create(self, session_id: str, request: SessionRequest) -> None:
        now = int(time.time())
        self._db.put_item(
            TableName=TABLE,
            Item={
                "sessionId": {"S": session_id},
                "projectId": {"S": request.project_id},
                "userId": {"S": request.user_id},
                "status": {"S": "CREATING"},
                "createdAt": {"N": str(now)},
                "expiresAt": {"N": str(now + request.timeout_s + RETENTION_AFTER_STOP_S)},
            },
        )

    def set_status(self, session_id: str, status: str, **attributes: str | int) -> None:
        values: dict[str, Any] = {"status": status, "updatedAt": int(time.time()), **attributes}
        names = {f"#{key}": key for key in values}
        self._db.update_item(
            TableName=TABLE,
            Key={"sessionId": {"S": session_id}},
            UpdateExpression="SET " + ", ".join(f"#{key} = :{key}" for key in values),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                f":{key}": {"S": value} if isinstance(value, str) else {"N": str(value)}
                for key, value in values.items()
            },
        )


class RemoteBrowser:
    """Stands in for the session's Chrome: operations take time, move bytes, may fail."""

    def __init__(self, request: SessionRequest, rng: random.Random) -> None:
        self._request, self._rng = request, rng

    async def perform(self, step: Step, attempt: int) -> int:
        """Run one operation; return the bytes it moved through the session's proxy."""
        with (
            otelkit.span(f"browser.{step.operation}", url=step.url, attempt=attempt),
            otelkit.timed("BrowserOperationDuration", operation=step.operation),
        ):
            await asyncio.sleep(self._rng.uniform(0.01, 0.03))
            if step.operation in self._request.broken:
                raise TimeoutError(f"Navigation timeout of 30000 ms exceeded: {step.url}")
            if step.operation in self._request.flaky and attempt == 0:
                raise ConnectionResetError(f"net::ERR_CONNECTION_RESET at {step.url}")
            return self._rng.randrange(20_000, 400_000)


class SessionManager:
    """Creates, provisions, drives and stops browser sessions."""

    def __init__(self, store: SessionStore) -> None:
        self._store = store

    async def run(self, request: SessionRequest) -> str:
        """Run one session from creation to termination; return its ID."""
        session_id = otelkit.new_id("sess")
        rng = random.Random(session_id)
        # The authorizer resolved the project from the API key: bound for all that follows.
        with otelkit.bind(project_id=request.project_id):
            async with otelkit.session(
                session_id,
                name="browser.session",
                lifecycle=BROWSER_SESSION,
                dimensions={"ProjectId": request.project_id},
                user_id=request.user_id,
                browser="chromium",
                timeout=request.timeout_s,
            ) as session:
                await asyncio.to_thread(self._store.create, session_id, request)
                await self._provision(session_id, rng)
                usage = Usage()
                sampler = resource_events(METRICS_INTERVAL_S, fields=usage.counters)
                usage.samples = sampler.samples
                try:
                    async with sampler:
                        await self._drive(request, RemoteBrowser(request, rng), usage)
                except Exception as exc:
                    await self._terminate(session, request, usage, error=exc)
                    raise
                await self._terminate(session, request, usage)
        return session_id

    @otelkit.traced("provision browser", launch_type="FARGATE")
    @otelkit.timed("SessionProvisioningDuration")
    async def _provision(self, session_id: str, rng: random.Random) -> None:
        started = time.monotonic()
        task_arn = f"arn:aws:ecs:us-east-1:123456789012:task/wallcrawler/{uuid.uuid4().hex}"
        await asyncio.to_thread(self._store.set_status, session_id, "STARTING", taskArn=task_arn)
        otelkit.event("SESSION_STARTING", status="STARTING", task_arn=task_arn)
        await asyncio.sleep(rng.uniform(0.03, 0.08))  # the task pulls its image, Chrome starts
        public_ip = f"203.0.113.{rng.randrange(2, 250)}"
        await asyncio.to_thread(self._store.set_status, session_id, "READY", publicIp=public_ip)
        otelkit.event(
            "SESSION_READY",
            status="READY",
            duration_ms=_elapsed_ms(started),
            public_ip=public_ip,
            task_arn=task_arn,
            container_id=f"{rng.getrandbits(48):012x}",
        )

    async def _drive(self, request: SessionRequest, browser: RemoteBrowser, usage: Usage) -> None:
        for step in request.steps:
            for attempt in range(MAX_ATTEMPTS):
                try:
                    moved = await browser.perform(step, attempt)
                    break
                except (TimeoutError, ConnectionError) as exc:
                    fatal = attempt == MAX_ATTEMPTS - 1
                    otelkit.event(
                        "SESSION_ERROR",
                        level="ERROR" if fatal else "WARNING",
                        error=str(exc),
                        operation=step.operation,
                        url=step.url,
                        retry_count=attempt,
                        fatal=fatal,
                    )
                    otelkit.count(
                        "SessionErrors",
                        1,
                        project_id=request.project_id,
                        operation=step.operation,
                        fatal=fatal,
                    )
                    if fatal:
                        raise
            usage.network_bytes += moved
            target = {"selector": step.selector} if step.selector else {}
            otelkit.event(
                "BROWSER_OPERATION",
                operation=step.operation,
                url=step.url,
                **target,
                success=True,
                bytes=moved,
            )
            otelkit.count("BrowserOperations", 1, operation=step.operation)
        if not request.released:
            log.info("Client idle, waiting for the session timeout", timeout=request.timeout_s)
            await asyncio.sleep(request.timeout_s * TIME_SCALE)

    async def _terminate(
        self,
        session: Any,
        request: SessionRequest,
        usage: Usage,
        error: BaseException | None = None,
    ) -> None:
        """Mark the session stopped; otelkit writes SESSION_TERMINATED when it closes."""
        status = "FAILED" if error else "STOPPED"
        reason = "error" if error else ("manual" if request.released else "timeout")
        expires_at = int(time.time()) + RETENTION_AFTER_STOP_S
        await asyncio.to_thread(
            self._store.set_status,
            session.session_id,
            status,
            endReason=reason,
            expiresAt=expires_at,
        )
        session.add_fields(
            reason=reason,
            proxy_bytes=usage.network_bytes,
            cpu_usage=usage.avg_cpu,
            memory_usage=usage.peak_memory_mb,
        )
        otelkit.record(
            "SessionProxyBytes", usage.network_bytes, unit="By", project_id=request.project_id
        )
        otelkit.record("SessionCpuPercent", usage.avg_cpu, unit="%")


SITE = "https://shop.example.com"
REQUESTS = (
    SessionRequest(
        "proj_123",
        "user-ana",
        (
            Step("navigate", f"{SITE}/pricing"),
            Step("extract", f"{SITE}/pricing", "table.plans"),
            Step("screenshot", f"{SITE}/pricing"),
        ),
    ),
    SessionRequest(
        "proj_456",
        "user-ben",
        (
            Step("navigate", f"{SITE}/login"),
            Step("act", f"{SITE}/login", "button#accept-cookies"),
            Step("screenshot", f"{SITE}/account"),
        ),
        flaky=frozenset({"screenshot"}),
    ),
    SessionRequest(
        "proj_456",
        "user-ben",
        (
            Step("navigate", f"{SITE}/catalog"),
            Step("extract", f"{SITE}/catalog", "ul.products > li"),
        ),
        timeout_s=60,
        released=False,
    ),
    SessionRequest(
        "proj_123",
        "user-cho",
        (Step("navigate", "https://slow.example.net/report"),),
        broken=frozenset({"navigate"}),
    ),
)


async def serve(manager: SessionManager) -> None:
    """Run every requested session at once; a failed one does not stop the others."""
    results = await asyncio.gather(
        *(manager.run(request) for request in REQUESTS), return_exceptions=True
    )
    failed = sum(isinstance(result, BaseException) for result in results)
    log.info("All sessions finished", sessions=len(results), failed=failed)


def _log_format() -> str | None:
    """Pretty lines for people by default. ``LOG_FORMAT`` (json: what CloudWatch gets) and
    ``STRUCTURED_LOGGING=false`` (plain text) are read by otelkit itself when set."""
    if os.environ.get("LOG_FORMAT") or os.environ.get("STRUCTURED_LOGGING"):
        return None
    return "pretty"


def main() -> None:
    otelkit.configure(
        service_name="wallcrawler-sessions", service_version="1.0.0", log_format=_log_format()
    )
    with moto_server() as aws_url:
        store = SessionStore(boto3.client("dynamodb", endpoint_url=aws_url))
        store.create_table()
        asyncio.run(serve(SessionManager(store)))
    otelkit.shutdown()


if __name__ == "__main__":
    main()
