"""The code blocks of docs/concepts.md, with what they need around them to run.

Each block sits between ``# doc: NAME`` and ``# doc: end``; tests/test_docs_blocks.py
checks that the page shows exactly these lines and runs this file.
"""

from __future__ import annotations

import asyncio

import otelkit


def do_work() -> None:
    with otelkit.span("render scene"):
        otelkit.get_logger("docs").info("Scene rendered")


# doc: bind
with otelkit.bind(job_id="job-123", session_id="sess-9"):
    ...                         # every span and log record here carries both
otelkit.ids()                   # {} again outside the block
# doc: end
assert otelkit.ids() == {}

# doc: spans
with otelkit.span("compose video", scene=3) as span:     # an OpenTelemetry Span
    span.set_attribute("frames", 120)

@otelkit.traced                                          # named after __qualname__
def plan() -> None: ...

@otelkit.traced("render scene", kind="internal", stage="render")
async def render(n: int) -> None: ...
# doc: end
plan()
asyncio.run(render(1))


async def browse(session_id: str, project: str) -> None:
    # doc: lifecycle
    BROWSER_SESSION = otelkit.Lifecycle(
        started="SESSION_CREATED", started_status="CREATING",
        completed="SESSION_TERMINATED", completed_status="STOPPED",
        failed="SESSION_TERMINATED", failed_status="FAILED",
        duration_metric="SessionDuration", unit="s")

    async with otelkit.session(session_id, lifecycle=BROWSER_SESSION, project_id=project,
                               dimensions={"ProjectId": project}, timeout=300) as session:
        otelkit.event("SESSION_READY", status="READY", duration_ms=412)
        session.add_fields(reason="manual", proxy_bytes=1234)   # on SESSION_TERMINATED
    # doc: end


asyncio.run(browse("sess-9", "proj_123"))

# doc: metrics
otelkit.count("MessagesProcessed", 1, status="completed")
otelkit.record("ProcessingDuration", 12.5, unit="ms", message_type="scheduled")
otelkit.gauge("ActiveSessions", 12)             # a value that goes up and down

@otelkit.timed("NotificationDuration")        # ms histogram plus outcome=success|error
def send(message: str) -> None: ...
# doc: end
send("hello")

# doc: capture
from otelkit.testing import capture

with capture() as cap:          # in memory, no network; restores the previous setup after
    do_work()
cap.spans                       # finished spans (OpenTelemetry ReadableSpan)
cap.span("render scene")        # the one span with that name
cap.logs                        # log events as dicts, in the JSON-line shape
cap.metrics                     # name -> [(dimensions, value)]; value is the sum for
                                # counters, {count, sum, min, max} for histograms
# doc: end
assert [line["message"] for line in cap.logs] == ["Scene rendered"]
