"""The resource every signal carries: what the user configured plus what the platform's
detectors find, without ever holding start-up on a metadata endpoint."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry.sdk.resources import (
    Resource,
    ResourceDetector,
    ServiceInstanceIdResourceDetector,
)

from otelkit._config.settings import Settings
from otelkit._redaction.scrub import Redaction, compile_policy


def _detectors(names: Iterable[str]) -> list[ResourceDetector]:
    """The AWS detectors to run. ``auto`` runs one only where the environment shows its
    platform, so no detector ever waits on a metadata endpoint that is not there."""
    names = set(names)
    if names & {"none", ""}:
        return []
    if "auto" in names:
        names = set()
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            names.add("lambda")
        if os.environ.get("ECS_CONTAINER_METADATA_URI_V4") or os.environ.get(
            "ECS_CONTAINER_METADATA_URI"
        ):
            names.add("ecs")
        if os.environ.get("KUBERNETES_SERVICE_HOST") and os.path.exists(
            "/var/run/secrets/kubernetes.io/serviceaccount/token"
        ):
            names.add("eks")
        if _on_ec2():
            names.add("ec2")
    unknown = names - {"lambda", "ecs", "eks", "ec2"}
    if unknown:
        raise ValueError(
            f"unknown resource detector(s) {sorted(unknown)}; "
            "known: auto, none, lambda, ecs, eks, ec2"
        )
    if names == {"lambda"}:  # the common case on Lambda: no import of the AWS detectors
        return [LambdaResourceDetector()]
    if not names:
        return []
    from opentelemetry.sdk.extension.aws.resource import (  # 20 ms: only when needed
        AwsEc2ResourceDetector,
        AwsEcsResourceDetector,
        AwsEksResourceDetector,
    )

    table: dict[str, Callable[[], ResourceDetector]] = {
        "lambda": LambdaResourceDetector,
        "ecs": AwsEcsResourceDetector,
        "eks": AwsEksResourceDetector,
        "ec2": AwsEc2ResourceDetector,
    }
    return [table[name]() for name in sorted(names)]


#: Resource attributes from the variables the Lambda runtime sets.
_LAMBDA_VARIABLES = (
    ("cloud.region", "AWS_REGION"),
    ("faas.name", "AWS_LAMBDA_FUNCTION_NAME"),
    ("faas.version", "AWS_LAMBDA_FUNCTION_VERSION"),
    ("faas.instance", "AWS_LAMBDA_LOG_STREAM_NAME"),
)


class LambdaResourceDetector(ResourceDetector):
    """The function's resource from the runtime's environment variables.

    Unlike the upstream detector, which needs all five variables and fails on the first
    missing one (``'AWS_LAMBDA_FUNCTION_VERSION'`` when a developer simulates Lambda by
    setting only the function name), it takes whatever is set.
    """

    def detect(self) -> Resource:
        attributes: dict[str, Any] = {"cloud.provider": "aws", "cloud.platform": "aws_lambda"}
        for attribute, variable in _LAMBDA_VARIABLES:
            value = os.environ.get(variable)
            if value:
                attributes[attribute] = value
        memory = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        if memory.isdigit():
            attributes["faas.max_memory"] = int(memory) * 2**20  # bytes, as semconv says
        return Resource(attributes)


def _on_ec2() -> bool:
    """EC2 says so in its DMI tables, readable without any network call."""
    try:
        with open("/sys/devices/virtual/dmi/id/sys_vendor") as table:
            vendor = table.read().strip()
    except OSError:
        return False
    return vendor == "Amazon EC2"


def build_resource(settings: Settings, redaction: Redaction | None = None) -> Resource:
    """``service.*`` and ``deployment.environment`` plus what the platform detectors find,
    redacted by ``redaction`` (the settings' own policy when not given)."""
    attributes: dict[str, Any] = {
        "service.name": settings.service_name,
        "deployment.environment": settings.environment,
        "deployment.environment.name": settings.environment,
        "process.pid": os.getpid(),
    }
    if settings.service_version:
        attributes["service.version"] = settings.service_version
    configured = Resource.create(attributes)
    detected = _detect(_detectors(settings.resource_detectors), DETECTION_TIMEOUT)
    if settings.platform_fields:  # a detector that asked the platform's API knows better
        from otelkit._process.platform import platform_fields, resource_attributes

        detected = Resource(resource_attributes(platform_fields())).merge(detected)
    merged = detected.merge(configured)  # what the user configured wins over detection
    if settings.scrub:  # ``OTEL_RESOURCE_ATTRIBUTES=db.password=…`` goes out on every export
        if redaction is None:
            redaction = compile_policy(settings.scrub, settings.redact_keys)
        merged = Resource(redaction.redacted_settings(merged.attributes), merged.schema_url)
    return HashedOnce.of(merged)


class HashedOnce(Resource):
    """A resource whose hash is computed once. The OTLP encoder groups spans by resource,
    hashing each span's, and the SDK's hash serialises every attribute to JSON each time
    (it cost more than redacting the span). A built resource never changes."""

    _hash: int | None = None

    @classmethod
    def of(cls, resource: Resource) -> HashedOnce:
        return cls(resource.attributes, resource.schema_url)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = super().__hash__()
        return self._hash


def for_this_process(inherited: Resource) -> Resource:
    """A forked child's resource: its parent's (the platform has not changed), with its
    own ``process.pid`` and ``service.instance.id``. Workers that reported as one instance
    would have their cumulative metrics merged into one series that jumps between them."""
    own = ServiceInstanceIdResourceDetector().detect()  # a new id once the pid changed
    return HashedOnce.of(inherited.merge(own).merge(Resource({"process.pid": os.getpid()})))


#: The longest start-up may wait for all resource detectors together, in seconds.
DETECTION_TIMEOUT = 2.0


def _detect(detectors: list[ResourceDetector], timeout: float) -> Resource:
    """Run the detectors concurrently; whatever has not answered by ``timeout`` is skipped.

    Each runs in a daemon thread that is abandoned, not joined, when late: the SDK's own
    aggregation joins its workers, so one metadata endpoint that never answers would hold
    start-up for the detector's full HTTP timeout.
    """
    if all(isinstance(d, LambdaResourceDetector) for d in detectors):
        # reads environment variables only: a thread would cost more than it does
        merged = Resource.get_empty()
        for detector in detectors:
            merged = merged.merge(detector.detect())
        return merged
    results: list[Resource | None] = [None] * len(detectors)

    def run(index: int, detector: ResourceDetector) -> None:
        try:
            results[index] = detector.detect()
        except Exception as exc:  # a detector failing is a fact about the platform
            logging.getLogger(__name__).warning(
                "resource detector %s failed: %s", type(detector).__name__, exc
            )

    threads = [
        threading.Thread(target=run, args=(i, d), daemon=True, name="otelkit-detect")
        for i, d in enumerate(detectors)
    ]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    merged = Resource.get_empty()
    for index, (thread, detector) in enumerate(zip(threads, detectors, strict=True)):
        thread.join(max(0.0, deadline - time.monotonic()))
        found = results[index]
        if found is None:
            if thread.is_alive():
                logging.getLogger(__name__).warning(
                    "resource detector %s did not answer within %.1fs; skipped",
                    type(detector).__name__,
                    timeout,
                )
            continue
        merged = merged.merge(found)
    return merged
