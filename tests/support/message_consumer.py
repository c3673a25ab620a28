"""A consumer process for the messaging tests: receives from SQS queues with otelkit and
writes what it captured (spans and log records) as JSON to a file.

Usage: ``python -m tests.support.message_consumer OUTPUT_PATH EXPECTED_COUNT QUEUE_URL...``
(AWS endpoint and credentials come from the environment).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import boto3

import otelkit
from otelkit.testing import capture


def _span(span: Any) -> dict[str, Any]:
    return {
        "name": span.name,
        "kind": span.kind.name,
        "trace_id": f"{span.context.trace_id:032x}",
        "span_id": f"{span.context.span_id:016x}",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "attributes": dict(span.attributes or {}),
        "links": [
            {"trace_id": f"{link.context.trace_id:032x}", "span_id": f"{link.context.span_id:016x}"}
            for link in span.links
        ],
        "status": span.status.status_code.name,
    }


def _receive(sqs: Any, queue_url: str, expected: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while len(messages) < expected and time.monotonic() < deadline:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["AWSTraceHeader"],
        )
        messages.extend(response.get("Messages", []))
    return messages


def main(output: str, expected: int, queue_urls: list[str]) -> None:
    otelkit.configure(
        service_name="consumer", console=False, log_format="json", instrument=("botocore",)
    )
    log = otelkit.get_logger("consumer")
    sqs = boto3.client("sqs")
    with capture(service_name="consumer") as cap:
        with otelkit.bind(worker_id="worker-7"):
            for queue_url in queue_urls:
                received = _receive(sqs, queue_url, expected)
                with otelkit.aws.process_messages(received, queue_url=queue_url) as messages:
                    for message in messages:
                        log.info("SQS message received", attempt=1)
                        sqs.delete_message(
                            QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"]
                        )
        result = {"spans": [_span(s) for s in cap.spans], "logs": cap.logs}
    with open(output, "w", encoding="utf-8") as file:
        json.dump(result, file, default=str)
    otelkit.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
