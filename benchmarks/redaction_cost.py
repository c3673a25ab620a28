"""Per-call cost of redaction alone, as the minimum of repeated timings (stable on a busy
machine, where the paired rounds of ``make bench`` spread widely).

Usage: ``python benchmarks/redaction_cost.py [--markdown docs/benchmarks.md]`` (rewrites
its section of the page, ``redaction-cost``).
"""

from __future__ import annotations

import argparse
import itertools
import pathlib
import timeit
from collections.abc import Callable

from _markers import rewrite  # a sibling module: the benchmarks run as scripts
from opentelemetry.sdk.trace import TracerProvider

from otelkit._redaction.scrub import DEFAULT
from otelkit._sdk.redaction import redact_span

URL = "https://media.example.com/api/v1/videos/job-8f14e45f/scenes/3?page=2&size=20"
MESSAGE = "Scene rendered for the current job"
SECRET = "Calling https://api.example.com/v1?token=qtok-needle-313 with Bearer abcdefgh12345"
_fresh = itertools.count()


def _per_call_us(func: Callable[[], object], number: int = 2000) -> float:
    return min(timeit.repeat(func, number=number, repeat=7)) / number * 1e6


def _span() -> object:
    tracer = TracerProvider().get_tracer("bench")
    span = tracer.start_span(
        "GET /scenes",
        attributes={
            "job_id": "job-8f14e45fceea167a5a36dedd4bea2543",
            "session_id": "sess-abc",
            "correlation_id": "660e9500-f39c-52e5-b827-557766551111",
            "http.url": URL,
            "scene": 3,
            "stage": "render",
        },
    )
    span.end()
    return span


def measure() -> str:
    """The per-call costs as a markdown table."""
    span = _span()
    _redact_text, scrub_in_place = DEFAULT.text_redactor(), DEFAULT.scrub_in_place
    rows = [
        ("message, 34 chars, seen before", lambda: _redact_text(MESSAGE)),
        ("message, 34 chars, new each call", lambda: _redact_text(f"{MESSAGE} {next(_fresh)}")),
        ("URL, 76 chars, new each call", lambda: _redact_text(f"{URL}&n={next(_fresh)}")),
        ("text holding two secrets, 84 chars", lambda: _redact_text(SECRET + str(next(_fresh)))),
        ("log fields {scene, video_url}", lambda: scrub_in_place({"scene": 3, "video_url": URL})),
        ("finished span, 6 attributes", lambda: redact_span(span)),  # type: ignore[arg-type]
    ]
    lines = [
        "Minimum of 7 repeats of 2,000 calls (upper bounds on a loaded machine).",
        "",
        "| what is redacted | µs per call |",
        "| --- | ---: |",
        *(f"| {name} | {_per_call_us(func):.2f} |" for name, func in rows),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--markdown", type=pathlib.Path)
    args = parser.parse_args()
    table = measure()
    print(table)
    if args.markdown:
        rewrite(args.markdown, "redaction-cost", table)


if __name__ == "__main__":
    main()
