"""The table of otelkit's settings: the one place that says what each setting is.

Each field of ``Settings`` is one setting, declared with ``setting(...)``: its type, parser,
default (a value, or ``Computed`` from settings above it), environment variables in order
of precedence, and doc. ``resolve`` reads the table and nothing else: an explicit
``configure()`` argument wins, then the first environment variable that is set, then the
default. The configuration reference in docs/ is generated from the table (``make docs``).

To add a setting: add a field here, and a keyword of the same name and type to
``configure()`` (unless it is ``keyword=False``: environment only). Nothing else.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from otelkit import _emf_rules as emf_rules
from otelkit._log_formats import FORMATS, LOG_FORMATS
from otelkit._setting_parsers import (
    LOG_LEVELS,
    choice,
    fields,
    flag,
    level,
    lowercase_names,
    names,
    port,
    positive,
    rate,
    ratio,
    text,
    trusted_callers,
    url,
    whole,
)
from otelkit._setting_spec import Computed, EnvAlias, Setting, setting, specs

__all__ = ["LOG_FORMATS", "LOG_LEVELS", "SETTINGS", "Settings", "resolve", "setting"]

PROTOCOLS = ("http/protobuf", "grpc")
#: Environments that count as development: DEBUG logs, pretty lines on a terminal.
DEV_ENVIRONMENTS = frozenset({"dev", "development", "local"})
#: Environments that count as production: sampled traces (a reservoir plus 5 %).
PRODUCTION_ENVIRONMENTS = frozenset({"prod", "production"})


def _is_dev(resolved: Mapping[str, Any]) -> bool:
    return str(resolved["environment"]).lower() in DEV_ENVIRONMENTS


def _is_production(resolved: Mapping[str, Any]) -> bool:
    return str(resolved["environment"]).lower() in PRODUCTION_ENVIRONMENTS


def _structured_logging(name: str, value: str) -> str | None:
    """``STRUCTURED_LOGGING=false`` means ``text``; ``true`` leaves the format as it is."""
    return None if flag(name, value) else "text"


@dataclass(frozen=True)
class Settings:
    """Every setting, resolved: what ``configure()`` builds the pipeline from.

    Fields are resolved top to bottom, so a ``Computed`` default may read the ones above it.
    """

    service_name: str = setting(
        parse=text,
        default="unknown_service",
        env=("OTEL_SERVICE_NAME", "AWS_LAMBDA_FUNCTION_NAME"),
        doc="`service.name` on every signal; the Loki `service_name` label.",
    )
    service_version: str | None = setting(
        parse=text,
        default=None,
        env=("OTEL_SERVICE_VERSION",),
        doc="`service.version` resource attribute.",
    )
    environment: str = setting(
        parse=text,
        default="dev",
        env=("DEPLOYMENT_ENV", "STAGE"),
        doc="`deployment.environment` and the `environment` log field. `dev`, "
        "`development` and `local` count as development.",
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
    lambda_function: str | None = setting(
        parse=text,
        default=None,
        env=("AWS_LAMBDA_FUNCTION_NAME",),
        keyword=False,
        doc="The Lambda function this process runs as (the runtime sets it). Console "
        "output is off there by default.",
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
    log_level: str = setting(
        parse=level,
        env=("LOG_LEVEL",),
        default=Computed(lambda r: "DEBUG" if _is_dev(r) else "INFO", "DEBUG in dev, else INFO"),
        doc="Root log level (a name, or a `logging` constant as an argument).",
    )
    log_format: str = setting(
        parse=choice(LOG_FORMATS),
        env=("LOG_FORMAT", EnvAlias("STRUCTURED_LOGGING", _structured_logging)),
        default=Computed(
            lambda r: "pretty" if _is_dev(r) and sys.stdout.isatty() else "json",
            "pretty in dev on a terminal, else json",
        ),
        doc="; ".join(f"`{f.name}`: {f.doc}" for f in FORMATS.values())
        + ". `STRUCTURED_LOGGING=false` means `text`.",
    )
    log_stdout: bool = setting(
        parse=flag,
        default=True,
        env=("OTELKIT_LOG_STDOUT",),
        doc="Write log lines to stdout (what CloudWatch Logs collects).",
    )
    log_buffer: bool = setting(
        parse=flag,
        default=False,
        env=("OTELKIT_LOG_BUFFER",),
        doc="Hold DEBUG lines of each job, session, invocation, request or message back and "
        "write them only if it logs an ERROR (the last 200 at most).",
    )
    emf_namespace: str | None = setting(
        parse=emf_rules.namespace,
        default=None,
        env=("OTELKIT_EMF_NAMESPACE",),
        shown="(unset: off)",
        doc="Also write metrics to stdout as CloudWatch EMF documents in this namespace: "
        "metrics from Lambda or a batch job with no collector. 1-255 characters from "
        "letters, digits, space and `. - _ / # :`, not starting with `:` or `AWS/`; "
        "anything else is a `ValueError`.",
    )
    emf_storage_resolution: int = setting(
        parse=emf_rules.storage_resolution,
        default=60,
        env=("OTELKIT_EMF_STORAGE_RESOLUTION",),
        doc="`1` writes every EMF metric as a high-resolution metric (`StorageResolution` "
        "1: per-second data, billed as such); `60` (standard, one-minute data) leaves "
        "it out of the documents.",
    )
    instrument: tuple[str, ...] | None = setting(
        parse=names,
        default=None,
        env=("OTELKIT_INSTRUMENT",),
        shown="botocore,httpx (those installed)",
        doc="Comma-separated integrations to turn on.",
    )
    sample_rate: float = setting(
        parse=ratio,
        env=("OTELKIT_SAMPLE_RATE", "OTEL_TRACES_SAMPLER_ARG"),
        default=Computed(
            lambda r: 0.05 if _is_production(r) else 1.0, "0.05 in prod/production, else 1.0"
        ),
        doc="Parent-based head sampling ratio, 0.0-1.0, for root traces the reservoir "
        "did not take.",
    )
    sample_min_per_second: float = setting(
        parse=rate,
        env=("OTELKIT_SAMPLE_MIN_PER_SECOND",),
        default=Computed(
            lambda r: 1.0 if _is_production(r) else 0.0, "1 in prod/production, else 0"
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
    static_fields: Mapping[str, str] = setting(
        parse=fields,
        default=MappingProxyType({}),
        env=("OTELKIT_STATIC_FIELDS",),
        shown="(none)",
        doc="Fields on every log line of the process, e.g. `hostname=bot-01,region=eu-west-1` "
        "(a mapping as an argument). For deployment facts that are not IDs.",
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
    export_timeout: float = setting(
        parse=positive,
        default=10.0,
        env=("OTELKIT_EXPORT_TIMEOUT",),
        shown="10",
        doc="Seconds one export may take before it is abandoned.",
    )
    max_message_chars: int | None = setting(
        parse=whole(32),
        default=None,
        env=("OTELKIT_MAX_MESSAGE_CHARS",),
        shown="(unset: off)",
        doc="Cut log messages longer than this many characters (at least 32), ending them "
        "with `… [truncated, N chars]`.",
    )
    max_field_chars: int | None = setting(
        parse=whole(32),
        default=None,
        env=("OTELKIT_MAX_FIELD_CHARS",),
        shown="(unset: off)",
        doc="Cut any single field value of a log line longer than this (at least 32), the "
        "same way; dicts and lists are cut as their JSON text.",
    )
    error_dedup_every: int | None = setting(
        parse=whole(1),
        default=None,
        env=("OTELKIT_ERROR_DEDUP_EVERY",),
        shown="(unset: off)",
        doc="Fingerprint ERROR records: write an error's first occurrence in full, then one "
        "line per N occurrences with `count`; adds `error_hash`, `severity` and the "
        "`Errors` counter (1: fingerprint, write all).",
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
    log_sample_rate: float = setting(
        parse=ratio,
        default=1.0,
        env=("OTELKIT_LOG_SAMPLE_RATE",),
        doc="Share of units of work (requests, jobs, sessions, invocations, messages) whose "
        "INFO-and-below lines are written; the others write theirs only if they log an "
        "ERROR (the last 200 at most).",
    )
    platform_fields: bool = setting(
        parse=flag,
        default=False,
        env=("OTELKIT_PLATFORM_FIELDS",),
        doc="Put `hostname`, `container_id`, `region` (`FLY_REGION`, `AWS_REGION`) and the "
        "Kubernetes `node`/`namespace` on every line, as far as the platform shows them "
        "(ECS metadata URI, cgroup, Fly, downward-API env); `static_fields` win.",
    )
    log_to_file: bool = setting(
        parse=flag,
        default=False,
        env=("LOG_TO_FILE",),
        keyword=False,
        doc="Also write the JSON lines to `LOG_DIR/<service>/<service>.jsonl`, rotated and "
        "gzipped; safe for several processes of one service.",
    )
    log_dir: str = setting(
        parse=text,
        default="logs",
        env=("LOG_DIR",),
        keyword=False,
        doc="Directory of the log files (`LOG_TO_FILE`).",
    )
    log_file_max_bytes: int = setting(
        parse=whole(1024),
        default=50_000_000,
        env=("OTELKIT_LOG_FILE_MAX_BYTES",),
        keyword=False,
        doc="Rotate a log file before it grows past this many bytes.",
    )
    log_file_backups: int = setting(
        parse=whole(0),
        default=10,
        env=("OTELKIT_LOG_FILE_BACKUPS",),
        keyword=False,
        doc="Gzipped archives kept of a log file (`<name>.jsonl.1.gz` is the newest).",
    )
    log_file_rotate_seconds: float | None = setting(
        parse=positive,
        default=None,
        env=("OTELKIT_LOG_FILE_ROTATE_SECONDS",),
        keyword=False,
        shown="(unset: by size only)",
        doc="Also rotate log files on each multiple of this many seconds (86400: daily).",
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
        default=Computed(lambda r: r["metrics_port"] is not None, "on with metrics_port"),
        env=("OTELKIT_PROMETHEUS",),
        doc="Keep metrics for a Prometheus scrape of `/metrics` (the OpenTelemetry "
        "Prometheus reader).",
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


#: The table, in resolution order.
SETTINGS: tuple[Setting[Any], ...] = specs(Settings)
_BY_NAME = {spec.name: spec for spec in SETTINGS}
#: The settings ``configure()`` takes as keywords.
KEYWORDS = frozenset(spec.name for spec in SETTINGS if spec.keyword)


def resolve(options: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve ``configure()``'s keyword arguments (None: not given) against the environment.

    Raises:
        TypeError: an option that is not a ``configure()`` keyword.
        ValueError: a value (argument or environment variable) is invalid; the message
            names where it came from.
    """
    env = os.environ if environ is None else environ
    unknown = set(options) - KEYWORDS
    if unknown:
        raise TypeError(f"configure() got unknown options: {', '.join(sorted(unknown))}")
    resolved: dict[str, Any] = {}
    for spec in SETTINGS:
        resolved[spec.name] = spec.resolve(options.get(spec.name), env, resolved)
    return Settings(**resolved)


def from_environ(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """One setting from the environment alone (for those read outside ``configure()``)."""
    env = os.environ if environ is None else environ
    return _BY_NAME[name].resolve(None, env, {})
