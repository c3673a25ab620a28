"""An SQS-triggered Lambda worker instrumented with ``@otelkit.aws.lambda_handler``.

The producer (an API that queued a render job) sent each message with a W3C
``traceparent`` and a ``baggage`` entry carrying its ``job_id``. For every record the
worker gets a span linked to the producer's span, with the producer's ``job_id`` bound,
so each log line below is findable by it. A record that fails is
reported in ``batchItemFailures``: SQS redelivers only that one, and its span is marked
failed. Telemetry is flushed before the handler returns, as Lambda freezes right after.

Run it locally (no AWS account needed; the event is what SQS delivers)::

    python examples/lambda_sqs_worker.py
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import otelkit
from otelkit.aws import lambda_handler, process_message

# Once per execution environment: module code runs at cold start only.
otelkit.configure(service_name="video-worker")
log = otelkit.get_logger("video.worker")


def render(job: dict[str, Any]) -> str:
    """The real work: render a video for the job and return where it was stored."""
    with otelkit.span("render video", scenes=job["scenes"]):
        log.info("Rendering video", scenes=job["scenes"])
        return f"s3://videos/{otelkit.ids()['job_id']}.mp4"


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Render each queued job; report the ones that failed for redelivery."""
    failures = []
    for record in event["Records"]:
        try:
            with process_message(record):  # the record's span, the producer's job_id bound
                # Continue the producer's job: its job_id arrived in the message's baggage.
                with otelkit.job("video.render", job_id=otelkit.ids().get("job_id")):
                    video = render(json.loads(record["body"]))
                log.info("Video stored", video_url=video)
        except (ValueError, KeyError):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


@dataclass
class LocalContext:
    """What the Lambda runtime passes as ``context``, for running the handler locally."""

    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    function_name: str = "video-worker"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:video-worker"
    memory_limit_in_mb: int = 512

    def get_remaining_time_in_millis(self) -> int:
        return 29_000


def sqs_record(message_id: str, body: str, **attributes: str) -> dict[str, Any]:
    """One record of a Lambda SQS event, with string message attributes."""
    return {
        "messageId": message_id,
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1700000000000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1700000000010",
        },
        "messageAttributes": {
            name: {
                "stringValue": value,
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
            for name, value in attributes.items()
        },
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:video-jobs",
        "awsRegion": "us-east-1",
    }


EVENT = {
    "Records": [
        sqs_record(
            "059f36b4-87a3-44ab-83d2-661975830a7d",
            json.dumps({"scenes": 3}),
            traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            baggage="job_id=job-6f1c2a7e9b3d4c5f8a1b2c3d4e5f6a7b",
        ),
        sqs_record(
            "2e1424d4-f796-459a-8184-9c92662be6da",
            "not json",
            traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            baggage="job_id=job-0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a",
        ),
    ]
}

if __name__ == "__main__":
    result = handler(EVENT, LocalContext())
    print(f"Result: {json.dumps(result)}")
