"""``otelkit metrics``: what each metric measured over a window, from CloudWatch or from
the EMF documents in local files.

Over ``--namespace`` it asks CloudWatch (ListMetrics, then GetMetricStatistics per
metric and dimension set); over ``--file`` it reads the EMF documents otelkit wrote to
stdout (captured to a file, or ``LOG_TO_FILE``'s). One row per metric and dimension set:
samples, sum, average, minimum, maximum.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from otelkit._cli.lines import (
    add_file_option,
    add_window_and_aws,
    lines,
    write_rows,
)
from otelkit._cli.log_reading import Skipped
from otelkit._cli.support import USAGE, aws_client, parse_or_exit_code

Key = tuple[str, str, tuple[tuple[str, str], ...]]  # namespace, metric, dimensions


class _Stats:
    """Samples, sum, minimum and maximum, merged from numbers and statistic sets."""

    __slots__ = ("count", "maximum", "minimum", "total")

    def __init__(self) -> None:
        self.count, self.total = 0.0, 0.0
        self.minimum, self.maximum = math.inf, -math.inf

    def add(self, count: float, total: float, low: float, high: float) -> None:
        self.count += count
        self.total += total
        self.minimum = min(self.minimum, low)
        self.maximum = max(self.maximum, high)

    def row(self, key: Key) -> dict[str, Any]:
        namespace, name, dimensions = key
        return {
            "namespace": namespace,
            "metric": name,
            "dimensions": ",".join(f"{k}={v}" for k, v in dimensions) or "-",
            "samples": int(self.count),
            "sum": self.total,
            "avg": self.total / self.count if self.count else None,
            "min": self.minimum if self.count else None,
            "max": self.maximum if self.count else None,
        }


def main(argv: Sequence[str]) -> int:
    """Run ``otelkit metrics``: 0 rows printed (or none found), 2 bad usage."""
    args = parse_or_exit_code(_parser(), argv)
    if isinstance(args, int):
        return args
    try:
        found = _from_files(args) if args.file else _from_cloudwatch(args)
    except OSError as exc:
        sys.stderr.write(f"otelkit metrics: cannot read {exc.filename}: {exc.strerror}\n")
        return USAGE
    rows = [
        stats.row(key)
        for key, stats in sorted(found.items())
        if args.name is None or key[1] in args.name
    ]
    write_rows(rows, as_json=args.json)
    if not rows:
        sys.stderr.write("otelkit metrics: no data points in the window (--since)\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otelkit metrics",
        description="Summarise metrics from CloudWatch (--namespace) or EMF lines (--file).",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--namespace", help="CloudWatch namespace, e.g. RezAgent")
    add_file_option(where)
    parser.add_argument("--name", action="append", help="only this metric (repeatable)")
    parser.add_argument("--json", action="store_true", help="one JSON object per row")
    add_window_and_aws(parser)
    return parser


def _from_files(args: argparse.Namespace) -> dict[Key, _Stats]:
    found: dict[Key, _Stats] = {}
    skipped = Skipped()
    for document in lines(args, skipped):
        aws = document.get("_aws")
        if not isinstance(aws, dict):
            continue
        for directive in aws.get("CloudWatchMetrics") or ():
            namespace = str(directive.get("Namespace", "-"))
            for names in directive.get("Dimensions") or [[]]:
                dimensions = tuple((str(n), str(document.get(n, "-"))) for n in names)
                for metric in directive.get("Metrics") or ():
                    name = str(metric.get("Name"))
                    point = _point(document.get(name))
                    if point is not None:
                        found.setdefault((namespace, name, dimensions), _Stats()).add(*point)
    sys.stderr.writelines(skipped.notes("otelkit metrics"))
    return found


def _point(value: Any) -> tuple[float, float, float, float] | None:
    """(count, sum, min, max) of an EMF value: a number, a list, or a statistic set."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return (1, value, value, value)
    if isinstance(value, list):
        numbers = [v for v in value if isinstance(v, (int, float)) and not isinstance(v, bool)]
        return (len(numbers), sum(numbers), min(numbers), max(numbers)) if numbers else None
    if isinstance(value, dict) and {"Count", "Sum", "Min", "Max"} <= value.keys():
        return (value["Count"], value["Sum"], value["Min"], value["Max"])
    return None


def _from_cloudwatch(args: argparse.Namespace) -> dict[Key, _Stats]:
    client = aws_client("cloudwatch", args)
    end = datetime.now(UTC) + timedelta(minutes=1)  # EndTime is exclusive: include now
    start = datetime.fromtimestamp(time.time() - args.since, UTC)
    period = max(60, math.ceil(args.since / 60) * 60)  # one data point for the window
    found: dict[Key, _Stats] = {}
    for metric in _listed(client, args.namespace):
        dimensions = tuple((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
        answer = client.get_metric_statistics(
            Namespace=args.namespace,
            MetricName=metric["MetricName"],
            Dimensions=metric.get("Dimensions", []),
            StartTime=start,
            EndTime=end,
            Period=period,
            Statistics=["SampleCount", "Sum", "Minimum", "Maximum"],
        )
        for point in answer.get("Datapoints", []):
            key = (args.namespace, metric["MetricName"], tuple(sorted(dimensions)))
            found.setdefault(key, _Stats()).add(
                point["SampleCount"], point["Sum"], point["Minimum"], point["Maximum"]
            )
    return found


def _listed(client: Any, namespace: str) -> Iterable[dict[str, Any]]:
    """Each metric and dimension set once (a listing may repeat one)."""
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for page in client.get_paginator("list_metrics").paginate(Namespace=namespace):
        for metric in page.get("Metrics", []):
            dims = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
            if (metric["MetricName"], dims) not in seen:
                seen.add((metric["MetricName"], dims))
                yield metric
