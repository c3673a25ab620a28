"""The log fields a saved query reads, so a test can hold them against real lines."""

from __future__ import annotations

import re

_INSIGHTS_WORDS = frozenset(
    {
        "fields",
        "filter",
        "stats",
        "sort",
        "limit",
        "by",
        "as",
        "and",
        "or",
        "not",
        "like",
        "in",
        "desc",
        "asc",
        "display",
        "parse",
        "dedup",
        "unmask",
        "pattern",
        "diff",
    }
)
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`|/(?:[^/\\]|\\.)+/')
_IDENT = re.compile(r"(?<![@\w.])([A-Za-z_][\w.]*)(?!\w)(\s*\()?")
_ALIAS = re.compile(r"\bas\s+([A-Za-z_]\w*)")
_LOGQL_FILTER = re.compile(r"\|\s*([A-Za-z_]\w*)\s*(?:=~|!~|!=|==|>=|<=|=|>|<)")
_LOGQL_BY = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")


def insights_fields(query: str) -> set[str]:
    """The fields a Logs Insights query names (``@`` fields, functions, aliases left out)."""
    text = _STRINGS.sub(" ", query)
    aliases = set(_ALIAS.findall(text))
    found = set()
    for match in _IDENT.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name in _INSIGHTS_WORDS or name in aliases:
            continue
        found.add(name)
    return found


def logql_fields(query: str) -> set[str]:
    """The fields a LogQL query filters or groups on after ``| json`` (not stream labels)."""
    _, _, pipeline = query.partition("| json")
    found = set(_LOGQL_FILTER.findall(_STRINGS.sub('""', pipeline)))
    for group in _LOGQL_BY.findall(query):
        found.update(name.strip() for name in group.split(",") if name.strip())
    return found
