"""One profile per collector target: everything that differs between where it runs.

The model, the renderer, the bundle and the CLI read the profile of the model's target
instead of comparing target names, so a new target is one entry in :data:`PROFILES`
(plus tests). Whether a target runs processors and a health check, or can send logs to
CloudWatch Logs, follows from the distribution it runs: the Lambda layer ships neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from otelkit.collector._components import ADOT, LAMBDA, Distribution

#: Where traces go: the X-Ray API through ``awsxray``, or a Jaeger over OTLP/gRPC.
TraceDestination = Literal["xray", "jaeger"]
#: Where EMF metric documents go: a CloudWatch log group, or the collector's stdout
#: (on Lambda the function's log group receives stdout; locally nothing reads it).
MetricDestination = Literal["log_group", "stdout"]
#: Files a target can render, by kind; ``_bundle`` maps each kind to its renderer.
Artifact = Literal[
    "config",
    "ecs_task_definition",
    "eks_manifest",
    "iam_policy",
    "compose",
    "loki_config",
    "grafana_datasources",
]

LOOPBACK = "127.0.0.1"
ENV_REGION = "${env:AWS_REGION}"
ENV_LOKI = "${env:LOKI_URL}/otlp"

_SIDECAR_ENV = "Environment: AWS_REGION, LOKI_URL (Loki base URL, without /otlp)."


@dataclass(frozen=True)
class Profile:
    """What one collector target renders, and with which defaults.

    Attributes:
        name: The target's name (``--target``) and its folder under ``collector/``.
        header: Comment lines at the top of its ``config.yaml``.
        distribution: The collector build it runs, which ``check`` validates against.
        artifacts: Relative output path -> which file is rendered there.
        detectors: ``resourcedetection`` detectors that work where it runs.
        traces_to: Where its traces go.
        metrics_to: Where its EMF documents go.
        bind_host: Default listen address of the OTLP receivers.
        region: Default AWS region.
        loki_endpoint: Default Loki OTLP base URL.
    """

    name: str
    header: tuple[str, ...]
    distribution: Distribution
    artifacts: tuple[tuple[str, Artifact], ...]
    detectors: tuple[str, ...] = ("env",)
    traces_to: TraceDestination = "xray"
    metrics_to: MetricDestination = "log_group"
    bind_host: str = LOOPBACK
    region: str = ENV_REGION
    loki_endpoint: str = ENV_LOKI

    @property
    def processes(self) -> bool:
        """Whether its pipelines run processors and it serves a health check."""
        return self.distribution.knows("processors", "batch") and self.distribution.knows(
            "extensions", "health_check"
        )

    @property
    def has_cloudwatch_logs(self) -> bool:
        """Whether its distribution can send logs to CloudWatch Logs."""
        return self.distribution.knows("exporters", "awscloudwatchlogs")

    @property
    def signs_otlp(self) -> bool:
        """Whether its distribution can reach the AWS OTLP endpoints (otlphttp + SigV4)."""
        return self.distribution.knows("exporters", "otlphttp") and self.distribution.knows(
            "extensions", "sigv4auth"
        )


def _sidecar_artifacts(
    name: str, manifest: tuple[str, Artifact]
) -> tuple[tuple[str, Artifact], ...]:
    return (
        (f"{name}/config.yaml", "config"),
        manifest,
        ("iam/collector-policy.json", "iam_policy"),
    )


#: Every target otelkit renders, by name. Adding a target is adding an entry here.
PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            name="ecs",
            header=(
                "ADOT collector v0.49 sidecar for ECS (Fargate and EC2 launch types).",
                "Needs awsvpc networking so the app reaches it on 127.0.0.1. To accept",
                "telemetry from other hosts (bridge mode, a shared gateway), re-render with",
                "--bind 0.0.0.0 and restrict the ports with a security group.",
                _SIDECAR_ENV,
            ),
            distribution=ADOT,
            artifacts=_sidecar_artifacts(
                "ecs", ("ecs/task-definition.json", "ecs_task_definition")
            ),
            detectors=("env", "ecs"),
        ),
        Profile(
            name="eks",
            header=(
                "ADOT collector v0.49 as a pod sidecar on EKS (see sidecar.yaml).",
                "Containers in a pod share the loopback, so receivers stay on 127.0.0.1. To",
                "serve other pods, re-render with --bind 0.0.0.0 and add a Service and a",
                "NetworkPolicy.",
                _SIDECAR_ENV,
            ),
            distribution=ADOT,
            artifacts=_sidecar_artifacts("eks", ("eks/sidecar.yaml", "eks_manifest")),
            detectors=("env", "eks"),
        ),
        Profile(
            name="lambda",
            header=(
                "ADOT Lambda layer collector: OTLP receiver, exporters only (the layer",
                "ships no processors and no health_check). EMF goes to stdout, which",
                "Lambda writes to the function's own log group, where CloudWatch extracts",
                "the metrics. Point OPENTELEMETRY_COLLECTOR_CONFIG_URI at this file.",
                "Environment: AWS_REGION (set by Lambda), LOKI_URL.",
            ),
            distribution=LAMBDA,
            artifacts=(("lambda/config.yaml", "config"),),
            metrics_to="stdout",
        ),
        Profile(
            name="local",
            header=(
                "Local development stack (collector/local/docker-compose.yaml).",
                "Listens on all interfaces inside its container; compose publishes the",
                "ports on the host's 127.0.0.1 only. Traces go to Jaeger instead of X-Ray,",
                "EMF metrics are printed to the collector's stdout, logs go to Loki.",
            ),
            distribution=ADOT,
            artifacts=(
                ("local/config.yaml", "config"),
                ("local/docker-compose.yaml", "compose"),
                ("local/loki.yaml", "loki_config"),
                (
                    "local/grafana/provisioning/datasources/datasources.yaml",
                    "grafana_datasources",
                ),
            ),
            traces_to="jaeger",
            metrics_to="stdout",
            # The collector runs in a container whose ports compose publishes on the
            # host's loopback only, so inside the container it listens everywhere; the
            # region is fixed because nothing there talks to AWS.
            bind_host="0.0.0.0",  # noqa: S104 - container-internal, published to loopback
            region="us-east-1",
            loki_endpoint="http://loki:3100/otlp",
        ),
    )
}


def unknown_target(name: str) -> str:
    """The message for a target name no profile has."""
    return f"unknown collector target {name!r} (known: {', '.join(sorted(PROFILES))})"


def profile_named(name: str) -> Profile:
    """The profile of target ``name``; a ``ValueError`` naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(unknown_target(name)) from None


def distribution_for_path(parts: tuple[str, ...]) -> Distribution:
    """The distribution a config file is checked against, from the folders it sits in:
    the innermost folder named after a target picks that target's build."""
    for part in reversed(parts[:-1]):
        if part in PROFILES:
            return PROFILES[part].distribution
    return ADOT
