"""``otelkit health URL``: is this service up? (``GET /health``, as otelkit serves it)."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from otelkit._cli.support import parse_or_exit_code, redacted
from otelkit._values.terminal import colour_wanted, coloured, printable

HEALTHY = {"healthy", "ok", "pass", "up"}


def main(argv: Sequence[str]) -> int:
    """Run ``otelkit health``; 0 healthy, 1 unhealthy or unreachable, 2 bad usage."""
    args = parse_or_exit_code(_parser(), argv)
    if isinstance(args, int):
        return args
    url = (
        args.url if urlsplit(args.url).path not in {"", "/"} else (args.url.rstrip("/") + "/health")
    )
    if urlsplit(url).scheme not in {"http", "https"}:
        sys.stderr.write(f"otelkit health: {printable(repr(args.url))} is not an http(s) URL\n")
        return 2
    result = redacted(check(url, args.timeout))  # the body is the service's text
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        # The body is the service's text (or an error's): escaped like a log line.
        details = " ".join(
            f"{printable(k)}={printable(v)}"
            for k, v in result["body"].items()
            if k != "status" and not isinstance(v, dict | list)
        )
        verdict = result["verdict"]
        shown = coloured(verdict, verdict, colour_wanted(sys.stdout)) + " " * (9 - len(verdict))
        sys.stdout.write(
            f"{shown} {result['http_status'] or '-'}  {printable(url)}  {details}".rstrip() + "\n"
        )
    return 0 if result["verdict"] == "healthy" else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otelkit health", description="Check a service's health endpoint."
    )
    parser.add_argument("url", help="http://host:port[/path]; /health when no path is given")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    parser.add_argument("--json", action="store_true", help="the result as one JSON document")
    return parser


def check(url: str, timeout: float) -> dict[str, Any]:
    """GET ``url``: the HTTP status, the JSON body (if any) and a verdict."""
    status: int | None = None
    body: dict[str, Any] = {}
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return {"verdict": "down", "http_status": None, "body": {"error": str(reason)}}
    try:
        parsed = json.loads(raw)
        body = parsed if isinstance(parsed, dict) else {}
    except ValueError:
        pass
    reported = str(body.get("status", "healthy")).lower()
    healthy = 200 <= status < 300 and reported in HEALTHY
    return {"verdict": "healthy" if healthy else "unhealthy", "http_status": status, "body": body}
