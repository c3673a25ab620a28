"""Which component types each collector distribution ships, and which signals they take.

The tables are the checker's ground truth. They list only what the distribution builds
in, because a config naming anything else fails at collector start-up, far from the
person who wrote it:

* ADOT collector v0.49.0 (``pkg/defaultcomponents`` in aws-otel-collector, built on
  collector-contrib v0.156.0).
* The ADOT Lambda layer (``adot/collector/lambdacomponents`` in aws-otel-lambda): an OTLP
  receiver, a handful of exporters, ``sigv4auth`` and no processors at all.

Type names are the pre-v0.156 spellings (``otlphttp``, ``resourcedetection``). v0.156
renamed some of them but keeps the old names as aliases, while the Lambda layer only
knows the old ones, so one vocabulary serves both.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Kind = Literal["receivers", "processors", "exporters", "extensions", "connectors"]
Signal = Literal["traces", "metrics", "logs"]
DistributionName = Literal["adot", "lambda"]

T: frozenset[Signal] = frozenset({"traces"})
M: frozenset[Signal] = frozenset({"metrics"})
L: frozenset[Signal] = frozenset({"logs"})
TL: frozenset[Signal] = frozenset({"traces", "logs"})
ALL: frozenset[Signal] = frozenset({"traces", "metrics", "logs"})

#: ADOT collector v0.49.0: component type -> signals it accepts.
_ADOT: dict[Kind, dict[str, frozenset[Signal]]] = {
    "receivers": {
        "otlp": ALL,
        "awsxray": T,
        "statsd": M,
        "prometheus": M,
        "filelog": L,
        "jaeger": T,
        "zipkin": T,
        "kafka": ALL,
        "awsecscontainermetrics": M,
        "awscontainerinsightreceiver": M,
    },
    "processors": {
        "batch": ALL,
        "memory_limiter": ALL,
        "resourcedetection": ALL,
        "resource": ALL,
        "attributes": ALL,
        "filter": ALL,
        "k8sattributes": ALL,
        "probabilistic_sampler": TL,
        "tail_sampling": T,
        "groupbytrace": T,
        "span": T,
        "metricstransform": M,
        "metricsgeneration": M,
        "cumulativetodelta": M,
        "deltatorate": M,
    },
    "exporters": {
        "awsxray": T,
        "awsemf": M,
        "awscloudwatchlogs": L,
        "otlp": ALL,
        "otlphttp": ALL,
        "prometheus": M,
        "prometheusremotewrite": M,
        "file": ALL,
        "debug": ALL,
        "kafka": ALL,
        "loadbalancing": ALL,
    },
    "extensions": {
        "health_check": frozenset(),
        "sigv4auth": frozenset(),
        "awsproxy": frozenset(),
        "pprof": frozenset(),
        "zpages": frozenset(),
        "file_storage": frozenset(),
        "ecs_observer": frozenset(),
    },
    "connectors": {},
}

#: ADOT Lambda layer: the reduced build that runs as a Lambda extension.
_LAMBDA: dict[Kind, dict[str, frozenset[Signal]]] = {
    "receivers": {"otlp": ALL},
    "processors": {},
    "exporters": {
        "awsxray": T,
        "awsemf": M,
        "otlp": ALL,
        "otlphttp": ALL,
        "debug": ALL,
        "prometheusremotewrite": M,
    },
    "extensions": {"sigv4auth": frozenset()},
    "connectors": {},
}

#: Names people reach for that are not (or no longer) a type, with what to use instead.
_HINTS: dict[str, str] = {
    "loki": "no 'loki' exporter ships; send logs with 'otlphttp' to Loki's '/otlp' endpoint",
    "logging": "'logging' was removed; use 'debug'",
    "otlp_http": "use the older alias 'otlphttp', which every ADOT build understands",
    "resource_detection": "use the older alias 'resourcedetection'",
    "memorylimiter": "the type is 'memory_limiter'",
    "healthcheck": "the type is 'health_check'",
    "cloudwatchlogs": "the type is 'awscloudwatchlogs'",
    "xray": "the type is 'awsxray'",
    "emf": "the type is 'awsemf'",
}


@dataclass(frozen=True)
class Distribution:
    """One collector build: its name for messages and its component table."""

    name: DistributionName
    title: str
    table: dict[Kind, dict[str, frozenset[Signal]]]

    def knows(self, kind: Kind, type_name: str) -> bool:
        """Whether this build ships a component of ``kind`` called ``type_name``."""
        return type_name in self.table[kind]

    def signals(self, kind: Kind, type_name: str) -> frozenset[Signal]:
        """The signals a known component accepts (empty for extensions)."""
        return self.table[kind].get(type_name, frozenset())

    def suggest(self, kind: Kind, type_name: str) -> str:
        """A "did you mean" tail for an unknown type, or an empty string."""
        if type_name in _HINTS:
            return f" ({_HINTS[type_name]})"
        known = sorted(self.table[kind])
        close = difflib.get_close_matches(type_name, known, n=1, cutoff=0.6)
        if close:
            return f" (did you mean '{close[0]}'?)"
        if not known:
            return f" ({self.title} ships no {kind})"
        return f" (known: {', '.join(known)})"


ADOT = Distribution("adot", "ADOT collector v0.49", _ADOT)
LAMBDA = Distribution("lambda", "the ADOT Lambda layer", _LAMBDA)
DISTRIBUTIONS: dict[DistributionName, Distribution] = {"adot": ADOT, "lambda": LAMBDA}


def component_type(component_id: str) -> str:
    """The type part of a component ID: ``otlphttp/loki`` -> ``otlphttp``."""
    return component_id.split("/", 1)[0]
