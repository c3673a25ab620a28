"""One video job as the development console prints it: a span tree with timeline bars.

Each span line gives its duration and a bar placed by where the span starts in the trace
and sized by how long it lasts, so what ran in parallel and what waited is seen at a
glance. The spans here are given fixed start and end times (a render farm's job in
miniature), so the picture is the same on every run; the bars of a real trace are drawn
the same way. Bars fit the terminal's width (``COLUMNS``); ``NO_COLOR`` and
``FORCE_COLOR`` decide the colour.

Needs otelkit alone (no extra, no network). Run it::

    python examples/console_trace.py
"""

from __future__ import annotations

from opentelemetry import trace

import otelkit

MS = 1_000_000  # nanoseconds
EPOCH = 1_767_225_600_000 * MS  # 2026-01-01T00:00:00Z

# name, parent (an index into this list, or None), start and end in ms, error or None
PLAN: list[tuple[str, int | None, int, int, str | None]] = [
    ("video.generate", None, 0, 400, None),
    ("GET /scripts/{id}", 0, 4, 40, None),
    ("render scene 1", 0, 40, 200, None),
    ("render scene 2", 0, 40, 240, None),
    ("encode", 0, 240, 320, None),
    ("S3.PutObject", 0, 320, 380, None),
    ("POST /webhooks/done", 0, 380, 398, "503 Service Unavailable"),
]


def main() -> None:
    otelkit.configure(service_name="video-pipeline", console=True, log_stdout=False)
    tracer = trace.get_tracer("examples.console_trace")
    with otelkit.bind(job_id="job-7f3a", user_id="user-xyz"):
        opened: list[trace.Span] = []
        for name, parent, start, _, _ in PLAN:
            context = trace.set_span_in_context(opened[parent]) if parent is not None else None
            opened.append(tracer.start_span(name, context, start_time=EPOCH + start * MS))
        # children end before their parent: the tree prints when the root ends
        for span, (_, _, _, end, error) in reversed(list(zip(opened, PLAN, strict=True))):
            if error is not None:
                span.set_status(trace.StatusCode.ERROR, error)
            span.end(end_time=EPOCH + end * MS)
    otelkit.shutdown()


if __name__ == "__main__":
    main()
