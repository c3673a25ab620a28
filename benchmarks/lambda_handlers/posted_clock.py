"""awslambdaric with a clock on what the caller waits for: from the moment the runtime
has an invocation's event to the moment it has posted the response. Lambda returns the
response to the caller then; the emulator cannot show it (it answers its own caller
after extensions finish, and its ``INVOKE RTDONE`` runs until the runtime asks for the
next event, which includes whatever runs after the response).

Each posted response prints ``POSTED <milliseconds>`` on stderr. The same bootstrap runs
every configuration of the benchmark, Powertools' included.

Usage: ``python posted_clock.py module.handler``
"""

from __future__ import annotations

import runpy
import sys
import time
from typing import Any

from awslambdaric.lambda_runtime_client import LambdaRuntimeClient  # type: ignore[import-untyped]

_received = [0.0]
_wait = LambdaRuntimeClient.wait_next_invocation
_post = LambdaRuntimeClient.post_invocation_result


def _timed_wait(self: Any) -> Any:
    event = _wait(self)
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
