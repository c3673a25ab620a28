"""awslambdaric with a clock on what the caller waits for: from the moment the runtime
has an invocation's event to the moment it has posted the response. Lambda returns the
response to the caller then; the emulator cannot show it (it answers its own caller
after extensions finish, and its ``INVOKE RTDONE`` runs until the runtime asks for the
next event, which includes whatever runs after the response).

Each posted response prints ``POSTED <milliseconds>`` on stderr. The same bootstrap runs
every configuration of the benchmark, Powertools' included.

It also gives each invocation the X-Ray header Lambda always gives it (a new root; with
tracing off, ``Sampled=0``), which the emulator drops: the runtime sets it as
``_X_AMZN_TRACE_ID``, Powertools' lines carry it as ``xray_trace_id`` and otelkit reads
it (as a parent only when sampled).

Usage: ``python posted_clock.py module.handler``
"""

from __future__ import annotations

import runpy
import secrets
import sys
import time
from typing import Any

from awslambdaric.lambda_runtime_client import LambdaRuntimeClient  # type: ignore[import-untyped]

_received = [0.0]
_wait = LambdaRuntimeClient.wait_next_invocation
_post = LambdaRuntimeClient.post_invocation_result


def _timed_wait(self: Any) -> Any:
    event = _wait(self)
    if event.x_amzn_trace_id is None:  # the emulator's tracer passes none on
        root = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
        event.x_amzn_trace_id = f"Root={root};Sampled=0"
    _received[0] = time.perf_counter()
    return event


def _timed_post(self: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return _post(self, *args, **kwargs)
    finally:
        posted_ms = (time.perf_counter() - _received[0]) * 1000
        print(f"POSTED {posted_ms:.3f}", file=sys.stderr, flush=True)


LambdaRuntimeClient.wait_next_invocation = _timed_wait
LambdaRuntimeClient.post_invocation_result = _timed_post
sys.argv = ["awslambdaric", *sys.argv[1:]]
runpy.run_module("awslambdaric", run_name="__main__", alter_sys=True)
