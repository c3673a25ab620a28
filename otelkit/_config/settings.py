"""The table of otelkit's settings: the one place that says what each setting is.

Each field of ``Settings`` is one setting, declared with ``setting(...)``: its type, parser,
default (a value, or ``Computed`` from settings above it), environment variables in order
of precedence, and doc. The table has two parts: the service and its pipeline
(``ServiceSettings``, in ``_settings_service.py``) and, here, the settings of log lines,
which come after it. ``resolve`` reads the table and nothing else: an explicit
``configure()`` argument wins, then the first environment variable that is set, then the
default. The configuration reference in docs/ is generated from the table (``make docs``).

To add a setting: add a field to the part it belongs to, and a keyword of the same name
and type to ``configure()`` (unless it is ``keyword=False``: environment only). Nothing
else.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from otelkit._config.parsers import (
    LOG_LEVELS,
    choice,
    fields,
    flag,
    level,
    positive,
    ratio,
    text,
    whole,
)
from otelkit._config.service import ServiceSettings, is_dev
from otelkit._config.spec import Computed, EnvAlias, Setting, setting, specs
from otelkit._values.log_formats import FORMATS, LOG_FORMATS

__all__ = ["LOG_FORMATS", "LOG_LEVELS", "SETTINGS", "Settings", "resolve", "setting"]


def _structured_logging(name: str, value: str) -> str | None:
    """``STRUCTURED_LOGGING=false`` means ``text``; ``true`` leaves the format as it is."""
    return None if flag(name, value) else "text"


#: Lambda's log levels (advanced logging controls) that are not Python's names.
_LAMBDA_LEVELS = {"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}


def _lambda_level(name: str, value: str) -> str:
    """``AWS_LAMBDA_LOG_LEVEL`` (``TRACE``…``FATAL``) as a Python level name."""
    return _LAMBDA_LEVELS.get(value.upper(), value)


def _lambda_format(name: str, value: str) -> str | None:
    """``AWS_LAMBDA_LOG_FORMAT``: ``JSON`` or ``Text`` (anything else: not ours to judge)."""
    return {"json": "json", "text": "text"}.get(value.lower())


# Compared by identity (a pipeline keeps the one it was built from), and never printed
# whole: no ``__eq__`` or ``__repr__``, two fewer methods compiled at every cold start.
# Built with every field by name (``resolve``, ``dataclasses.replace``): its own
# ``__init__`` takes them, where the generated one, of ~70 parameters, took ~1 ms to
# compile at every cold start.
@dataclass(frozen=True, init=False, eq=False, repr=False)
class Settings(ServiceSettings):
    """Every setting, resolved: what ``configure()`` builds the pipeline from.

    The fields of ``ServiceSettings`` come first; the log-line settings below may read them.
    """

    def __init__(self, **values: Any) -> None:
        """Every field, by name, each given once; none other."""
        if values.keys() != _BY_NAME.keys():
            missing = [name for name in _BY_NAME if name not in values]
            unknown = [name for name in values if name not in _BY_NAME]
            raise TypeError(
                f"Settings() needs every setting: missing {missing or 'none'}, "
                f"unknown {unknown or 'none'}"
            )
        for name, value in values.items():
            object.__setattr__(self, name, value)  # frozen: as a dataclass's own __init__

    log_level: str = setting(
        parse=level,
        # Lambda's advanced logging controls first: the runtime drops JSON lines below
        # that level anyway, so writing them would only cost time.
        env=(EnvAlias("AWS_LAMBDA_LOG_LEVEL", _lambda_level), "LOG_LEVEL"),
        default=Computed(lambda r: "DEBUG" if is_dev(r) else "INFO", "DEBUG in dev, else INFO"),
        doc="Root log level (a name, or a `logging` constant as an argument). On Lambda, "
        "`AWS_LAMBDA_LOG_LEVEL` (advanced logging controls) wins over `LOG_LEVEL`.",
    )
    log_format: str = setting(
        parse=choice(LOG_FORMATS),
        env=(
            "LOG_FORMAT",
            EnvAlias("STRUCTURED_LOGGING", _structured_logging),
            EnvAlias("AWS_LAMBDA_LOG_FORMAT", _lambda_format),
        ),
        default=Computed(
            lambda r: "pretty" if is_dev(r) and sys.stdout.isatty() else "json",
            "pretty in dev on a terminal, else json",
        ),
        doc="; ".join(f"`{f.name}`: {f.doc}" for f in FORMATS.values())
        + ". `STRUCTURED_LOGGING=false` means `text`; on Lambda `AWS_LAMBDA_LOG_FORMAT` "
        "(`JSON` or `Text`) applies when neither is set.",
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
    static_fields: Mapping[str, str] = setting(
        parse=fields,
        default=MappingProxyType({}),
        env=("OTELKIT_STATIC_FIELDS",),
        shown="(none)",
        doc="Fields on every log line of the process, e.g. `hostname=bot-01,region=eu-west-1` "
        "(a mapping as an argument). For deployment facts that are not IDs.",
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
    max_line_chars: int | None = setting(
        parse=whole(256),
        default=None,
        env=("OTELKIT_MAX_LINE_CHARS",),
        shown="(unset: 200000)",
        doc="Cap each whole log line at this many characters (at least 256): the longest "
        "values are cut, marked `… [truncated, N chars]`, until the JSON line fits; the "
        "message is cut last. Every line also has a hard cap of 200000; a larger value "
        "changes nothing.",
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
        "(ECS metadata URI, cgroup, Fly, downward-API env); `static_fields` win. Also on "
        "the resource as `host.name`, `container.id`, `cloud.region` (`target_info`).",
    )
    resource_fields: bool = setting(
        parse=flag,
        default=False,
        env=("OTELKIT_RESOURCE_FIELDS",),
        doc="Put the process's `memory_mb` (RSS), `cpu_percent` and `num_threads` on every "
        "line, read with psutil at most once a second (needs the `runtime` extra).",
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
