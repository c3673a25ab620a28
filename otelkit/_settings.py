"""The single table of otelkit's settings: each option, its environment variables, its default.

``configure(**options)`` resolves every option the same way: an explicit argument wins,
then the first environment variable that is set, then the default. The docs'
configuration reference is written from this table, so the two cannot disagree.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from otelkit._keys import ID_KEY_PATTERN, RESERVED_FIELD_NAMES

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("json", "pretty", "text")
PROTOCOLS = ("http/protobuf", "grpc")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Setting:
    """One option of ``configure()``: where it is read from and what it means."""

    name: str
    env: tuple[str, ...]
    doc: str
    default: str


SETTINGS: tuple[Setting, ...] = (
    Setting("service_name", ("OTEL_SERVICE_NAME", "AWS_LAMBDA_FUNCTION_NAME"),
            "`service.name` on every signal; the Loki `service_name` label.", "unknown_service"),
    Setting("service_version", ("OTEL_SERVICE_VERSION",), "`service.version` resource attribute.",
            "(unset)"),
    Setting("environment", ("DEPLOYMENT_ENV", "STAGE"),
            "`deployment.environment` and the `environment` log field.", "dev"),
    Setting("endpoint", ("OTEL_EXPORTER_OTLP_ENDPOINT",),
            "OTLP collector base URL; unset means no network at all.", "(unset)"),
    Setting("protocol", ("OTEL_EXPORTER_OTLP_PROTOCOL",),
            "`http/protobuf` or `grpc` (needs the `grpc` extra).", "http/protobuf"),
    Setting("console", ("OTELKIT_CONSOLE",),
            "Print finished span trees and a metrics summary for humans.", "on without endpoint"),
    Setting("log_level", ("LOG_LEVEL",), "Root log level.", "DEBUG in dev, else INFO"),
    Setting("log_format", ("LOG_FORMAT",),
            "`json`, `pretty` or `text`. `STRUCTURED_LOGGING=false` means `text`.",
            "pretty in dev on a terminal, else json"),
    Setting("log_buffer", ("OTELKIT_LOG_BUFFER",),
            "Hold DEBUG lines of each job, session, invocation, request or message back and "
            "write them only if it logs an ERROR (the last 200 at most).", "false"),
    Setting("log_stdout", ("OTELKIT_LOG_STDOUT",),
            "Write log lines to stdout (what CloudWatch Logs collects).", "true"),
    Setting("instrument", ("OTELKIT_INSTRUMENT",),
            "Comma-separated integrations to turn on.", "botocore,httpx (those installed)"),
    Setting("emf_namespace", ("OTELKIT_EMF_NAMESPACE",),
            "Also write metrics to stdout as CloudWatch EMF documents in this namespace: "
            "metrics from Lambda or a batch job with no collector.", "(unset: off)"),
    Setting("sample_rate", ("OTELKIT_SAMPLE_RATE", "OTEL_TRACES_SAMPLER_ARG"),
            "Parent-based head sampling ratio, 0.0-1.0.", "1.0"),
    Setting("resource_detectors", ("OTELKIT_RESOURCE_DETECTORS",),
            "`auto` (only where the environment shows the platform), `none`, or a list of "
            "`lambda,ecs,eks,ec2`.", "auto"),
    Setting("propagate_to", ("OTELKIT_PROPAGATE_TO",),
            "Comma-separated host patterns (fnmatch) that also receive trace headers and IDs "
            "over HTTP. Loopback, private IP addresses, localhost, *.internal, *.local, *.svc, "
            "*.svc.cluster.local and *.consul always do.", "(none)"),
    Setting("private_ids", ("OTELKIT_PRIVATE_IDS",),
            "Comma-separated ID keys that are logged here but never sent to another process.",
            "user_id"),
    Setting("static_fields", ("OTELKIT_STATIC_FIELDS",),
            "Fields on every log line of the process, e.g. `hostname=bot-01,region=eu-west-1` "
            "(a mapping as an argument). For deployment facts that are not IDs.", "(none)"),
    Setting("scrub", ("OTELKIT_SCRUB",),
            "Redact secrets wherever data leaves the process: fields whose names look secret "
            "(password, token, authorization…) and values that do (JWTs, AWS keys, bearer "
            "credentials, `user:pass@` URLs, card numbers…). See docs/security.md.", "true"),
    Setting("redact_keys", ("OTELKIT_REDACT_KEYS",),
            "Comma-separated extra words that make a field name secret (case-insensitive, "
            "anywhere in the name), e.g. `ssn,iban`.", "(none)"),
    Setting("trusted_callers", ("OTELKIT_TRUSTED_CALLERS",),
            "Whose incoming trace context, baggage IDs and sampling decision are believed: "
            "`private` (loopback/private peers with no public X-Forwarded-For hop), `all`, "
            "`none`, or comma-separated IP addresses/networks. See docs/security.md.",
            "private"),
    Setting("export_timeout", ("OTELKIT_EXPORT_TIMEOUT",),
            "Seconds one export may take before it is abandoned.", "10"),
)


@dataclass(frozen=True)
class Settings:
    """Resolved settings: what ``configure()`` builds the pipeline from."""

    service_name: str
    service_version: str | None
    environment: str
    endpoint: str | None
    protocol: str
    console: bool
    log_level: str
    log_format: str
    log_stdout: bool
    log_buffer: bool
    emf_namespace: str | None
    instrument: tuple[str, ...] | None  # None: the defaults that are installed
    sample_rate: float
    resource_detectors: tuple[str, ...]
    propagate_to: tuple[str, ...] | None  # None: the defaults
    private_ids: tuple[str, ...] | None  # None: the defaults
    static_fields: Mapping[str, str]
    scrub: bool
    export_timeout: float
    redact_keys: tuple[str, ...] = ()
    trusted_callers: tuple[str, ...] | None = None  # None: ``private``


def _env(names: Iterable[str], environ: Mapping[str, str]) -> tuple[str, str] | None:
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return name, value
    return None


def _parse_bool(source: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{source}={value!r} is not a boolean (use true or false)")


def _choice(source: str, value: str, choices: tuple[str, ...], *, upper: bool = False) -> str:
    normal = value.strip().upper() if upper else value.strip().lower()
    if normal == "WARN":
        normal = "WARNING"
    if normal not in choices:
        raise ValueError(f"{source}={value!r} is not one of {', '.join(choices)}")
    return normal


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def resolve(options: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve ``configure()``'s keyword options against the environment.

    Raises:
        ValueError: a value (argument or environment variable) is invalid; the message
            names where it came from.
    """
    env = os.environ if environ is None else environ
    table = {setting.name: setting for setting in SETTINGS}
    unknown = set(options) - set(table)
    if unknown:
        raise TypeError(f"configure() got unknown options: {', '.join(sorted(unknown))}")

    def raw(name: str) -> tuple[str, Any] | None:
        if options.get(name) is not None:
            return f"configure({name}=...)", options[name]
        return _env(table[name].env, env)

    def text(name: str) -> str | None:
        found = raw(name)
        return None if found is None else str(found[1])

    def flag(name: str, default: bool) -> bool:
        found = raw(name)
        if found is None:
            return default
        source, value = found
        return value if isinstance(value, bool) else _parse_bool(source, str(value))

    environment = text("environment") or "dev"
    endpoint = text("endpoint")
    if endpoint and not endpoint.startswith(("http://", "https://")):
        source = raw("endpoint")[0]  # type: ignore[index]
        raise ValueError(f"{source}={endpoint!r} must be a URL starting with http:// or "
                         "https:// (for example http://localhost:4318)")
    is_dev = environment.lower() in {"dev", "development", "local"}

    found = raw("log_level")
    if found is not None and isinstance(found[1], int) and not isinstance(found[1], bool):
        found = (found[0], logging.getLevelName(found[1]))  # logging.DEBUG works too
    log_level = _choice(found[0], str(found[1]), LOG_LEVELS, upper=True) if found else (
        "DEBUG" if is_dev else "INFO")

    found = raw("log_format")
    if found is None and not flag_from_env("STRUCTURED_LOGGING", env, default=True):
        found = ("STRUCTURED_LOGGING", "text")
    if found:
        log_format = _choice(found[0], str(found[1]), LOG_FORMATS)
    else:
        log_format = "pretty" if is_dev and sys.stdout.isatty() else "json"

    found = raw("protocol")
    protocol = _choice(found[0], str(found[1]), PROTOCOLS) if found else "http/protobuf"

    found = raw("sample_rate")
    sample_rate = 1.0
    if found is not None:
        sample_rate = _ratio(*found)

    def listing(name: str) -> tuple[str, ...] | None:
        found = raw(name)
        if found is None:
            return None
        source, value = found
        if isinstance(value, str):
            return _split(value)
        if not isinstance(value, (list, tuple, set, frozenset)) or not all(
                isinstance(item, str) for item in value):
            raise ValueError(f"{source}={value!r} must be a comma-separated string or a "
                             "list of strings")
        return tuple(value)

    found = raw("export_timeout")
    export_timeout = _positive(*found) if found else 10.0

    return Settings(
        service_name=text("service_name") or "unknown_service",
        service_version=text("service_version"),
        environment=environment,
        endpoint=endpoint.rstrip("/") if endpoint else None,
        protocol=protocol,
        console=flag("console", default=endpoint is None),
        log_level=log_level,
        log_format=log_format,
        log_stdout=flag("log_stdout", default=True),
        log_buffer=flag("log_buffer", default=False),
        emf_namespace=text("emf_namespace"),
        instrument=listing("instrument"),
        sample_rate=sample_rate,
        resource_detectors=tuple(d.lower() for d in listing("resource_detectors") or ("auto",)),
        propagate_to=listing("propagate_to"),
        private_ids=listing("private_ids"),
        static_fields=_fields(raw("static_fields")),
        scrub=flag("scrub", default=True),
        export_timeout=export_timeout,
        redact_keys=listing("redact_keys") or (),
        trusted_callers=_trusted_callers(listing("trusted_callers")),
    )


