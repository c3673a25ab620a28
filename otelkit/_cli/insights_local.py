"""A CloudWatch Logs Insights subset, run over local JSON lines.

The same query a team saved for CloudWatch (``fields``, ``filter``, ``stats … by``,
``sort``, ``limit``) answers the same question over ``LOG_TO_FILE`` files, with no AWS
account. Supported: ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``like /regex/`` and
``like "text"`` (and ``not like``), ``and``/``or``/``not`` and parentheses;
``count()``, ``count(field)``, ``sum``, ``avg``, ``min``, ``max`` with ``as`` and ``by``.
``@message`` is the whole line (as in CloudWatch, where it is the JSON text) and
``@timestamp`` its ``timestamp``. Anything else is a ``ValueError`` naming it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Line = dict[str, Any]
Predicate = Callable[[Line], bool]
Row = dict[str, Any]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<regex>/(?:[^/\\]|\\.)*/)
    | (?P<op>>=|<=|!=|=|>|<|\(|\)|,)
    | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
    | (?P<word>[@\w][\w.@-]*)
    )""",
    re.VERBOSE,
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_AGGREGATES = ("count", "sum", "avg", "min", "max")


def value_of(line: Line, name: str) -> Any:
    """A field as Insights sees it: ``@message`` the whole line, ``@timestamp`` its time."""
    if name == "@message":
        return json.dumps(line, ensure_ascii=False)
    if name == "@timestamp":
        return line.get("timestamp")
    return line.get(name)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read the query at {text[position : position + 20]!r}")
        kind = match.lastgroup
        assert kind is not None
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


def _split_commands(query: str) -> list[str]:
    """The query's commands: split on ``|`` outside quotes and regexes."""
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    for char in query:
        if quote:
            quote = "" if char == quote and (not current or current[-1] != "\\") else quote
        elif char in "\"'/":
            quote = char
        elif char == "|":
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


