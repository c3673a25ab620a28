"""The one model every rendered collector artifact is derived from.

Configs, the EKS manifest, the ECS task definition and the IAM policy all come from a
:class:`CollectorModel`, so a log group named once is the log group the exporter writes
to *and* the one the policy grants, and an ID key added to ``otelkit._values.keys`` becomes an
X-Ray annotation and an EMF-forbidden dimension at the same time.
"""

from __future__ import annotations

from dataclasses import dataclass

from otelkit._values.keys import WELL_KNOWN_ID_KEYS
from otelkit.collector._profiles import (
    ENV_LOKI,
    ENV_REGION,
    LOOPBACK,
    PROFILES,
    Profile,
    profile_named,
    unknown_target,
)
from otelkit.collector._telemetry import ServiceTelemetry

#: A target's name: a key of ``PROFILES``.
Target = str
#: The targets shipped in ``collector/``, in rendering order.
TARGETS: tuple[Target, ...] = tuple(PROFILES)


def is_id_shaped(key: str) -> bool:
    """Whether an attribute is named like a correlation ID (``tenant_id``): one value per
    unit of work, so never a dimension even when only X-Ray's index names it."""
    return key.endswith("_id")


#: CloudWatch drops a dimension set with more than this many keys, silently.
MAX_EMF_DIMENSIONS = 10

#: ADOT collector image the sidecar artifacts pin.
ADOT_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0"


