"""A small LogQL evaluator over log records as Loki's OTLP endpoint stores them.

No Loki runs here, so the saved queries are run by this evaluator, over records that
otelkit really exported, mapped as Loki documents its OTLP ingestion: the body is the
log line; the indexed resource attributes (the ones ``collector/local/loki.yaml``
promotes) are stream labels; every other resource attribute, every log attribute and
``severity_text`` are structured metadata; names get ``_`` for each character a label
name cannot hold. A label filter reads labels, structured metadata and what a parser
stage extracted, and a missing name compares as "". ``| json`` on a line that is not a
JSON object extracts nothing and sets ``__error__``, and a metric query over such lines
fails, as in Loki.

The subset: stream selectors; line filters ``|=``, ``!=``, ``|~``, ``!~``; ``| json``;
label filters (``=``, ``!=``, ``=~``, ``!~``, and numeric ``>``, ``>=``, ``<``, ``<=``);
``count_over_time`` and ``rate`` over a range; ``sum`` with ``by``; ``/`` between two
metric queries. Anything else raises, so a query outside it fails the test.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

INDEXED = ("service.name", "deployment.environment", "deployment.environment.name")
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)|(?P<num>\d+(?:\.\d+)?(?![\w]))'
    r"|(?P<dur>\[\d+[smhd]\])|(?P<op>\|=|\|~|!=|!~|=~|==|>=|<=|[{}(),|=<>/])"
    r"|(?P<name>[A-Za-z_][\w]*))"
)
Series = dict[tuple[tuple[str, str], ...], float]


def label_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


@dataclass
class Entry:
    """One line as Loki stores it."""

    labels: dict[str, str]
    metadata: dict[str, str]
    line: str
    seconds: float
    extracted: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        for source in (self.extracted, self.metadata, self.labels):
            if name in source:
                return source[name]
        return ""


def from_otlp(
    resource: dict[str, Any],
    record: dict[str, Any],
    attrs: dict[str, Any],
    indexed: tuple[str, ...] | list[str] = INDEXED,
) -> Entry:
    """The Loki entry of one OTLP log record (resource and record attributes as dicts);
    ``indexed``: the resource attributes Loki's ``otlp_config`` makes index labels."""
    labels = {label_name(k): str(v) for k, v in resource.items() if k in indexed}
    metadata = {label_name(k): str(v) for k, v in resource.items() if k not in indexed}
    metadata.update({label_name(k): str(v) for k, v in attrs.items()})
    if record.get("severityText"):
        metadata["severity_text"] = record["severityText"]
    body = record.get("body", {})
    line = body["stringValue"] if "stringValue" in body else json.dumps(body)
    return Entry(labels, metadata, line, int(record["timeUnixNano"]) / 1e9)


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items: list[tuple[str, str]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise ValueError(f"LogQL outside the subset at {text[position:]!r}")
            kind = match.lastgroup
            assert kind is not None
            self.items.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.index] if self.index < len(self.items) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (expected is not None and token[1] != expected):
            raise ValueError(f"expected {expected!r}, got {token!r}")
        self.index += 1
        return token


def _string(token: tuple[str, str]) -> str:
    kind, text = token
    if kind != "str":
        raise ValueError(f"expected a string, got {text!r}")
    return text[1:-1] if text.startswith("`") else json.loads(text)


def _compare(value: str, op: str, wanted: str) -> bool:
    if op in {"=", "=="}:
        return value == wanted
    if op == "!=":
        return value != wanted
    if op == "=~":
        return re.fullmatch(wanted, value) is not None
    if op == "!~":
        return re.fullmatch(wanted, value) is None
    try:
        number, limit = float(value), float(wanted)
    except ValueError:
        return False
    return {">": number > limit, ">=": number >= limit, "<": number < limit}.get(
        op, number <= limit
    )


