"""A scheduled-message pipeline on SNS and SQS, instrumented with otelkit.

Modelled on an event-driven messaging system: a scheduler publishes a message to an SNS
topic, the topic delivers it to an SQS queue, a processor receives it and hands it to a
notifier, which calls a push-notification HTTP service. The scheduler creates one
``correlation_id``; nothing passes it on by hand, yet it is on every log line of all
three stages and on every span of the message's trace (only the ``ReceiveMessage`` poll
stands apart: it runs before any message, or its IDs, are known):

* SNS and SQS carry it as message attributes (``traceparent`` + ``baggage``), written by
  otelkit's botocore integration;
* ``otelkit.aws.process_messages`` binds it again on the consumer side, in a thread that
  shares nothing with the scheduler (in production: another Lambda or container);
* httpx sends it on to the notification service, which is internal (loopback), so it
  gets the headers; a third-party host would not.

The web API stage (``POST /api/messages``, a manual message) is a FastAPI app behind
``OtelkitASGIMiddleware``: each request gets its own ``correlation_id`` and a "Request
completed" line with ``method``, ``path``, ``status`` and ``duration_ms`` (and
``latency_ms``, the same number), which the guide's query 3 averages::

    fields duration_ms
    | filter path = "/api/messages" and method = "POST"
    | stats avg(duration_ms) as avg_duration_ms, max(duration_ms) as max_duration_ms

How it maps to the messaging guide it reproduces:

* **Correlation ID propagation** (otelkit): one ``correlation_id`` from the scheduler
  through SNS, SQS and the notifier, on every line and span, as described above.
* **The guide's log events**: "Scheduled message created", "Published message to SNS",
  "SQS message received", "Message status updated" (with ``duration_ms``), "Sending
  notification" / "Notification sent successfully"; the web API's "API request
  received", "Manual message created" and the middleware's request lines.
* **Custom metrics** (EMF): ``MessagesCreated``, ``MessagesProcessed``,
  ``ProcessingDuration``, ``NotificationsSent``, ``NotificationDuration``,
  ``CircuitBreakerState``.
* **X-Ray**: each stage's span (``scheduler.run``, the SQS ``process`` span, ``notify``)
  with the botocore and httpx spans under them, one trace end to end.
* **Logs Insights queries 1-4**: ``examples/ops/rez_agent.yaml`` saves them
  (``by-correlation-id``, ``errors-by-message``, ``api-response-time``,
  ``failed-notifications``); alarms, SLOs, retention, the S3 archive and ERROR routing
  are rendered from the same model by ``otelkit ops render``.

AWS is moto's emulator on loopback and the notification service a local HTTP server: no
AWS account, no internet. Run it::

    python examples/message_pipeline.py          # LOG_FORMAT=json: what CloudWatch gets
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import httpx
from fastapi import FastAPI

import otelkit
from otelkit.middleware.asgi import OtelkitASGIMiddleware

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _local_services import asgi_server, fake_api, moto_server

log = otelkit.get_logger("rez_agent")
STAGE = "dev"


def provision(sns: Any, sqs: Any) -> tuple[str, str]:
    """Create the topic, the queue and the subscription (infrastructure-as-code's job)."""
    topic_arn = sns.create_topic(Name=f"rez-agent-messages-{STAGE}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"rez-agent-message-queue-{STAGE}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    return topic_arn, queue_url


def schedule(sns: Any, topic_arn: str) -> str:
    """The scheduler: create a message and publish it; returns its correlation ID."""
    correlation_id = str(uuid.uuid4())
    message_id = otelkit.new_id("msg")
    with (
        otelkit.bind(correlation_id=correlation_id, message_id=message_id),
        otelkit.span("scheduler.run", stage="scheduler"),
    ):
        log.info("Scheduled message created", message_type="scheduled_hello", stage=STAGE)
        otelkit.count("MessagesCreated", 1, message_type="scheduled_hello", created_by="scheduler")
        sns.publish(
            TopicArn=topic_arn,
            Message=json.dumps({"message_id": message_id, "text": "Hello!"}),
            MessageAttributes={
                "message_type": {"DataType": "String", "StringValue": "scheduled_hello"}
            },
        )
        log.info("Published message to SNS", topic_arn=topic_arn)
    return correlation_id


@otelkit.traced("notify", stage="notifier")
@otelkit.timed("NotificationDuration")
def notify(client: httpx.Client, payload: dict[str, Any]) -> str:
    """The notifier: one HTTP call to the notification service."""
    log.info("Sending notification", attempt=1)
    otelkit.gauge("CircuitBreakerState", 0, circuit="ntfy-sh")  # 0 closed, 1 open
    response = client.post("/v1/notify", json=payload)
    response.raise_for_status()
    notification_id: str = response.json()["notification_id"]
    log.info(
        "Notification sent successfully",
        notification_id=notification_id,
        service_saw_baggage=response.headers.get("X-Seen-Baggage", ""),
    )
    otelkit.count("NotificationsSent", 1, status="success")
    return notification_id


def process(sqs: Any, queue_url: str, api_url: str) -> None:
    """The processor: receive, process each message in its own span, delete."""
    response = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=1,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["AWSTraceHeader"],
    )
    with (
        httpx.Client(base_url=api_url, trust_env=False) as client,
        otelkit.aws.process_messages(response.get("Messages", []), queue_url=queue_url) as messages,
    ):
        for message in messages:
            started = time.perf_counter()
            log.info("SQS message received", attempt=1)
            payload = json.loads(json.loads(message["Body"])["Message"])  # the SNS envelope
            log.info("Message status updated", old_status="created", new_status="processing")
            notify(client, payload)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            log.info(
                "Message status updated",
                old_status="processing",
                new_status="completed",
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
            )
            otelkit.count("MessagesProcessed", 1, status="completed")
            otelkit.record(
                "ProcessingDuration",
                (time.perf_counter() - started) * 1000,
                unit="ms",
                message_type="scheduled_hello",
            )


def web_api() -> FastAPI:
    """The web API stage: manual messages, each request logged by the middleware."""
    app = FastAPI()
    app.add_middleware(OtelkitASGIMiddleware)

    @app.post("/api/messages", status_code=202)
    def create_message(body: dict[str, str]) -> dict[str, str]:
        with otelkit.span("web_api.create", stage="web_api"):
            log.info("API request received", user_id=body.get("user_id", "anonymous"))
            message_id = otelkit.new_id("msg")
            log.info("Manual message created", message_id=message_id, created_by="api")
            otelkit.count("MessagesCreated", 1, message_type="manual", created_by="api")
        return {"message_id": message_id, "status": "created"}

    return app


def send_manual_messages(count: int) -> None:
    """What a user's client does: a few POSTs to the web API."""
    with asgi_server(web_api()) as url, httpx.Client(base_url=url, trust_env=False) as client:
        for number in range(count):
            client.post("/api/messages", json={"user_id": f"user-{number}"}).raise_for_status()


def main() -> None:
    with fake_api() as api_url, moto_server() as aws_url:
        sns = boto3.client("sns", endpoint_url=aws_url)
        sqs = boto3.client("sqs", endpoint_url=aws_url)
        topic_arn, queue_url = provision(sns, sqs)
        # Telemetry starts with the pipeline; provisioning above is not part of it.
        otelkit.configure(
            service_name="rez-agent",
            service_version="1.0.0",
            environment=STAGE,
            log_format=os.environ.get("LOG_FORMAT", "pretty"),
        )
        schedule(sns, topic_arn)
        # A thread starts with an empty context: only the message can bring the IDs.
        processor = threading.Thread(target=process, args=(sqs, queue_url, api_url))
        processor.start()
        processor.join()
    send_manual_messages(3)
    otelkit.shutdown()


if __name__ == "__main__":
    main()
