"""The gateway tier: agents that route traces by trace ID to a pool of tail-sampling gateways.

A sidecar can only sample what it sees, and it sees one task's spans. Tail sampling
("keep every error trace, every slow trace, a share of the rest") needs every span of a
trace in one place, so the agents (the sidecars) send traces through the
``loadbalancing`` exporter, which hashes the trace ID onto a ring of gateways. Metrics
and logs need no such affinity and leave from the agents as before.

Both configs are derived from the sidecar's :class:`CollectorModel` through the public
``render_config``, so the X-Ray annotations, the memory limiter and the agent's metric
and log pipelines are the sidecar's, not copies of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal as TypingLiteral

from otelkit.collector._model import CollectorModel, model_for
from otelkit.collector._render import GENERATED, Config, Flow, dump_yaml, render_config

GatewayTarget = TypingLiteral["ecs", "eks"]
GATEWAY_TARGETS: tuple[GatewayTarget, ...] = ("ecs", "eks")

#: The gRPC port the gateways' OTLP receiver listens on (what the ring points at).
GATEWAY_PORT = 4317

#: Where the resolver finds the gateways: a Cloud Map DNS name on ECS, the headless
#: Service's name on Kubernetes. Both answer with one A record per healthy gateway.
DNS_NAMES: dict[GatewayTarget, str] = {
    "ecs": "gateway.otelkit.local",
    "eks": "otelkit-gateway.observability.svc.cluster.local",
}


@dataclass(frozen=True)
class GatewayModel:
    """What differs between gateway-tier deployments.

    Attributes:
        sidecar: The agents' model (target, region, ID keys, exporters); the gateways
            write to X-Ray with the same indexed annotations.
        dns_name: Name the agents' resolver looks up for the gateways' addresses.
        static_hostnames: ``host:port`` of each gateway; when given, the agents use
            this fixed list instead of DNS (a fixed fleet, or a test on loopback).
        sampling_percentage: Share of the traces that are neither failed nor slow kept.
        slow_threshold_ms: A trace at least this long (first start to last end) is kept.
        decision_wait: How long a gateway holds a trace's spans before deciding; must
            cover the app's and the agent's batching delays.
        num_traces: Traces held in memory at once (the main memory cost).
        decision_cache_size: Decided trace IDs remembered, so a late span follows its
            trace's decision.
    """

    sidecar: CollectorModel = field(default_factory=lambda: model_for("ecs"))
    dns_name: str = DNS_NAMES["ecs"]
    static_hostnames: tuple[str, ...] = ()
    sampling_percentage: float = 10.0
    slow_threshold_ms: int = 5000
    decision_wait: str = "30s"
    num_traces: int = 50_000
    decision_cache_size: int = 500_000

    def __post_init__(self) -> None:
        problems = []
        if self.sidecar.target not in GATEWAY_TARGETS:
            problems.append(f"the gateway tier runs on {' or '.join(GATEWAY_TARGETS)}")
        if not 0 < self.sampling_percentage <= 100:
            problems.append("sampling_percentage must be in (0, 100]")
        if self.slow_threshold_ms <= 0 or self.num_traces <= 0:
            problems.append("slow_threshold_ms and num_traces must be positive")
        if problems:
            raise ValueError("; ".join(problems))


def gateway_model_for(target: GatewayTarget, **overrides: object) -> GatewayModel:
    """The shipped gateway tier for ``target``, with ``overrides`` applied."""
    defaults: dict[str, object] = {"sidecar": model_for(target), "dns_name": DNS_NAMES[target]}
    defaults.update(overrides)
    return GatewayModel(**defaults)  # type: ignore[arg-type]


def agent_config(gateway: GatewayModel) -> Config:
    """The sidecar config with its traces sent to the gateways instead of X-Ray."""
    config = render_config(gateway.sidecar)
    traces = config["service"]["pipelines"]["traces"]
    exporters: Config = config["exporters"]
    for exporter in traces["exporters"]:
        del exporters[exporter]
    exporters["loadbalancing"] = _loadbalancing(gateway)
    traces["exporters"] = Flow(["loadbalancing"])
    # A signer only the X-Ray exporter used (the AWS OTLP path) goes with it.
    unused = _signers(config["extensions"]) - _authenticators(exporters)
    for extension in unused:
        del config["extensions"][extension]
    config["service"]["extensions"] = Flow(
        [e for e in config["service"]["extensions"] if e not in unused]
    )
    return config


def gateway_config(gateway: GatewayModel) -> Config:
    """A gateway: OTLP in from the agents, tail sampling, then the sidecar's trace exporter
    (``awsxray``, or X-Ray's OTLP endpoint with its signer)."""
    # The gateway serves other hosts' agents, so it listens on every interface.
    sidecar = render_config(replace(gateway.sidecar, bind_host="0.0.0.0"))  # noqa: S104
    traces_out = list(sidecar["service"]["pipelines"]["traces"]["exporters"])
    exporters = {name: sidecar["exporters"][name] for name in traces_out}
    # Reachable by the kubelet's probe and the ECS health check alike.
    extensions: Config = {"health_check": {"endpoint": "0.0.0.0:13133"}}
    for signer in sorted(_authenticators(exporters)):
        extensions[signer] = sidecar["extensions"][signer]
    return {
        "receivers": sidecar["receivers"],
        "processors": {
            "memory_limiter": sidecar["processors"]["memory_limiter"],
            "tail_sampling": _tail_sampling(gateway),
            "batch": sidecar["processors"]["batch"],
        },
        "exporters": exporters,
        "extensions": extensions,
        "service": {
            "extensions": Flow(list(extensions)),
            "pipelines": {
                "traces": {
                    "receivers": Flow(["otlp"]),
                    "processors": Flow(["memory_limiter", "tail_sampling", "batch"]),
                    "exporters": Flow(traces_out),
                }
            },
        },
    }


def _authenticators(exporters: Config) -> set[str]:
    return {
        settings["auth"]["authenticator"]
        for settings in exporters.values()
        if isinstance(settings.get("auth"), dict)
    }


def _signers(extensions: Config) -> set[str]:
    return {name for name in extensions if name.split("/")[0] == "sigv4auth"}


def _loadbalancing(gateway: GatewayModel) -> Config:
    if gateway.static_hostnames:
        resolver: Config = {"static": {"hostnames": list(gateway.static_hostnames)}}
    else:
        resolver = {
            "dns": {
                "hostname": gateway.dns_name,
                "port": str(GATEWAY_PORT),
                # A gateway that joins or leaves is seen within one interval.
                "interval": "5s",
                "timeout": "1s",
            }
        }
    return {
        # Every span of a trace goes to the same gateway, whichever agent sent it.
        "routing_key": "traceID",
        "protocol": {
            "otlp": {
                # Inside the VPC / cluster network; see docs/collector-gateway.md for TLS.
                "tls": {"insecure": True},
                "timeout": "5s",
                # A gateway that is briefly away (restart, rollout) is retried, not lost.
                "retry_on_failure": {"enabled": True, "max_elapsed_time": "60s"},
                "sending_queue": {"enabled": True, "queue_size": 5000},
            }
        },
        "resolver": resolver,
    }


def _tail_sampling(gateway: GatewayModel) -> Config:
    return {
        "decision_wait": gateway.decision_wait,
        "num_traces": gateway.num_traces,
        "decision_cache": {
            "sampled_cache_size": gateway.decision_cache_size,
            "non_sampled_cache_size": gateway.decision_cache_size,
        },
        # A trace is kept when any policy keeps it.
        "policies": [
            {
                "name": "errors",
                "type": "status_code",
                "status_code": {"status_codes": Flow(["ERROR"])},
            },
            {
                "name": "slow",
                "type": "latency",
                "latency": {"threshold_ms": gateway.slow_threshold_ms},
            },
            {
                "name": "share-of-the-rest",
                "type": "probabilistic",
                "probabilistic": {"sampling_percentage": gateway.sampling_percentage},
            },
        ],
    }


_HEADERS: dict[str, list[str]] = {
    "agent": [
        "ADOT collector v0.49 agent (sidecar) in front of a gateway tier.",
        "The sidecar config, except that traces go through the loadbalancing exporter,",
        "routed by trace ID, to the gateways (gateway-config.yaml) instead of X-Ray.",
        "Metrics and logs leave from here, as from the plain sidecar.",
        "See docs/collector-gateway.md. Environment: AWS_REGION, LOKI_URL.",
    ],
    "gateway": [
        "ADOT collector v0.49 gateway: tail sampling before X-Ray.",
        "Keeps every trace with an error span, every slow trace and a share of the",
        "rest. Run two or more behind the agents' resolver; see",
        "docs/collector-gateway.md for sizing. Environment: AWS_REGION.",
    ],
}


def agent_text(gateway: GatewayModel) -> str:
    """The agent config as written to ``collector/gateway/<target>/agent-config.yaml``."""
    return _with_header("agent", agent_config(gateway))


def gateway_text(gateway: GatewayModel) -> str:
    """The gateway config as written to ``collector/gateway/<target>/gateway-config.yaml``."""
    return _with_header("gateway", gateway_config(gateway))


def _with_header(role: str, config: Config) -> str:
    header = "".join(f"# {line}\n" for line in _HEADERS[role])
    return header + GENERATED + dump_yaml(config)