def _log_query(tokens: _Tokens, entries: list[Entry]) -> list[Entry]:
    tokens.take("{")
    matchers = []
    while tokens.peek() != ("op", "}"):
        name = tokens.take()[1]
        op = tokens.take()[1]
        matchers.append((name, op, _string(tokens.take())))
        if tokens.peek() == ("op", ","):
            tokens.take(",")
    tokens.take("}")
    selected = [
        Entry(e.labels, e.metadata, e.line, e.seconds)
        for e in entries
        if all(_compare(e.labels.get(n, ""), op, v) for n, op, v in matchers)
    ]
    while (token := tokens.peek()) is not None and token[1] in {"|=", "|~", "!=", "!~", "|"}:
        op = tokens.take()[1]
        if op != "|":
            text = _string(tokens.take())
            selected = [e for e in selected if _line_matches(e.line, op, text)]
            continue
        name = tokens.take()[1]
        following = tokens.peek()
        if (
            following is None
            or following[1] in {"|", "|=", "!=", "|~", "!~", ")"}
            or (following[0] == "dur")
        ):
            if name != "json":
                raise ValueError(f"parser {name}: not in the LogQL subset")
            for entry in selected:
                _parse_json(entry)
            continue
        op = tokens.take()[1]
        kind, text = tokens.take()
        wanted = text if kind == "num" else _string((kind, text))
        selected = [e for e in selected if _compare(e.get(name), op, wanted)]
    return selected


def _line_matches(line: str, op: str, text: str) -> bool:
    if op in {"|=", "!="}:
        return (text in line) == (op == "|=")
    return (re.search(text, line) is not None) == (op == "|~")


def _parse_json(entry: Entry) -> None:
    try:
        parsed = json.loads(entry.line)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        entry.extracted["__error__"] = "JSONParserErr"
        return
    for key, value in parsed.items():
        if not isinstance(value, dict | list):
            entry.extracted[label_name(key)] = str(value)


def _seconds(duration: str) -> float:
    number, unit = int(duration[1:-2]), duration[-2]
    return number * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


def _metric(tokens: _Tokens, entries: list[Entry], at: float) -> Series:
    left = _metric_term(tokens, entries, at)
    while tokens.peek() == ("op", "/"):
        tokens.take("/")
        right = _metric_term(tokens, entries, at)
        # ``/`` matches series on their whole label set
        left = {k: v / right[k] for k, v in left.items() if right.get(k)}
    return left


def _metric_term(tokens: _Tokens, entries: list[Entry], at: float) -> Series:
    kind, name = tokens.take()
    if kind != "name":
        raise ValueError(f"expected a function, got {name!r}")
    if name == "sum":
        by: list[str] = []
        if tokens.peek() == ("name", "by"):
            tokens.take("by")
            tokens.take("(")
            while tokens.peek() != ("op", ")"):
                by.append(tokens.take()[1])
                if tokens.peek() == ("op", ","):
                    tokens.take(",")
            tokens.take(")")
        tokens.take("(")
        inner = _metric(tokens, entries, at)
        tokens.take(")")
        total: Series = {}
        for key, value in inner.items():
            labels = dict(key)
            group = tuple((n, labels.get(n, "")) for n in by)
            total[group] = total.get(group, 0.0) + value
        return total
    if name in {"count_over_time", "rate"}:
        tokens.take("(")
        selected = _log_query(tokens, entries)
        if any("__error__" in e.extracted for e in selected):
            # Loki fails a metric query over lines a parser could not read.
            raise ValueError("pipeline error: JSONParserErr")
        window = _seconds(tokens.take()[1])
        tokens.take(")")
        counts: Series = {}
        for entry in selected:
            if at - window < entry.seconds <= at:
                key = tuple(sorted(_series_labels(entry).items()))
                counts[key] = counts.get(key, 0.0) + 1
        if name == "rate":
            return {k: v / window for k, v in counts.items()}
        return counts
    raise ValueError(f"{name}: not in the LogQL subset")


def _series_labels(entry: Entry) -> dict[str, str]:
    # A metric query's series carry the stream labels, the structured metadata and what
    # parsers extracted, so ``sum by (worker_id)`` can group on a metadata field.
    return {**entry.labels, **entry.metadata, **entry.extracted}


def select(query: str, entries: list[Entry]) -> list[Entry]:
    """The lines a log query returns."""
    tokens = _Tokens(query)
    found = _log_query(tokens, entries)
    if tokens.peek() is not None:
        raise ValueError(f"unread: {tokens.items[tokens.index :]}")
    return found


def evaluate(query: str, entries: list[Entry], at: float) -> Series:
    """A metric query's series at ``at`` (seconds), keyed by their label pairs."""
    tokens = _Tokens(query)
    series = _metric(tokens, entries, at)
    if tokens.peek() is not None:
        raise ValueError(f"unread: {tokens.items[tokens.index :]}")
    return series
