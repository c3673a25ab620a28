"""``otelkit traces find --annotation KEY=VALUE``: the traces of one job, from X-Ray.

X-Ray indexes annotations, so the search asks ``GetTraceSummaries`` for
``annotation.KEY = "VALUE"`` and reads the matching traces with ``BatchGetTraces``. Every
trace is then checked against its segment documents, which are the record: where the
service cannot evaluate filter expressions (a local emulator), the window is scanned
instead and the documents decide alone.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from otelkit._cli.support import (
    add_aws_options,
    add_since,
    aws_client,
    parse_or_exit_code,
    positive,
    redacted,
)
from otelkit._values.terminal import printable

_BATCH = 5  # BatchGetTraces takes at most five IDs per call


def main(argv: Sequence[str]) -> int:
    """Run ``otelkit traces``; 0 traces printed, 1 none matched, 2 bad usage."""
    args = parse_or_exit_code(_parser(), argv)
    if isinstance(args, int):
        return args
    key, value = args.annotation
    client = aws_client("xray", args)
    found = find_traces(client, key, value, timedelta(seconds=args.since))
    traces = list(itertools.islice(found, args.limit))
    for trace in map(redacted, traces):
        sys.stdout.write((json.dumps(trace) if args.json else _render(trace)) + "\n")
    return 0 if traces else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="otelkit traces", description="Find traces in AWS X-Ray.")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="find")
    find = verbs.add_parser("find", help="traces carrying an annotation")
    find.add_argument(
        "--annotation", required=True, type=_annotation, help="KEY=VALUE, e.g. job_id=job-abc123"
    )
    add_since(find, default=6 * 3600)
    find.add_argument("--limit", type=positive, default=100, help="at most this many traces")
    add_aws_options(find)
    find.add_argument("--json", action="store_true", help="one JSON document per trace")
    return parser


def _annotation(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise argparse.ArgumentTypeError(f"{text!r}: KEY=VALUE, e.g. job_id=job-abc123")
    return key, value


def find_traces(client: Any, key: str, value: str, window: timedelta) -> Iterator[dict[str, Any]]:
    """Each trace in ``window`` with annotation ``key`` equal to ``value``, summarised."""
    from botocore.exceptions import ClientError

    end = datetime.now(UTC)
    window_args = {"StartTime": end - window, "EndTime": end}
    expression = f"annotation.{key} = {json.dumps(value)}"
    try:
        ids = _summary_ids(client, {**window_args, "FilterExpression": expression})
        first = list(itertools.islice(ids, _BATCH))  # the service judges the filter here
    except ClientError as exc:
        sys.stderr.write(
            f"otelkit traces: the service did not evaluate {printable(repr(expression))} "
            f"({printable(exc.response['Error'].get('Code'))}); scanning the window\n"
        )
        ids, first = _summary_ids(client, window_args), []
    # IDs stream page by page, five at a time: a busy window is never held whole.
    pending = itertools.chain(first, ids)
    while batch := list(itertools.islice(pending, _BATCH)):
        response = client.batch_get_traces(TraceIds=batch)
        for trace in response["Traces"]:
            segments = [d for s in trace.get("Segments", []) if (d := _document(s)) is not None]
            if any(_annotations(s).get(key) == value for s in segments):
                yield {
                    "id": trace["Id"],
                    "duration": trace.get("Duration"),
                    "segments": sorted({str(s.get("name", "?")) for s in segments}),
                    "annotations": _merged(segments),
                }


def _summary_ids(client: Any, args: dict[str, Any]) -> Iterator[str]:
    for page in client.get_paginator("get_trace_summaries").paginate(**args):
        for summary in page["TraceSummaries"]:
            yield summary["Id"]


def _document(segment: dict[str, Any]) -> dict[str, Any] | None:
    """A segment document; None for one that is not a JSON object or nests too deep."""
    try:
        document = json.loads(segment["Document"])
    except (KeyError, ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _annotations(segment: dict[str, Any]) -> dict[str, Any]:
    """A segment's annotations and those of its subsegments, at any depth (walked without
    recursion: a document is anyone's text)."""
    found: dict[str, Any] = {}
    stack = [segment]
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            continue
        annotations = item.get("annotations")
        if isinstance(annotations, dict):
            found.update(annotations)
        subsegments = item.get("subsegments")
        if isinstance(subsegments, list):
            stack.extend(reversed(subsegments))
    return found


def _merged(segments: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for segment in segments:
        merged.update(_annotations(segment))
    return dict(sorted(merged.items()))


def _render(trace: dict[str, Any]) -> str:
    """One line per trace; segment names and annotations are anyone's text: escaped."""
    annotations = " ".join(
        f"{printable(k)}={printable(v)}" for k, v in trace["annotations"].items()
    )
    duration = trace["duration"]
    took = f"{duration:.3f}s" if isinstance(duration, int | float) else "-"
    segments = ", ".join(printable(name) for name in trace["segments"])
    return f"{printable(trace['id'])}  {took}  {segments}  {annotations}"
