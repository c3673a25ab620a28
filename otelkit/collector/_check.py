"""Validate a collector config against a distribution, with a line for every problem.

The collector itself only reports the first error it meets, at start-up, in a container
log. This checker runs before deploy and reports everything at once: YAML errors, types
the distribution does not ship, pipelines wired to the wrong signal or to undeclared
components, missing keys, malformed ``${env:…}`` references, EMF dimension sets that
would be dropped or that would bill one metric per job, and Loki endpoints that point
at the push API instead of OTLP.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, get_args

from otelkit._values.keys import WELL_KNOWN_ID_KEYS
from otelkit.collector._check_auth import auth_problems
from otelkit.collector._components import (
    ADOT,
    Distribution,
    Kind,
    Signal,
    component_type,
)
from otelkit.collector._model import MAX_EMF_DIMENSIONS, is_id_shaped
from otelkit.collector._options import option_problems, schema
from otelkit.collector._yaml import Document, Path, YamlError, load

SECTIONS: tuple[Kind, ...] = get_args(Kind)
_SIGNALS: tuple[Signal, ...] = get_args(Signal)
_SINGULAR = {
    "receivers": "receiver",
    "processors": "processor",
    "exporters": "exporter",
    "extensions": "extension",
    "connectors": "connector",
}
_ID = re.compile(r"^[A-Za-z0-9_.-]+(/[^/\s]+)?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCHEMES = {"env", "file", "yaml", "http", "https", "s3"}
_ROLLUPS = {"NoDimensionRollup", "SingleDimensionRollupOnly", "ZeroAndSingleDimensionRollup"}

#: Keys each component needs to do its job here. Each entry is a group of alternatives:
#: one key of the group must be present. Some are upstream requirements, some are
#: otelkit's (an awsemf without metric_declarations turns every label, IDs included,
#: into a dimension).
REQUIRED: dict[tuple[Kind, str], tuple[tuple[str, ...], ...]] = {
    ("receivers", "otlp"): (("protocols",),),
    ("processors", "memory_limiter"): (("check_interval",), ("limit_mib", "limit_percentage")),
    ("processors", "resourcedetection"): (("detectors",),),
    ("processors", "filter"): (("traces", "metrics", "logs"),),
    ("exporters", "awsxray"): (("indexed_attributes", "index_all_attributes"),),
    ("exporters", "awsemf"): (("namespace",), ("metric_declarations",)),
    ("exporters", "awscloudwatchlogs"): (("log_group_name",), ("log_stream_name",)),
    ("exporters", "otlp"): (("endpoint",),),
    ("exporters", "otlphttp"): (
        ("endpoint", "traces_endpoint", "metrics_endpoint", "logs_endpoint"),
    ),
    ("exporters", "prometheusremotewrite"): (("endpoint",),),
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a config, at a 1-based line (0 when unknown)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"


def check_text(
    text: str,
    distribution: Distribution = ADOT,
    id_keys: Iterable[str] = WELL_KNOWN_ID_KEYS,
) -> list[Problem]:
    """Every problem in the config ``text`` for ``distribution``, sorted by line."""
    try:
        doc = load(text)
    except YamlError as exc:
        return [Problem(exc.line, exc.message)]
    return sorted(_Checker(doc, distribution, frozenset(id_keys)).run())


class _Checker:
    def __init__(self, doc: Document, dist: Distribution, id_keys: frozenset[str]) -> None:
        self.doc = doc
        self.dist = dist
        self.id_keys = id_keys
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str) -> None:
        self.problems.append(Problem(self.doc.line(path), message))

    def run(self) -> list[Problem]:
        for line, key in self.doc.duplicates:
            self.problems.append(Problem(line, f"duplicate key '{key}'"))
        root = self.doc.data
        if not isinstance(root, dict):
            self.add((), "a collector config must be a mapping of sections")
            return self.problems
        for key in root:
            if key not in (*SECTIONS, "service"):
                self.add((str(key),), f"unknown top-level section '{key}'")
        declared = {kind: self._declared(root, kind) for kind in SECTIONS}
        service = root.get("service")
        self._check_service(service, declared)
        enabled = _as_list(service.get("extensions")) if isinstance(service, dict) else []
        self._check_semantics(declared, [str(ext) for ext in enabled])
        for path, value in _strings(root, ()):
            self._check_references(path, value)
        return self.problems

    def _declared(self, root: dict[Any, Any], kind: Kind) -> dict[str, dict[str, Any]]:
        section = root.get(kind)
        if section is None:
            return {}
        if not isinstance(section, dict):
            self.add((kind,), f"'{kind}' must be a mapping of component IDs")
            return {}
        out: dict[str, dict[str, Any]] = {}
        for raw_id, settings in section.items():
            cid = str(raw_id)
            path: Path = (kind, cid)
            if not _ID.match(cid):
                self.add(path, f"malformed component ID '{cid}' (expected type or type/name)")
                continue
            ctype = component_type(cid)
            if not self.dist.knows(kind, ctype):
                hint = self.dist.suggest(kind, ctype)
                self.add(
                    path, f"unknown {_SINGULAR[kind]} type '{ctype}' in {self.dist.title}{hint}"
                )
            if settings is None:
                settings = {}
            if not isinstance(settings, dict):
                self.add(path, f"{_SINGULAR[kind]} '{cid}' settings must be a mapping")
                settings = {}
            for group in REQUIRED.get((kind, ctype), ()):
                if not any(key in settings for key in group):
                    wanted = " or ".join(f"'{key}'" for key in group)
                    self.add(path, f"{_SINGULAR[kind]} '{cid}' is missing required key {wanted}")
            self._check_options(kind, cid, settings)
            out[cid] = settings
        return out

    def _check_options(self, kind: Kind, cid: str, settings: dict[str, Any]) -> None:
        tree = schema(kind, component_type(cid))
        if tree is None:
            return  # a component the table does not describe: the collector judges it
        base: Path = (kind, cid)
        for path, problem in option_problems(tree, settings, base):
            where = ".".join(str(part) for part in path[len(base) :])
            if problem.startswith("("):  # an unknown key, with its "did you mean"
                self.add(path, f"{_SINGULAR[kind]} '{cid}' has no option '{where}' {problem}")
            elif not problem:
                self.add(path, f"{_SINGULAR[kind]} '{cid}' has no option '{where}'")
            else:
                self.add(path, f"{_SINGULAR[kind]} '{cid}' option '{where}' {problem}")

    def _check_service(self, service: Any, declared: dict[Kind, dict[str, dict[str, Any]]]) -> None:
        if not isinstance(service, dict):
            self.add(("service",), "missing 'service' section with 'pipelines'")
            return
        for key in service:
            if key not in ("extensions", "pipelines", "telemetry"):
                self.add(("service", str(key)), f"unknown key 'service.{key}'")
        for index, ext in enumerate(_as_list(service.get("extensions"))):
            if str(ext) not in declared["extensions"]:
                self.add(
                    ("service", "extensions", index),
                    f"service uses extension '{ext}' which is not declared under 'extensions'",
                )
        pipelines = service.get("pipelines")
        if not isinstance(pipelines, dict) or not pipelines:
            self.add(("service",), "service has no pipelines")
            return
        for name, pipeline in pipelines.items():
            self._check_pipeline(str(name), pipeline, declared)

    def _check_pipeline(
        self, name: str, pipeline: Any, declared: dict[Kind, dict[str, dict[str, Any]]]
    ) -> None:
        base: Path = ("service", "pipelines", name)
        signal = name.split("/", 1)[0]
        if signal not in _SIGNALS:
            self.add(base, f"pipeline '{name}' must be named traces, metrics or logs[/name]")
            return
        if not isinstance(pipeline, dict):
            self.add(base, f"pipeline '{name}' must be a mapping")
            return
        for key in pipeline:
            if key not in ("receivers", "processors", "exporters"):
                self.add((*base, str(key)), f"unknown key '{key}' in pipeline '{name}'")
        for kind in ("receivers", "processors", "exporters"):
            refs = _as_list(pipeline.get(kind))
            if kind != "processors" and not refs:
                self.add(base, f"pipeline '{name}' needs at least one {_SINGULAR[kind]}")
            for index, ref in enumerate(refs):
                self._check_ref((*base, kind, index), name, signal, kind, str(ref), declared)

    def _check_ref(
        self,
        path: Path,
        pipeline: str,
        signal: Signal,
        kind: Kind,
        ref: str,
        declared: dict[Kind, dict[str, dict[str, Any]]],
    ) -> None:
        noun = _SINGULAR[kind]
        if ref not in declared[kind]:
            self.add(path, f"pipeline '{pipeline}' references undeclared {noun} '{ref}'")
            return
        ctype = component_type(ref)
        if not self.dist.knows(kind, ctype):
            return  # already reported where it is declared
        accepted = self.dist.signals(kind, ctype)
        if signal not in accepted:
            takes = ", ".join(sorted(accepted))
            self.add(
                path, f"{noun} '{ref}' cannot be used in a {signal} pipeline (it takes {takes})"
            )
        if kind == "exporters" and _is_loki(ref, declared[kind][ref]) and signal != "logs":
            self.add(path, f"exporter '{ref}' sends to Loki, which accepts only logs")

    def _check_semantics(
        self, declared: dict[Kind, dict[str, dict[str, Any]]], enabled: list[str]
    ) -> None:
        forbidden = set(self.id_keys)
        for cid, settings in declared["exporters"].items():
            if component_type(cid) == "awsxray":
                # An indexed attribute is an ID when named like one; a bounded one
                # (message_type) may be an annotation and a dimension at once.
                indexed = (str(k) for k in _as_list(settings.get("indexed_attributes")))
                forbidden.update(k for k in indexed if is_id_shaped(k))
        for cid, settings in declared["exporters"].items():
            for path, message in auth_problems(cid, settings, declared["extensions"], enabled):
                self.add(path, message)
            ctype = component_type(cid)
            if ctype == "awsemf":
                self._check_emf(cid, settings, forbidden)
            elif ctype == "otlphttp" and _is_loki(cid, settings):
                self._check_loki(cid, settings)

    def _check_emf(self, cid: str, emf: dict[str, Any], ids: set[str]) -> None:
        base: Path = ("exporters", cid)
        rollup = emf.get("dimension_rollup_option")
        if rollup is not None and rollup not in _ROLLUPS:
            self.add(
                (*base, "dimension_rollup_option"),
                f"awsemf dimension_rollup_option '{rollup}' is not one of "
                + ", ".join(sorted(_ROLLUPS)),
            )
        declarations = emf.get("metric_declarations")
        if declarations is None:
            return
        if not isinstance(declarations, list):
            self.add((*base, "metric_declarations"), "metric_declarations must be a list")
            return
        for index, decl in enumerate(declarations):
            path: Path = (*base, "metric_declarations", index)
            if not isinstance(decl, dict):
                self.add(path, "a metric declaration must be a mapping")
                continue
            if not _as_list(decl.get("metric_name_selectors")):
                self.add(path, "metric declaration has no metric_name_selectors: matches nothing")
            for set_index, dims in enumerate(_as_list(decl.get("dimensions"))):
                self._check_dimension_set((*path, "dimensions", set_index), dims, ids)

    def _check_dimension_set(self, path: Path, dims: Any, ids: set[str]) -> None:
        if not isinstance(dims, list):
            self.add(path, "a dimension set must be a list of label names")
            return
        if len(dims) > MAX_EMF_DIMENSIONS:
            self.add(
                path,
                f"dimension set has {len(dims)} keys; CloudWatch drops sets over "
                f"{MAX_EMF_DIMENSIONS} without an error",
            )
        for dim in dims:
            if str(dim) in ids:
                self.add(
                    path,
                    f"dimension '{dim}' is a correlation ID key: every distinct value would be "
                    "a separately billed metric; keep IDs in logs and X-Ray annotations",
                )

    def _check_loki(self, cid: str, settings: dict[str, Any]) -> None:
        for key, suffix in (("endpoint", "/otlp"), ("logs_endpoint", "/otlp/v1/logs")):
            value = settings.get(key)
            if value is None:
                continue
            url = str(value).rstrip("/")
            path: Path = ("exporters", cid, key)
            if "/loki/api/v1/push" in url:
                self.add(
                    path,
                    f"{cid} {key} '{value}' is Loki's push API; otlphttp needs the OTLP "
                    f"endpoint, ending in '{suffix}'",
                )
            elif not url.endswith(suffix):
                extra = " (otlphttp appends /v1/logs itself)" if key == "endpoint" else ""
                self.add(path, f"{cid} {key} '{value}' must end in '{suffix}'{extra}")
            if not re.match(r"^(https?://|\$\{env:)", url):
                self.add(path, f"{cid} {key} '{value}' must start with http:// or https://")

    def _check_references(self, path: Path, value: str) -> None:
        for message in _reference_problems(value):
            self.add(path, message)


def _reference_problems(value: str) -> Iterator[str]:
    """Malformed ``${…}`` references in one string value."""
    index = 0
    while True:
        index = value.find("$", index)
        if index < 0 or index + 1 >= len(value):
            return
        nxt = value[index + 1]
        if nxt == "$":  # "$$" is an escaped dollar
            index += 2
            continue
        if nxt != "{":
            if re.match(r"[A-Za-z_]", nxt):
                name = re.match(r"[A-Za-z0-9_]*", value[index + 1 :])
                word = name.group(0) if name else ""
                yield f"'${word}' is not expanded; write '${{env:{word}}}'"
            index += 1
            continue
        end = value.find("}", index)
        if end < 0:
            yield f"unclosed reference in '{value}'"
            return
        yield from _one_reference(value[index + 2 : end])
        index = end + 1


def _one_reference(body: str) -> Iterator[str]:
    scheme, sep, rest = body.partition(":")
    if not sep:
        yield f"'${{{body}}}' has no provider; write '${{env:{body}}}'"
        return
    if scheme not in _SCHEMES:
        known = ", ".join(sorted(_SCHEMES))
        yield f"'${{{body}}}' uses unknown provider '{scheme}' (known: {known})"
        return
    if scheme == "env":
        name = rest.split(":-", 1)[0]
        if not _ENV_NAME.match(name):
            yield f"'${{{body}}}' is not a valid environment variable name"


def _strings(node: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, index))
    elif isinstance(node, str):
        yield path, node


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _is_loki(cid: str, settings: dict[str, Any]) -> bool:
    """Whether an exporter targets Loki: by its name or by where it points."""
    if "loki" in cid.lower():
        return True
    urls = " ".join(str(settings.get(k, "")) for k in ("endpoint", "logs_endpoint"))
    return "loki" in urls.lower() or ":3100" in urls
