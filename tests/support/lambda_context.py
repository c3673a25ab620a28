"""What the Lambda runtime hands a handler: a context object and the documented events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).parents[1] / "fixtures" / "lambda-events"
ARN = "arn:aws:lambda:eu-west-1:123456789012:function:video-worker:live"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@dataclass
class FakeContext:
    """The attributes and method of the LambdaContext the runtime passes."""

    aws_request_id: str = "req-0001"
    function_name: str = "video-worker"
    function_version: str = "7"
    invoked_function_arn: str = ARN
    memory_limit_in_mb: int = 512
    remaining_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return loaded
