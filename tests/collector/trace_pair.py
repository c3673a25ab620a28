"""Two otelkit programs that build each trace together, for the gateway tier test.

``python trace_pair.py root COUNT INTERVAL_S`` opens one root span per trace, prints
``seq kind traceparent`` and keeps the span open until a line ``done`` arrives on its
stdin; ``python trace_pair.py child SLOW_S`` reads those lines, adds a child span to
each trace and answers ``done``, like a service called by another. Each program exports
to its own agent, so a trace reaches the gateways through two agents, and only the
gateway that sees both halves can judge it: the child fails for ``error`` traces and
lasts ``SLOW_S`` for ``slow`` ones, while every root span ends healthy.
"""

from __future__ import annotations

import sys
import time

from opentelemetry import context, propagate

import otelkit


def kind_of(seq: int) -> str:
    """Which kind of trace ``seq`` is: one in ten fails, one in a hundred is slow."""
    if seq % 10 == 3:
        return "error"
    if seq % 100 == 7:
        return "slow"
    return "normal"


def roots(count: int, interval: float) -> None:
    for seq in range(count):
        kind = kind_of(seq)
        carrier: dict[str, str] = {}
        with otelkit.span("root", seq=seq, trace_kind=kind, role="root"):
            propagate.inject(carrier)
            print(seq, kind, carrier["traceparent"], flush=True)
            for answer in sys.stdin:  # the child's work is part of the root's duration
                if answer.strip() == "done":
                    break
        time.sleep(interval)


def children(slow: float) -> None:
    for line in sys.stdin:
        seq, kind, traceparent = line.split()
        token = context.attach(propagate.extract({"traceparent": traceparent}))
        try:
            with otelkit.span("child", seq=int(seq), trace_kind=kind, role="child"):
                if kind == "slow":
                    time.sleep(slow)
                if kind == "error":
                    raise RuntimeError("render failed")
        except RuntimeError:
            pass  # recorded on the span with ERROR status
        finally:
            context.detach(token)
        print("done", flush=True)


def main(argv: list[str]) -> None:
    otelkit.configure()
    if argv[0] == "root":
        roots(int(argv[1]), float(argv[2]))
    else:
        children(float(argv[1]))
    otelkit.shutdown(timeout=30.0)


if __name__ == "__main__":
    main(sys.argv[1:])
