"""The code blocks of docs/handlers.md, with stand-ins for the queue, the jobs and Redis.

Each block sits between ``# doc: NAME`` and ``# doc: end``; tests/test_docs_blocks.py
checks that the page shows exactly these lines and runs this file.
"""

# Flask's documented way to wrap an app assigns to its wsgi_app method.
# mypy: disable-error-code="method-assign"

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# doc: lambda
from typing import Any

import otelkit
from otelkit.aws import correlation_paths, lambda_handler

otelkit.configure(service_name="rez-agent-web-api")     # at init: runs once per cold start


@lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    otelkit.get_logger(__name__).info("API request received")  # carries correlation_id
    return {"statusCode": 202, "body": "{}"}
# doc: end


@dataclass
class LambdaContext:
    """What the Lambda runtime hands a handler."""

    aws_request_id: str = "req-1"
    function_name: str = "rez-agent-web-api"
    function_version: str = "1"
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:rez"
    memory_limit_in_mb: int = 512

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


request = {"resource": "/jobs", "path": "/jobs", "httpMethod": "POST", "headers": {},
           "requestContext": {"requestId": "api-1"}, "body": "{}"}
assert handler(request, LambdaContext())["statusCode"] == 202


class Queue:
    """A stand-in for a boto3 SQS client holding one message."""

    def __init__(self) -> None:
        self.deleted: list[str] = []

    def receive_message(self, **_: Any) -> dict[str, Any]:
        return {"Messages": [{"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": "{}",
                              "Attributes": {}, "MessageAttributes": {}}]}

    def delete_message(self, *, QueueUrl: str, ReceiptHandle: str) -> None:  # noqa: N803
        self.deleted.append(ReceiptHandle)


sqs = Queue()
url = "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"


def handle(message: Mapping[str, Any]) -> None:
    otelkit.get_logger(__name__).info("Message handled")


# doc: sqs
response = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"],
                               MessageSystemAttributeNames=["AWSTraceHeader"])
with otelkit.aws.process_messages(response.get("Messages", []), queue_url=url) as messages:
    for message in messages:
        handle(message)                      # logs carry the producer's correlation_id
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
# doc: end
assert sqs.deleted == ["r-1"]

# doc: asgi
from fastapi import FastAPI

from otelkit.middleware.asgi import OtelkitASGIMiddleware

app = FastAPI()
app.add_middleware(OtelkitASGIMiddleware, quiet=("/health", "GET /api/v1/jobs/{id}"))
# doc: end


def wsgi_service() -> object:  # its own app: the block reuses the name
    # doc: wsgi
    from flask import Flask

    from otelkit.middleware.wsgi import OtelkitWSGIMiddleware

    app = Flask(__name__)
    app.wsgi_app = OtelkitWSGIMiddleware(app.wsgi_app, quiet=("/health",))
    # doc: end
    return app


wsgi_service()


@dataclass
class Job:
    id: str


jobs = [Job("job-1")]


def next_job() -> Job | None:
    return jobs.pop() if jobs else None


def navigate(job: Job) -> None:
    otelkit.get_logger(__name__).info("Navigated")


# doc: heartbeat
from otelkit.redis_heartbeat import Heartbeat

with otelkit.bind(worker_id="worker-1"), \
        Heartbeat("redis://redis:6379/0", "worker-1", interval=30) as heartbeat:
    while job := next_job():
        with otelkit.job("browser.navigate", job_id=job.id), heartbeat.working():
            navigate(job)                 # the hash shows BUSY and this job_id
# doc: end
assert not jobs
