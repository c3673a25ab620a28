"""``otelkit summary``: one screen on a service's health over a window, from its lines.

The shape is seed 002's ``/metrics`` answer, computed from the log lines themselves
(CloudWatch ``--group`` or local ``--file``): requests (count, average response time in
seconds, error rate in percent, slow requests) and errors (distinct errors, occurrences,
by severity, the most frequent). Error-aggregation lines (``error_dedup_every``) count
by their ``count`` (the occurrences so far, so the latest line's).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from otelkit._cli.lines import add_common, lines, safe
from otelkit._cli.log_reading import Line, Skipped
from otelkit._cli.support import USAGE, parse_or_exit_code, redacted

_ERROR_LEVELS = frozenset({"ERROR", "CRITICAL", "FATAL"})
_REQUEST_DONE = "Request completed"
#: The most frequent errors shown.
TOP_ERRORS = 5


def summarise(source: Iterable[Line], slow_ms: float) -> dict[str, Any]:
    """The summary of ``source``'s lines (EMF documents are skipped)."""
    levels: Counter[str] = Counter()
    requests = failed = slow = 0
    latency_total = 0.0
    errors: Counter[tuple[str, str, str]] = Counter()
    severities: Counter[str] = Counter()
    first: dict[tuple[str, str, str], Line] = {}
    for line in source:
        if "_aws" in line:
            continue
        level = str(line.get("level", "-")).upper()
        levels[level] += 1
        if line.get("message") == _REQUEST_DONE:
            requests += 1
            latency = line.get("latency_ms", line.get("duration_ms"))
            if isinstance(latency, (int, float)):
                latency_total += latency
                slow += latency > slow_ms
            status = line.get("status")
            failed += (isinstance(status, int) and status >= 500) or level in _ERROR_LEVELS
        if level in _ERROR_LEVELS:
            key = (
                str(line.get("error_hash", "")),
                str(line.get("error_type", "")),
                str(line.get("message", "")),
            )
            count = line.get("count")
            if key[0] and isinstance(count, int) and count > 0:
                # an aggregated error's count is its occurrences so far: the latest wins
                errors[key] = max(errors[key], count)
            else:
                errors[key] += 1
            first.setdefault(key, line)
    for key, count in errors.items():
        severities[str(first[key].get("severity", "unknown")).lower()] += count
    return {
        "lines": sum(levels.values()),
        "by_level": dict(levels.most_common()),
        "performance": {
            "total_requests": requests,
            "avg_response_time": round(latency_total / requests / 1000, 3) if requests else None,
            "error_rate": round(100 * failed / requests, 1) if requests else None,
            "slow_requests": slow,
        },
        "errors": {
            "total_unique_errors": len(errors),
            "total_error_count": sum(errors.values()),
            "by_severity": dict(severities.most_common()),
            "top_errors": [
                {
                    "error_hash": key[0] or None,
                    "error_type": key[1] or None,
                    "message": key[2],
                    "count": count,
                    "logger": first[key].get("logger"),
                }
                for key, count in errors.most_common(TOP_ERRORS)
            ],
        },
    }


def main(argv: Sequence[str]) -> int:
    """Run ``otelkit summary``: 0 printed, 2 bad usage."""
    args = parse_or_exit_code(_parser(), argv)
    if isinstance(args, int):
        return args
    skipped = Skipped()
    try:
        summary = summarise(lines(args, skipped), args.slow_ms)
    except OSError as exc:
        sys.stderr.write(f"otelkit summary: cannot read {exc.filename}: {exc.strerror}\n")
        return USAGE
    sys.stderr.writelines(skipped.notes("otelkit summary"))
    summary = redacted({"window_seconds": args.since, **summary})
    if args.json:
        sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render(summary, args.slow_ms))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otelkit summary",
        description="Requests and errors over a window, from CloudWatch or JSON-line files.",
    )
    add_common(parser)
    parser.add_argument(
        "--slow-ms", type=float, default=2000.0, help="a slow request, in ms (default 2000)"
    )
    parser.add_argument("--json", action="store_true", help="the summary as JSON")
    return parser


def render(summary: dict[str, Any], slow_ms: float) -> str:
    """The summary for a person, every value from a line terminal-safe."""
    levels = ", ".join(f"{safe(k)} {v}" for k, v in summary["by_level"].items())
    perf, errs = summary["performance"], summary["errors"]
    out = [f"lines: {summary['lines']} ({levels or 'none'})"]
    if perf["total_requests"]:
        out.append(
            f"requests: {perf['total_requests']}, avg {perf['avg_response_time']:.3f} s, "
            f"error rate {perf['error_rate']:.1f}%, slow (>{slow_ms:g} ms) "
            f"{perf['slow_requests']}"
        )
    else:
        out.append("requests: none")
    severity = ", ".join(f"{safe(k)} {v}" for k, v in errs["by_severity"].items())
    out.append(
        f"errors: {errs['total_error_count']} in {errs['total_unique_errors']} kinds"
        + (f" ({severity})" if severity else "")
    )
    for error in errs["top_errors"]:
        what = " ".join(safe(part) for part in (error["error_type"], error["message"]) if part)
        tag = f"  [{safe(error['error_hash'])}]" if error["error_hash"] else ""
        out.append(f"  {error['count']:>6}  {what}{tag}")
    return "\n".join(out) + "\n"