@dataclass(frozen=True)
class CollectorModel:
    """Everything that differs between rendered collector configs.

    Values may be literals or ``${env:NAME}`` references; references are resolved by
    the collector at start-up, which is how one file serves several deployments.

    Attributes:
        target: Where the collector runs: the name of its :class:`Profile`, which picks
            resource detectors, exporters and files that exist there.
        region: AWS region for the AWS exporters.
        loki_endpoint: Loki's native OTLP base URL, ending in ``/otlp``.
        emf_namespace: CloudWatch metrics namespace.
        emf_log_group: Log group the EMF exporter writes metric events to.
        id_keys: Correlation ID keys: indexed in X-Ray, never EMF dimensions.
        annotation_keys: Bounded attributes also indexed in X-Ray (``message_type``):
            unlike ID keys they may be EMF dimensions too.
        service_attribute: Resource attribute that names the service.
        environment_attribute: Resource attribute that names the environment.
        extra_dimensions: Metric attributes that each get their own dimension set next
            to service and environment (one set per key, never their cross product).
        cloudwatch_logs: Also send logs to CloudWatch Logs.
        cloudwatch_log_group: The log group used when ``cloudwatch_logs`` is on.
        bind_host: Address the OTLP receivers listen on.
        aws_otlp_endpoints: Reach AWS the current way: traces to X-Ray's OTLP endpoint
            and (with ``cloudwatch_logs``) logs to CloudWatch Logs' OTLP endpoint, through
            ``otlphttp`` signed by ``sigv4auth``, instead of the ``awsxray`` and
            ``awscloudwatchlogs`` exporters.
        health_routes: ``http.route``/``url.path`` values whose spans are dropped.
        poll_routes: Routes whose GET spans are dropped (status polling).
        telemetry: One service's declared metrics (from its ops model): when given, the
            ``awsemf`` exporter publishes exactly those, in their namespace, dimension
            sets and units, instead of the generic sets below.
    """

    target: Target = "ecs"
    region: str = ENV_REGION
    loki_endpoint: str = ENV_LOKI
    emf_namespace: str = "otelkit"
    emf_log_group: str = "/otelkit/metrics"
    id_keys: tuple[str, ...] = WELL_KNOWN_ID_KEYS
    annotation_keys: tuple[str, ...] = ()
    service_attribute: str = "service.name"
    environment_attribute: str = "deployment.environment"
    extra_dimensions: tuple[str, ...] = ("outcome", "status")
    cloudwatch_logs: bool = False
    cloudwatch_log_group: str = "/otelkit/logs"
    bind_host: str = LOOPBACK
    aws_otlp_endpoints: bool = False
    health_routes: tuple[str, ...] = ("/health", "/healthz", "/healthcheck")
    poll_routes: tuple[str, ...] = ("/api/v1/jobs/{id}", "/api/v1/jobs/{job_id}")
    telemetry: ServiceTelemetry | None = None

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        """Reasons this model would render a config the checker rejects."""
        if self.target not in PROFILES:
            return [unknown_target(self.target)]
        out: list[str] = []
        ids = set(self.id_keys)
        for key in self.extra_dimensions:
            if key in ids:
                out.append(f"extra dimension {key!r} is a correlation ID key")
        for key in self.annotation_keys:
            if key in ids or is_id_shaped(key):
                out.append(
                    f"annotation key {key!r} names a correlation ID: give it as an ID key "
                    "(indexed too, never a dimension)"
                )
        if len(self.base_dimensions) + 1 > MAX_EMF_DIMENSIONS:
            out.append(f"dimension sets would exceed {MAX_EMF_DIMENSIONS} keys")
        if not self.loki_endpoint.rstrip("/").endswith("/otlp"):
            out.append("loki_endpoint must be Loki's OTLP base URL, ending in /otlp")
        if self.aws_otlp_endpoints and not self.profile.signs_otlp:
            out.append(
                f"{self.profile.distribution.title} has no otlphttp exporter with sigv4auth "
                "for the AWS OTLP endpoints"
            )
        classic_logs = not self.aws_otlp_endpoints
        if self.cloudwatch_logs and classic_logs and not self.profile.has_cloudwatch_logs:
            out.append(
                f"{self.profile.distribution.title} has no awscloudwatchlogs exporter; "
                f"target {self.target!r} cannot send logs to CloudWatch Logs"
            )
        out.extend(self._telemetry_problems())
        return out

    def _telemetry_problems(self) -> list[str]:
        if self.telemetry is None:
            return []
        out = []
        if not self.profile.processes:
            out.append(
                f"{self.profile.distribution.title} runs no processors to label metrics "
                f"with their service; target {self.target!r} cannot publish a service's "
                "declared metrics (on Lambda otelkit writes them as EMF itself)"
            )
        # ID keys are allowed here: the model names its dimensions one by one, as a call
        # such as count(..., project_id=p) does for a bounded set.
        for metric in self.telemetry.metrics:
            for dims in metric.dimension_sets:
                if len(dims) > MAX_EMF_DIMENSIONS:
                    out.append(f"{metric.name}: a dimension set exceeds {MAX_EMF_DIMENSIONS} keys")
        return out

    @property
    def namespace(self) -> str:
        """The CloudWatch namespace the ``awsemf`` exporter publishes in."""
        return self.emf_namespace if self.telemetry is None else self.telemetry.namespace

    def publishes(self) -> tuple[str, ...]:
        """Comment lines saying what the ``awsemf`` exporter publishes."""
        if self.telemetry is None:
            sets = "; ".join(f"[{', '.join(dims)}]" for dims in self.dimension_sets)
            own = (
                "Alarms on a service's own metrics: `otelkit collector render --model OPS_MODEL`."
                if self.profile.processes
                else "A function's own metrics: otelkit writes them as EMF (OTELKIT_EMF_NAMESPACE)."
            )
            return (f"Publishes every metric in namespace {self.namespace!r}, by {sets}.", own)
        names = ", ".join(m.name for m in self.telemetry.metrics)
        return (
            f"Publishes what {self.telemetry.service!r} declares, in namespace "
            f"{self.namespace!r}: {names}.",
        )

    @property
    def profile(self) -> Profile:
        """What the target renders, and with which defaults."""
        return profile_named(self.target)

    @property
    def indexed_attributes(self) -> tuple[str, ...]:
        """What X-Ray indexes as annotations: the ID keys, then the annotation keys."""
        extra = tuple(key for key in self.annotation_keys if key not in self.id_keys)
        return (*self.id_keys, *extra)

    @property
    def base_dimensions(self) -> list[str]:
        """The dimensions every metric keeps: which service, which environment."""
        return [self.service_attribute, self.environment_attribute]

    @property
    def dimension_sets(self) -> list[list[str]]:
        """The declared EMF dimension sets (each one is billed per value combination)."""
        base = self.base_dimensions
        return [base] + [[*base, key] for key in self.extra_dimensions]

    def log_groups(self) -> list[str]:
        """Every log group the collector writes to (what the IAM policy must allow)."""
        groups = [self.emf_log_group] if self.profile.metrics_to == "log_group" else []
        if self.cloudwatch_logs:
            groups.append(self.cloudwatch_log_group)
        return groups


def model_for(target: Target, **overrides: object) -> CollectorModel:
    """The shipped defaults for ``target`` (its profile's), with ``overrides`` applied."""
    profile = profile_named(target)
    defaults: dict[str, object] = {
        "target": target,
        "bind_host": profile.bind_host,
        "region": profile.region,
        "loki_endpoint": profile.loki_endpoint,
    }
    defaults.update(overrides)
    return CollectorModel(**defaults)  # type: ignore[arg-type]
