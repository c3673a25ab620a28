"""``otelkit insights QUERY``: a Logs Insights query over CloudWatch or local files.

``QUERY`` is a saved query's name (``otelkit insights --list``) or the query text. Over
``--group`` CloudWatch runs it (StartQuery, then GetQueryResults until it completes);
over ``--file`` otelkit runs the same text itself (``otelkit._cli.insights_local``), so a
query checked on a laptop's ``LOG_TO_FILE`` files is the one saved for production.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from otelkit._cli.insights_local import Row, parse_query
from otelkit._cli.lines import add_common, lines, safe, write_rows
from otelkit._cli.log_reading import Skipped
from otelkit._cli.support import FAILED, USAGE, aws_client, parse_or_exit_code

#: Saved queries: seed 002's debug questions, in otelkit's field names.
SAVED: dict[str, str] = {
    "errors": "fields @timestamp, level, logger, message, error_type "
    '| filter level = "ERROR" or level = "CRITICAL" | sort @timestamp desc | limit 50',
    "slow": "fields @timestamp, method, route, path, status, latency_ms "
    '| filter message = "Request completed" and latency_ms > 2000 '
    "| sort latency_ms desc | limit 50",
    "endpoints": 'filter message = "Request completed" '
    "| stats count() as requests, avg(latency_ms) as avg_ms, max(latency_ms) as max_ms "
    "by method, route | sort requests desc",
    "error-types": 'filter level = "ERROR" | stats count() as errors by error_type, logger '
    "| sort errors desc | limit 20",
    "api-errors": "fields @timestamp, job_id, provider, status, detail "
    "| filter @message like /API error/ | sort @timestamp desc | limit 50",
}
#: How long CloudWatch may take to answer before the command gives up.
QUERY_TIMEOUT_SECONDS = 60.0


def main(argv: Sequence[str]) -> int:
    """Run ``otelkit insights``: 0 rows printed (or none found), 1 query failed, 2 usage."""
    args = parse_or_exit_code(_parser(), argv)
    if isinstance(args, int):
        return args
    if args.list:
        for name, text in SAVED.items():
            sys.stdout.write(f"{name:<12} {text}\n")
        return 0
    if args.query is None or not (args.file or args.group):
        sys.stderr.write("otelkit insights: give a QUERY and --file or --group (or --list)\n")
        return USAGE
    text = SAVED.get(args.query, args.query)
    try:
        rows = _local(text, args) if args.file else _cloudwatch(text, args)
    except ValueError as exc:
        sys.stderr.write(f"otelkit insights: {safe(exc)}\n")
        return USAGE
    except OSError as exc:
        sys.stderr.write(f"otelkit insights: cannot read {exc.filename}: {exc.strerror}\n")
        return USAGE
    except TimeoutError as exc:
        sys.stderr.write(f"otelkit insights: {exc}\n")
        return FAILED
    write_rows(rows, as_json=args.json)
    if not rows:
        sys.stderr.write("otelkit insights: no results (--since looks further back)\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otelkit insights",
        description="Run a Logs Insights query over CloudWatch (--group) or JSON-line files "
        "(--file).",
    )
    parser.add_argument("query", nargs="?", help="a saved query's name or the query text")
    parser.add_argument("--list", action="store_true", help="list the saved queries")
    parser.add_argument("--json", action="store_true", help="one JSON object per row")
    add_common(parser, required=False)  # --list needs neither --file nor --group
    return parser


def _local(text: str, args: argparse.Namespace) -> list[Row]:
    query = parse_query(text)  # a bad query fails before any file is read
    skipped = Skipped()
    rows = query.run(line for line in lines(args, skipped) if "_aws" not in line)
    sys.stderr.writelines(skipped.notes("otelkit insights"))
    return rows


def _cloudwatch(text: str, args: argparse.Namespace) -> list[Row]:
    client = aws_client("logs", args)
    end = int(time.time()) + 1  # whole seconds: the current one included
    query_id = client.start_query(
        logGroupNames=args.group, startTime=end - args.since, endTime=end, queryString=text
    )["queryId"]
    deadline = time.monotonic() + QUERY_TIMEOUT_SECONDS
    while True:
        answer = client.get_query_results(queryId=query_id)
        status = answer.get("status")
        if status == "Complete":
            break
        if status in {"Failed", "Cancelled", "Timeout"}:
            raise ValueError(f"CloudWatch says the query {status.lower()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no answer from CloudWatch in {QUERY_TIMEOUT_SECONDS:.0f} s")
        time.sleep(0.5)
    return [
        {cell["field"]: cell.get("value") for cell in row if cell["field"] != "@ptr"}
        for row in answer.get("results", [])
    ]