class _Parser:
    """Recursive descent over a ``filter`` expression: ``or`` binds loosest."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ValueError("the filter ends too early")
        self.at += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.at += 1
            return True
        return False

    def parse(self) -> Predicate:
        predicate = self.either()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()[1]!r} in filter")  # type: ignore[index]
        return predicate

    def either(self) -> Predicate:
        left = self.both()
        while self.keyword("or"):
            left = _any_of(left, self.both())
        return left

    def both(self) -> Predicate:
        left = self.unary()
        while self.keyword("and"):
            left = _all_of(left, self.unary())
        return left

    def unary(self) -> Predicate:
        if self.keyword("not"):
            inner = self.unary()
            return lambda line: not inner(line)
        if self.peek() == ("op", "("):
            self.take()
            inner = self.either()
            if self.peek() != ("op", ")"):
                raise ValueError("a '(' in the filter is not closed")
            self.take()
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        kind, name = self.take()
        if kind != "word":
            raise ValueError(f"expected a field name in filter, got {name!r}")
        negate = self.keyword("not")
        if self.keyword("like"):
            pattern = _pattern(self.take())
            return lambda line: negate != bool(pattern.search(str(value_of(line, name) or "")))
        if negate:
            raise ValueError("'not' before a comparison: write 'not field = value'")
        op_kind, op = self.take()
        if op_kind != "op" or op not in _COMPARE:
            raise ValueError(f"expected a comparison after {name!r}, got {op!r}")
        wanted = _literal(self.take())
        compare = _COMPARE[op]

        def test(line: Line) -> bool:
            value = value_of(line, name)
            if value is None:  # as in Insights: a line without the field matches no test
                return False
            try:
                return compare(value, wanted)
            except TypeError:  # "abc" > 3: Insights finds no match either
                return False

        return test


def _any_of(first: Predicate, second: Predicate) -> Predicate:
    return lambda line: first(line) or second(line)


def _all_of(first: Predicate, second: Predicate) -> Predicate:
    return lambda line: first(line) and second(line)


def _pattern(token: tuple[str, str]) -> re.Pattern[str]:
    kind, text = token
    if kind == "regex":
        try:
            return re.compile(text[1:-1])
        except re.error as exc:
            raise ValueError(f"bad regex {text}: {exc}") from None
    if kind == "string":
        return re.compile(re.escape(_unquote(text)))
    raise ValueError(f"'like' takes /regex/ or \"text\", got {text!r}")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _literal(token: tuple[str, str]) -> Any:
    kind, text = token
    if kind == "string":
        return _unquote(text)
    if kind == "number":
        return float(text) if "." in text else int(text)
    raise ValueError(f"expected a quoted string or a number, got {text!r}")


@dataclass
class _Aggregate:
    function: str
    field: str | None
    name: str

    def compute(self, lines: list[Line]) -> Any:
        if self.function == "count":
            if self.field is None:
                return len(lines)
            return sum(1 for line in lines if value_of(line, self.field) is not None)
        numbers = [
            v
            for v in (value_of(line, self.field or "") for line in lines)
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        ]
        if not numbers:
            return None
        return _REDUCE[self.function](numbers)


_REDUCE: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "avg": lambda xs: sum(xs) / len(xs),
    "min": min,
    "max": max,
}
_AGGREGATE = re.compile(
    r"\s*(?P<fn>\w+)\s*\(\s*(?P<field>[@\w.*]*)\s*\)(?:\s+as\s+(?P<alias>\w+))?\s*$", re.I
)


def _stats(text: str) -> tuple[list[_Aggregate], list[str]]:
    by: list[str] = []
    match = re.search(r"\s+by\s+", text, re.I)
    if match:
        by = [name.strip() for name in text[match.end() :].split(",") if name.strip()]
        text = text[: match.start()]
    aggregates = []
    for part in text.split(","):
        found = _AGGREGATE.match(part)
        if found is None or found["fn"].lower() not in _AGGREGATES:
            raise ValueError(f"stats: cannot read {part.strip()!r} (count, sum, avg, min, max)")
        function, name = found["fn"].lower(), found["field"]
        target = None if name in {"", "*"} else name
        aggregates.append(_Aggregate(function, target, found["alias"] or part.strip()))
    return aggregates, by


@dataclass
class Query:
    """A parsed query: run it with ``run(lines)``."""

    fields: list[str] = field(default_factory=list)
    filters: list[Predicate] = field(default_factory=list)
    aggregates: list[_Aggregate] = field(default_factory=list)
    by: list[str] = field(default_factory=list)
    sort: tuple[str, bool] | None = None  # (field, descending)
    limit: int | None = None

    def run(self, lines: Iterable[Line]) -> list[Row]:
        kept = (line for line in lines if all(test(line) for test in self.filters))
        rows = self._grouped(kept) if self.aggregates else [self._project(ln) for ln in kept]
        if self.sort is not None:
            name, descending = self.sort
            present = [row for row in rows if row.get(name) is not None]
            missing = [row for row in rows if row.get(name) is None]
            present.sort(key=lambda row: _sort_key(row[name]), reverse=descending)
            rows = present + missing
        return rows[: self.limit] if self.limit is not None else rows

    def _project(self, line: Line) -> Row:
        if not self.fields:
            return {"@timestamp": line.get("timestamp"), "@message": value_of(line, "@message")}
        return {name: value_of(line, name) for name in self.fields}

    def _grouped(self, lines: Iterable[Line]) -> list[Row]:
        groups: dict[tuple[str, ...], list[Line]] = {}
        for line in lines:
            key = tuple(json.dumps(value_of(line, name)) for name in self.by)
            groups.setdefault(key, []).append(line)
        rows = []
        for members in groups.values():
            row: Row = {name: value_of(members[0], name) for name in self.by}
            row.update((agg.name, agg.compute(members)) for agg in self.aggregates)
            rows.append(row)
        return rows


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def parse_query(query: str) -> Query:
    """Parse ``query``; ``ValueError`` names the part it cannot read."""
    parsed = Query()
    for command in _split_commands(query):
        verb, _, rest = command.partition(" ")
        verb, rest = verb.lower(), rest.strip()
        if verb == "fields":
            parsed.fields.extend(name.strip() for name in rest.split(",") if name.strip())
        elif verb == "filter":
            parsed.filters.append(_Parser(rest).parse())
        elif verb == "stats":
            parsed.aggregates, parsed.by = _stats(rest)
        elif verb == "sort":
            name, _, order = rest.partition(" ")
            parsed.sort = (name.strip(), order.strip().lower() != "asc")
        elif verb == "limit":
            if not rest.isdigit():
                raise ValueError(f"limit takes a whole number, got {rest!r}")
            parsed.limit = int(rest)
        elif verb == "display":
            parsed.fields = [name.strip() for name in rest.split(",") if name.strip()]
        else:
            raise ValueError(f"unsupported command {verb!r} (fields, filter, stats, sort, limit)")
    return parsed
