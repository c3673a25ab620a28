"""Resource attributes: service identity always, AWS platform facts only where detected."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any, cast

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

from otelkit._config.settings import resolve
from otelkit._sdk.resource import build_resource, for_this_process
from tests.support.servers import http_server

TASK_ARN = "arn:aws:ecs:us-west-2:111122223333:task/default/158d1c8083dd49d6b527399fd6414f5c"


@contextmanager
def ecs_metadata_endpoint(delay: float = 0.0) -> Iterator[str]:
    """A task metadata endpoint (v4) on loopback, answering as ECS does."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(delay)
            body: dict[str, Any]
            if self.path.endswith("/task"):
                body = {
                    "TaskARN": TASK_ARN,
                    "Cluster": "default",
                    "LaunchType": "FARGATE",
                    "Family": "video-api",
                    "Revision": "7",
                }
            else:
                body = {
                    "ContainerARN": "arn:aws:ecs:us-west-2:111122223333:container/0206b271",
                    "LogDriver": "awslogs",
                    "LogOptions": {
                        "awslogs-group": "/ecs/video-api",
                        "awslogs-region": "us-west-2",
                        "awslogs-stream": "ecs/app/158d1c80",
                    },
                }
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler) as url:
        yield url + "/v4/abc"


def _resource(**options: Any) -> dict[str, Any]:
    return dict(build_resource(resolve(options)).attributes)


def test_service_identity_and_nothing_detected_off_aws() -> None:
    attributes = _resource(service_name="video-api", service_version="1.4.0", environment="prod")
    assert attributes["service.name"] == "video-api"
    assert attributes["service.version"] == "1.4.0"
    assert attributes["deployment.environment"] == "prod"
    assert "cloud.provider" not in attributes


def test_ecs_task_metadata_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    with ecs_metadata_endpoint() as url:
        monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", url)
        attributes = _resource(service_name="video-api")
    assert attributes["cloud.platform"] == "aws_ecs"
    assert attributes["aws.ecs.task.arn"] == TASK_ARN
    assert attributes["aws.ecs.launchtype"] == "fargate"
    assert attributes["aws.log.group.names"] == ("/ecs/video-api",)
    assert attributes["service.name"] == "video-api", "configured values win over detected"


@pytest.mark.slow
def test_a_metadata_endpoint_that_hangs_does_not_hold_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with ecs_metadata_endpoint(delay=4.0) as url:
        monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", url)
        started = time.perf_counter()
        attributes = _resource(service_name="video-api")
        elapsed = time.perf_counter() - started
    assert elapsed < 3.0, f"start-up waited {elapsed:.1f}s for a detector"
    assert "aws.ecs.task.arn" not in attributes
    assert attributes["service.name"] == "video-api"


def test_lambda_environment_is_detected_without_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "scheduler")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
    monkeypatch.setenv("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/22/[$LATEST]abc")
    attributes = _resource()
    assert attributes["service.name"] == "scheduler"
    assert attributes["faas.name"] == "scheduler"
    assert attributes["cloud.region"] == "eu-west-1"


def test_unknown_detector_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown resource detector"):
        _resource(resource_detectors="ecs,gcp")


def test_the_built_resource_hashes_and_compares_as_the_sdks_own() -> None:
    # The OTLP encoder groups every span by its resource: the cached hash must be the
    # SDK's, so a resource equal to ours lands in the same group.
    built = build_resource(resolve({"service_name": "svc", "resource_detectors": "none"}))
    same = Resource(dict(built.attributes), built.schema_url)
    assert built == same
    assert hash(built) == hash(same) == hash(built)
    child = for_this_process(built)  # a forked child's resource keeps the SDK's hash too
    assert hash(child) == hash(Resource(dict(child.attributes), child.schema_url))
    spans: list[ReadableSpan] = []
    for resource in (built, same):
        span = TracerProvider(resource=resource).get_tracer("t").start_span("s")
        span.end()
        spans.append(cast("ReadableSpan", span))
    (resource_spans,) = encode_spans(spans).resource_spans
    assert len(resource_spans.scope_spans[0].spans) == 2
