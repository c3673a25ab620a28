"""What a rendered CloudFormation template watches: every (namespace, metric, dimension
set) its alarms, SLO alarms and dashboard read, taken from the template itself (alarm
properties, Metrics Insights queries, dashboard metric arrays and SEARCH expressions)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_SCHEMA = re.compile(r'SELECT \w+\("(?P<metric>[^"]+)"\) FROM SCHEMA\((?P<schema>[^)]*)\)')
_WHERE = re.compile(r"\"([^\"]+)\" = '([^']*)'")
_SEARCH = re.compile(r"SEARCH\('\{(?P<schema>[^}]*)\} (?P<terms>.*?)', '")
_TERM = re.compile(r'("[^"]+"|[\w.]+)="([^"]*)"')


@dataclass(frozen=True)
class Watched:
    """One metric a resource reads; ``values`` holds the dimensions fixed to one value."""

    where: str
    namespace: str
    metric: str
    dimensions: frozenset[str]
    values: tuple[tuple[str, str], ...]


def _unquote(name: str) -> str:
    return name.strip().strip('"')


def _from_metric(where: str, metric: dict[str, Any]) -> Watched:
    dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
    return Watched(
        where,
        metric["Namespace"],
        metric["MetricName"],
        frozenset(dims),
        tuple(sorted(dims.items())),
    )


def _from_sql(where: str, sql: str) -> Watched:
    found = _SCHEMA.search(sql)
    assert found, sql
    namespace, *dims = [_unquote(n) for n in found["schema"].split(",")]
    values = tuple(sorted(_WHERE.findall(sql[found.end() :])))
    return Watched(where, namespace, found["metric"], frozenset(dims), values)


def _from_search(where: str, expression: str) -> Watched:
    found = _SEARCH.search(expression)
    assert found, expression
    namespace, *dims = [_unquote(n) for n in found["schema"].split(",")]
    terms = {_unquote(k): v for k, v in _TERM.findall(found["terms"])}
    metric = terms.pop("MetricName")
    return Watched(where, namespace, metric, frozenset(dims), tuple(sorted(terms.items())))


def _alarm(name: str, props: dict[str, Any]) -> Iterator[Watched]:
    if "MetricName" in props:
        yield _from_metric(f"alarm {name}", props)
    for query in props.get("Metrics", []):
        if "MetricStat" in query:
            yield _from_metric(f"alarm {name}", query["MetricStat"]["Metric"])
        elif "SCHEMA(" in query.get("Expression", ""):
            yield _from_sql(f"alarm {name}", query["Expression"])


def _dashboard(body: str) -> Iterator[Watched]:
    for widget in json.loads(body)["widgets"]:
        props = widget["properties"]
        for row in props.get("metrics", []):
            where = f"widget {props['title']!r}"
            if isinstance(row[0], dict):
                expression = row[0].get("expression", "")
                if expression.startswith("SEARCH("):
                    yield _from_search(where, expression)
                continue
            namespace, metric, *rest = row
            pairs = [item for item in rest if not isinstance(item, dict)]
            dims = dict(zip(pairs[::2], pairs[1::2], strict=True))
            yield Watched(where, namespace, metric, frozenset(dims), tuple(sorted(dims.items())))


def watched(template: dict[str, Any]) -> list[Watched]:
    """Every metric the template's alarms and dashboard read."""
    found: list[Watched] = []
    for name, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            found += _alarm(name, props)
        elif resource["Type"] == "AWS::CloudWatch::Dashboard":
            body = props["DashboardBody"]
            found += _dashboard(body["Fn::Sub"] if isinstance(body, dict) else body)
    return found
