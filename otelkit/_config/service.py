"""Settings of the service and its pipeline: who it is, where telemetry goes, sampling,
security, metrics and runtime endpoints. The log-line settings extend these in
``_settings.py``; together they are the one table (see its docstring).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otelkit._config import emf_parsers
from otelkit._config.parsers import (
    choice,
    choices,
    flag,
    level,
    lowercase_names,
    millis_as_seconds,
    names,
    nonblank,
    port,
    positive,
    rate,
    ratio,
    resource_attribute,
    text,
    trusted_callers,
    url,
)
from otelkit._config.spec import Computed, EnvAlias, setting

# The parser of both address rules, by a name no field of the class below shadows.
_address_rule = trusted_callers
PROTOCOLS = ("http/protobuf", "grpc")
#: ``OTEL_TRACES_SAMPLER`` values: the SDK specification's built-in samplers.
SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)
#: ``OTEL_{TRACES,LOGS}_EXPORTER`` values (metrics also take ``prometheus``).
EXPORTERS = ("otlp", "console", "none")
_RESOURCE = "OTEL_RESOURCE_ATTRIBUTES"


def _signal_protocol(signal: str) -> str:
    return setting(
        parse=choice(PROTOCOLS),
        default=Computed(lambda r: str(r["protocol"]), "`protocol`"),
        env=(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL",),
        keyword=False,
        doc=f"OTLP protocol of {signal} alone.",
    )


def _signal_timeout(signal: str) -> float:
    return setting(
        parse=positive,
        default=Computed(lambda r: float(r["export_timeout"]), "`export_timeout`"),
        env=(EnvAlias(f"OTEL_EXPORTER_OTLP_{signal.upper()}_TIMEOUT", millis_as_seconds),),
        keyword=False,
        doc=f"Seconds one export of {signal} may take (the variable is in milliseconds).",
    )


def _signal_exporters(signal: str, allowed: tuple[str, ...], doc: str) -> tuple[str, ...] | None:
    return setting(
        parse=choices(allowed),
        default=None,
        env=(f"OTEL_{signal.upper()}_EXPORTER",),
        keyword=False,
        shown="(unset: otlp with an endpoint, else console)",
        doc=doc,
    )


#: Environments that count as development: DEBUG logs, pretty lines on a terminal.
DEV_ENVIRONMENTS = frozenset({"dev", "development", "local"})
#: Environments that count as production: sampled traces (a reservoir plus 5 %).
PRODUCTION_ENVIRONMENTS = frozenset({"prod", "production"})


def is_dev(resolved: Mapping[str, Any]) -> bool:
    """Whether the environment resolved so far counts as development."""
    return str(resolved["environment"]).lower() in DEV_ENVIRONMENTS


def is_production(resolved: Mapping[str, Any]) -> bool:
    """Whether the environment resolved so far counts as production."""
    return str(resolved["environment"]).lower() in PRODUCTION_ENVIRONMENTS


def _runtime_extra() -> bool:
    """Whether the Prometheus reader can be built here, and a server could serve it: the
    ``runtime`` extra is installed and this is not a Lambda function."""
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return False
    try:
        return all(
            importlib.util.find_spec(name) is not None
            for name in ("prometheus_client", "opentelemetry.exporter.prometheus")
        )
    except (ImportError, ValueError):  # a parent package is broken or half installed
        return False


def _emf_only(resolved: Mapping[str, Any]) -> bool:
    """Whether metrics go only to EMF: they never enter the SDK then, and a reader kept
    for a scrape that may never come would put every measurement through it."""
    return bool(resolved["emf_namespace"]) and not (resolved["endpoint"] or resolved["console"])


# Never built itself: ``Settings`` generates the methods over both parts, so generating
# them here too would only cost import time (frozen, as a frozen subclass needs).
@dataclass(frozen=True, init=False, repr=False, eq=False)
class ServiceSettings:
    """The settings other than log lines, resolved top to bottom (a ``Computed`` default may
    read the ones above it)."""

    service_name: str = setting(
        parse=nonblank,
        default="unknown_service",
        env=(
            "OTEL_SERVICE_NAME",
            EnvAlias(_RESOURCE, resource_attribute("service.name")),
            "AWS_LAMBDA_FUNCTION_NAME",
        ),
        doc="`service.name` on every signal; the Loki `service_name` label. "
        "`service.name` in `OTEL_RESOURCE_ATTRIBUTES` counts too.",
    )
    service_version: str | None = setting(
        parse=text,
        default=None,
        env=("OTEL_SERVICE_VERSION", EnvAlias(_RESOURCE, resource_attribute("service.version"))),
        doc="`service.version` resource attribute.",
    )
    lambda_function: str | None = setting(
        parse=text,
        default=None,
        env=("AWS_LAMBDA_FUNCTION_NAME",),
        keyword=False,
        doc="The Lambda function this process runs as (the runtime sets it). Console "
        "output is off there by default.",
    )
    lambda_extension: bool = setting(
        parse=flag,
        default=True,
        env=("OTELKIT_LAMBDA_EXTENSION",),
        keyword=False,
        doc="On Lambda, `lambda_handler` registers an internal extension at init and "
        "flushes after the response is returned (the caller does not wait for export); "
        "`false` flushes before the handler returns.",
    )
    lambda_request_telemetry: bool = setting(
        parse=flag,
        # Lambda's REPORT line and metrics (Duration, Errors) and API Gateway's (Latency,
        # 4XX/5XX) already say it; Powertools writes neither. 2.2 KB an invocation.
        default=Computed(lambda r: not r["lambda_function"], "off on Lambda, else on"),
        env=("OTELKIT_LAMBDA_REQUEST_TELEMETRY",),
        keyword=False,
        doc='HTTP invocations of a `lambda_handler` write the "Request started"/"Request '
        'completed" lines, the `http.server.*` metrics and the slow-request check, as the '
        "ASGI/WSGI middleware does. Off in the Lambda runtime unless set.",
    )
    environment: str = setting(
        parse=nonblank,
        # A deployed function is billed for every DEBUG line and sampled trace: on Lambda
        # an unset environment is production, not a developer's machine.
        default=Computed(
            lambda r: "prod" if r["lambda_function"] else "dev", "prod on Lambda, else dev"
        ),
        env=(
            "DEPLOYMENT_ENV",
            "STAGE",
            EnvAlias(
                _RESOURCE,
                resource_attribute("deployment.environment.name", "deployment.environment"),
            ),
        ),
        doc="`deployment.environment` and the `environment` log field. `dev`, "
        "`development` and `local` count as development. `deployment.environment.name` "
        "in `OTEL_RESOURCE_ATTRIBUTES` counts too.",
    )
    sdk_disabled: bool = setting(
        parse=flag,
        default=False,
        env=("OTEL_SDK_DISABLED",),
        keyword=False,
        doc="Keep log lines on stdout but build no exporters and send nothing anywhere.",
    )
    endpoint: str | None = setting(
        parse=url,
        default=None,
        env=("OTEL_EXPORTER_OTLP_ENDPOINT",),
        doc="OTLP collector base URL; unset means no network at all.",
    )
    traces_endpoint: str | None = setting(
        parse=url,
        default=None,
        env=("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",),
        doc="Full OTLP/HTTP URL for traces alone, e.g. "
        "`https://xray.eu-west-1.amazonaws.com/v1/traces` (agentless; needs "
        "CloudWatch Transaction Search). Wins over `endpoint` for traces.",
    )
    logs_endpoint: str | None = setting(
        parse=url,
        default=None,
        env=("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",),
        doc="Full OTLP/HTTP URL for logs alone, e.g. "
        "`https://logs.eu-west-1.amazonaws.com/v1/logs` with the log group and stream "
        "in `OTEL_EXPORTER_OTLP_LOGS_HEADERS=x-aws-log-group=…,x-aws-log-stream=…`.",
    )
    aws_sigv4: bool | None = setting(
        parse=flag,
        default=None,
        env=("OTELKIT_AWS_SIGV4",),
        shown="on for the AWS OTLP endpoints",
        doc="Sign OTLP/HTTP exports with SigV4 from the AWS credentials (service `xray` for "
        "traces, `logs` for logs). On by itself for `xray.<region>.amazonaws.com` and "
        "`logs.<region>.amazonaws.com`; `true` forces it for any endpoint, `false` turns "
        "it off. Metrics are not sent to a signed endpoint: use `emf_namespace`.",
    )
    protocol: str = setting(
        parse=choice(PROTOCOLS),
        default="http/protobuf",
        env=("OTEL_EXPORTER_OTLP_PROTOCOL",),
        doc="`http/protobuf` or `grpc` (needs the `grpc` extra).",
    )
    console: bool = setting(
        parse=flag,
        env=("OTELKIT_CONSOLE",),
        default=Computed(
            lambda r: not (r["endpoint"] or r["traces_endpoint"] or r["lambda_function"]),
            "on without endpoint, off on Lambda",
        ),
        doc="Print finished span trees and a metrics summary for humans (stderr). On "
        "Lambda they would be billed CloudWatch Logs lines on every invocation.",
    )
    emf_namespace: str | None = setting(
        parse=emf_parsers.namespace,
        default=None,
        env=("OTELKIT_EMF_NAMESPACE",),
        shown="(unset: off)",
        doc="Also write metrics to stdout as CloudWatch EMF documents in this namespace: "
        "metrics from Lambda or a batch job with no collector. 1-255 characters from "
        "letters, digits, space and `. - _ / # :`, not starting with `:` or `AWS/`; "
        "anything else is a `ValueError`.",
    )
    emf_storage_resolution: int = setting(
        parse=emf_parsers.storage_resolution,
        default=60,
        env=("OTELKIT_EMF_STORAGE_RESOLUTION",),
        doc="`1` writes every EMF metric as a high-resolution metric (`StorageResolution` "
        "1: per-second data, billed as such); `60` (standard, one-minute data) leaves "
        "it out of the documents.",
    )
    emf_stage_dimension: bool = setting(
        parse=flag,
        default=False,
        env=("OTELKIT_EMF_STAGE_DIMENSION",),
        doc="Give every metric otelkit writes as EMF a `Stage` dimension holding the "
        "environment (`STAGE`: `dev`, `stage`, `prod`), as CloudWatch dashboards per stage "
        "expect.",
    )
    instrument: tuple[str, ...] | None = setting(
        parse=names,
        default=None,
        env=("OTELKIT_INSTRUMENT",),
        shown="botocore,httpx (those installed)",
        doc="Comma-separated integrations to turn on: `botocore`, `httpx`, `requests`, `redis`, "
        "`fastapi`, `starlette`, `flask`, `django`, `sqlalchemy`, `sqlite3`, `psycopg`, "
        "`psycopg2`, `grpc`, `celery`, `logging` (each needs the extra of its name; see "
        "[Instrumentations](instrumentations.md)).",
    )
    traces_sampler: str | None = setting(
        parse=choice(SAMPLERS),
        default=None,
        env=("OTEL_TRACES_SAMPLER",),
        keyword=False,
        shown="(unset: parent-based, reservoir then `sample_rate`)",
        doc="One of the specification's samplers: `always_on`, `always_off`, `traceidratio`, "
        "`parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio` "
        "(the ratio is `sample_rate`). Any other value is a `ValueError`.",
    )
    sample_rate: float = setting(
        parse=ratio,
        env=("OTELKIT_SAMPLE_RATE", "OTEL_TRACES_SAMPLER_ARG"),
        default=Computed(
            lambda r: 0.05 if is_production(r) and not r["traces_sampler"] else 1.0,
            "0.05 in prod/production without `OTEL_TRACES_SAMPLER`, else 1.0",
        ),
        doc="Parent-based head sampling ratio, 0.0-1.0, for root traces the reservoir "
        "did not take.",
    )
    sample_min_per_second: float = setting(
        parse=rate,
        env=("OTELKIT_SAMPLE_MIN_PER_SECOND",),
        default=Computed(
            lambda r: 1.0 if is_production(r) and not r["traces_sampler"] else 0.0,
            "1 in prod/production without `OTEL_TRACES_SAMPLER`, else 0",
        ),
        doc="Reservoir: this many root traces per second are always sampled, before "
        "`sample_rate` applies to the rest (X-Ray's default rule is 1/s + 5%).",
    )
    slow_request_ms: float | None = setting(
        parse=positive,
        default=None,
        env=("OTELKIT_SLOW_REQUEST_MS",),
        shown="(unset: off)",
        doc='HTTP requests slower than this many milliseconds write a "Slow request" '
        "WARNING line naming the route and count in `http.server.slow_requests`.",
    )
    request_field_aliases: bool = setting(
        parse=flag,
        default=False,
        env=("OTELKIT_REQUEST_FIELD_ALIASES",),
        doc='"Request completed" lines also carry `endpoint` (the route, else the path), '
        "`status_code` and `duration` (seconds), the names structlog-style request logs "
        "use, beside otelkit's `route`, `status` and `latency_ms`.",
    )
    resource_detectors: tuple[str, ...] = setting(
        parse=lowercase_names,
        default=("auto",),
        env=("OTELKIT_RESOURCE_DETECTORS",),
        shown="auto",
        doc="`auto` (only where the environment shows the platform), `none`, or a list of "
        "`lambda,ecs,eks,ec2`.",
    )
    propagate_to: tuple[str, ...] | None = setting(
        parse=names,
        default=None,
        env=("OTELKIT_PROPAGATE_TO",),
        shown="(none)",
        doc="Comma-separated host patterns (fnmatch) that also receive trace headers and IDs "
        "over HTTP. Loopback, private IP addresses, localhost, *.internal, *.local, "
        "*.svc, *.svc.cluster.local and *.consul always do.",
    )
    private_ids: tuple[str, ...] | None = setting(
        parse=names,
        default=None,
        env=("OTELKIT_PRIVATE_IDS",),
        shown="user_id",
        doc="Comma-separated ID keys that are logged here but never sent to another process.",
    )
    scrub: bool = setting(
        parse=flag,
        default=True,
        env=("OTELKIT_SCRUB",),
        doc="Redact secrets wherever data leaves the process: fields whose names look secret "
        "(password, token, authorization…) and values that do (JWTs, AWS keys, bearer "
        "credentials, `user:pass@` URLs, card numbers…). See [Security](security.md).",
    )
    redact_keys: tuple[str, ...] = setting(
        parse=names,
        default=(),
        env=("OTELKIT_REDACT_KEYS",),
        shown="(none)",
        doc="Comma-separated extra words that make a field name secret (case-insensitive, "
        "anywhere in the name), e.g. `ssn,iban`.",
    )
    trusted_callers: tuple[str, ...] | None = setting(
        parse=trusted_callers,
        default=None,
        env=("OTELKIT_TRUSTED_CALLERS",),
        shown="private",
        doc="Whose incoming trace context, baggage IDs and sampling decision are believed: "
        "`private` (loopback/private peers with no public X-Forwarded-For hop), `all`, "
        "`none`, or comma-separated IP addresses/networks. See [Security](security.md).",
    )
    trusted_proxies: tuple[str, ...] | None = setting(
        parse=_address_rule,
        default=None,
        env=("OTELKIT_TRUSTED_PROXIES",),
        shown="private",
        doc="Whose `X-Forwarded-For` is believed when finding a request's `client_ip` (the "
        "rightmost hop no such proxy added): `private` (loopback/private peers), `all`, "
        "`none`, or comma-separated IP addresses/networks. See [Security](security.md).",
    )
    untrusted_correlation_ids: str = setting(
        parse=choice(("accept", "reissue")),
        default="accept",
        env=("OTELKIT_UNTRUSTED_CORRELATION_IDS",),
        doc="What an untrusted caller's `X-Correlation-ID`/`X-Request-ID` becomes: `accept` "
        "binds and echoes it (once checked); `reissue` replaces it with a new ID, so no "
        "caller can join another's correlation ID. See [Security](security.md).",
    )
    export_timeout: float = setting(
        parse=positive,
        default=10.0,
        env=("OTELKIT_EXPORT_TIMEOUT", EnvAlias("OTEL_EXPORTER_OTLP_TIMEOUT", millis_as_seconds)),
        shown="10",
        doc="Seconds one export may take before it is abandoned "
        "(`OTEL_EXPORTER_OTLP_TIMEOUT` is in milliseconds).",
    )
    on_full: str = setting(
        parse=choice(("drop", "block")),
        default="drop",
        env=("OTELKIT_ON_FULL",),
        doc="When a span or log record finds its export queue full (8,192 items, in a "
        "burst the export thread cannot keep up with): `drop` the oldest item (counted); "
        "`block` the calling thread until the export thread makes room, for at most "
        "`on_full_timeout`, then drop (counted). Never blocks while the collector is "
        "away, nor on Lambda. See [Reliability](reliability.md).",
    )
    on_full_timeout: float = setting(
        parse=positive,
        default=1.0,
        env=("OTELKIT_ON_FULL_TIMEOUT",),
        shown="1",
        doc="With `on_full=block`: the longest one call waits for room in the queue.",
    )
    exit_timeout: float = setting(
        parse=positive,
        default=0.5,
        env=("OTELKIT_EXIT_TIMEOUT",),
        shown="0.5",
        doc="Seconds the interpreter's exit (and SIGTERM, and a fork-started "
        "`multiprocessing` worker's end) waits for the last export; "
        "raise it for a program that exits right after a burst.",
    )
    lambda_single_record: str = setting(
        parse=choice(("link", "continue")),
        default="link",
        env=("OTELKIT_LAMBDA_SINGLE_RECORD",),
        doc="For a Lambda invocation with one SQS/SNS (or Kafka, MQ) record: `link` starts "
        "a new trace linked to the producer's (the messaging conventions' batch "
        "model); `continue` makes the invocation a child of the producer's span, so "
        "a one-message hop is one trace end to end.",
    )
    metrics_port: int | None = setting(
        parse=port,
        default=None,
        env=("METRICS_PORT",),
        shown="(unset: no server)",
        doc="Serve `/health`, `/metrics` (Prometheus) and `/stats` on this port from "
        "`configure()` (0: any free port). Needs the `runtime` extra.",
    )
    metrics_host: str = setting(
        parse=text,
        default="127.0.0.1",
        env=("METRICS_HOST",),
        doc="Address the runtime endpoints listen on; `0.0.0.0` for a Prometheus scraping "
        "from outside the container.",
    )
    prometheus: bool = setting(
        parse=flag,
        default=Computed(
            lambda r: r["metrics_port"] is not None or (_runtime_extra() and not _emf_only(r)),
            "on with metrics_port, or with the `runtime` extra installed (not on Lambda, "
            "not when metrics go only to EMF)",
        ),
        env=("OTELKIT_PROMETHEUS",),
        doc="Keep metrics for a Prometheus scrape of `/metrics` (the OpenTelemetry "
        "Prometheus reader) from `configure()` on, so the first scrape serves every "
        "count made before `start_http_server()`.",
    )
    system_metrics: bool = setting(
        parse=flag,
        default=False,
        env=("OTELKIT_SYSTEM_METRICS",),
        doc="Record the process's CPU, memory, threads, open file descriptors, context "
        "switches and GC collections, and the host's memory utilization, with the other "
        "metrics (OpenTelemetry's system-metrics instrumentation; the `system-metrics` "
        "extra).",
    )
    strict: bool = setting(
        parse=flag,
        default=False,
        env=("OTELKIT_STRICT",),
        keyword=False,
        doc="Re-raise otelkit's internal errors instead of reporting them once on stderr "
        "(read when an error happens). For otelkit's own tests; not for production.",
    )

    # The OpenTelemetry SDK specification's variables that have no keyword: per signal,
    # the exporters, the endpoint, protocol and timeout; then temporality and propagators.
    traces_exporter: tuple[str, ...] | None = _signal_exporters(
        "traces",
        EXPORTERS,
        "`otlp`, `console` and/or `none` for spans: `otlp` alone sends to the endpoint "
        "(`http://localhost:4318` if none is set) and prints no span trees.",
    )
    metrics_exporter: tuple[str, ...] | None = _signal_exporters(
        "metrics",
        (*EXPORTERS, "prometheus"),
        "`otlp`, `console`, `prometheus` and/or `none` for metrics (`prometheus`: "
        "as `prometheus=true`).",
    )
    logs_exporter: tuple[str, ...] | None = _signal_exporters(
        "logs",
        EXPORTERS,
        "`otlp` and/or `none` for OTLP log records; `console` is accepted: the stdout "
        "lines are governed by `log_stdout`.",
    )
    metrics_endpoint: str | None = setting(
        parse=url,
        default=None,
        env=("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",),
        keyword=False,
        doc="Full OTLP/HTTP URL for metrics alone. Wins over `endpoint` for metrics.",
    )
    traces_protocol: str = _signal_protocol("traces")
    metrics_protocol: str = _signal_protocol("metrics")
    logs_protocol: str = _signal_protocol("logs")
    traces_timeout: float = _signal_timeout("traces")
    metrics_timeout: float = _signal_timeout("metrics")
    logs_timeout: float = _signal_timeout("logs")
    metrics_temporality: str | None = setting(
        parse=choice(("cumulative", "delta", "lowmemory")),
        default=None,
        env=("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",),
        keyword=False,
        shown="(unset: otelkit's default)",
        doc="Aggregation temporality of OTLP metrics: `cumulative`, `delta` or `lowmemory`, "
        "as the specification defines them.",
    )
    propagators: tuple[str, ...] | None = setting(
        parse=lowercase_names,
        default=None,
        env=("OTEL_PROPAGATORS",),
        keyword=False,
        shown="xray,tracecontext,baggage",
        doc="Trace context formats read and written: `tracecontext`, `xray`, `baggage` "
        "(the bound IDs), `none`, or any installed `opentelemetry_propagator` "
        "(`b3`, `b3multi`, `jaeger`…).",
    )
    otel_log_level: str | None = setting(
        parse=level,
        default=None,
        env=("OTEL_LOG_LEVEL",),
        keyword=False,
        shown="(unset: WARNING)",
        doc="Level of otelkit's and the OpenTelemetry SDK's own diagnostics "
        "(the `otelkit` and `opentelemetry` loggers).",
    )