def _trusted_callers(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """Checked now, so a typo fails ``configure()`` rather than trusting everyone."""
    if values is not None:
        from otelkit._trust import build_trust

        build_trust(values)
    return values


def _fields(found: tuple[str, Any] | None) -> dict[str, str]:
    """``k=v,k=v`` (environment) or a mapping (argument) of static log fields."""
    if found is None:
        return {}
    source, value = found
    if isinstance(value, Mapping):
        pairs = [(str(k), v) for k, v in value.items()]
    else:
        pairs = []
        for item in _split(str(value)):
            key, sep, text = item.partition("=")
            if not sep:
                raise ValueError(f"{source}: {item!r} is not key=value")
            pairs.append((key.strip(), text.strip()))
    fields: dict[str, str] = {}
    for key, text in pairs:
        if not ID_KEY_PATTERN.match(key) or not isinstance(text, str):
            raise ValueError(f"{source}: field {key}={text!r} needs a snake_case key and a "
                             "string value")
        if key in RESERVED_FIELD_NAMES:
            raise ValueError(f"{source}: {key!r} names a field every log line has")
        fields[key] = text
    return fields


def flag_from_env(name: str, environ: Mapping[str, str], *, default: bool) -> bool:
    """Read a boolean environment variable, raising a clear error when it is not one."""
    value = environ.get(name, "").strip()
    return _parse_bool(name, value) if value else default


def _number(source: str, value: Any, check: Callable[[float], bool], expected: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{source}={value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{source}={value!r} is not a number") from None
    if not check(number):
        raise ValueError(f"{source}={value!r} must be {expected}")
    return number


def _ratio(source: str, value: Any) -> float:
    return _number(source, value, lambda n: 0.0 <= n <= 1.0, "between 0.0 and 1.0")


def _positive(source: str, value: Any) -> float:
    return _number(source, value, lambda n: n > 0, "greater than 0")
