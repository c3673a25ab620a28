"""What one warm invocation of the benchmark's Lambda handler touches, otelkit (EMF only)
against Powertools' Logger and Metrics (as they are, and binding the request's correlation
ID as otelkit's decorator does): the calls it makes, the distinct Python and C
functions among them, and its time in a loop with the caches warm and with them evicted
before each invocation (a 32 MiB write), as they are in the runtime after each pause.

In the runtime an invocation follows a pause in which the runtime client and the emulator
ran, so what it touches matters besides what it computes: each distinct function is a few
cache lines of code and data to fetch again. Each configuration runs in a
fresh interpreter, three times, alternating; the times are medians of medians.

Usage: ``python benchmarks/lambda_footprint.py [--markdown docs/benchmarks.md]``
(rewrites its section of the page, ``lambda-footprint``).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time
from typing import Any

from _markers import rewrite  # sibling modules: the benchmarks run as scripts
from lambda_runtime import EMF_ONLY, EVENT, HANDLERS, SAME_WORK, configurations

#: The benchmark's configurations compared here (its handlers and environment); the
#: ratios are to the last.
COMPARED = (EMF_ONLY, SAME_WORK, "Powertools Logger + Metrics")
#: What the runtime and the benchmark set besides (``lambda_runtime._run``).
COMMON = {
    "AWS_LAMBDA_FUNCTION_NAME": "otelkit-test",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_METRICS_NAMESPACE": "Orders",
    # Lambda's X-Ray header with tracing off, as the runtime bench's bootstrap gives it.
    "_X_AMZN_TRACE_ID": "Root=1-6b16865a-a24861f03896db5e7081e884;Sampled=0",
}
RUNS, INVOCATIONS, EVICT_BYTES = 3, 600, 32 * 1024 * 1024


class _Context:
    function_name = "otelkit-test"
    memory_limit_in_mb = "3008"
    invoked_function_arn = "arn:aws:lambda:us-east-1:012345678912:function:otelkit-test"
    function_version = "$LATEST"

    def __init__(self, number: int) -> None:
        self.aws_request_id = f"request-{number}"

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def _footprint(handler: Any, event: dict[str, Any]) -> dict[str, int]:
    calls, python, native = 0, set(), set()

    def seen(frame: Any, event: str, arg: Any) -> None:
        nonlocal calls
        if event == "call":
            calls += 1
            code = frame.f_code
            python.add((code.co_filename, code.co_firstlineno, code.co_name))
        elif event == "c_call":
            calls += 1
            native.add(getattr(arg, "__qualname__", repr(arg)))

    sys.setprofile(seen)
    try:
        handler(event, _Context(-1))
    finally:
        sys.setprofile(None)
    return {"calls": calls, "python": len(python), "native": len(native)}


def _timed(handler: Any, event: dict[str, Any], evict: bytearray | None) -> float:
    took = []
    for number in range(INVOCATIONS):
        if evict is not None:
            evict[::64] = bytes(len(evict) // 64)  # a write to every cache line
        start = time.perf_counter()
        handler(event, _Context(number))
        took.append(time.perf_counter() - start)
    return statistics.median(took[INVOCATIONS // 10 :]) * 1e6


def _child(module: str, event: dict[str, Any]) -> None:
    """One handler module in this interpreter (its environment given by the parent, which
    loaded the benchmark's modules so that this process does not): its figures as JSON
    on the real stdout."""
    sys.path.insert(0, os.environ["FOOTPRINT_HANDLERS"])
    with open(os.devnull, "w") as nowhere, contextlib.redirect_stdout(nowhere):
        handler = __import__(module).handler  # its lines and documents go nowhere
        for number in range(20):
            handler(event, _Context(number))
        figures: dict[str, float] = {**_footprint(handler, event)}
        figures["warm"] = _timed(handler, event, None)
        figures["evicted"] = _timed(handler, event, bytearray(EVICT_BYTES))
    print(json.dumps(figures))


def measure() -> str:
    """Every configuration, alternating, as a markdown table."""
    compared = [c for c in configurations() if c.name in COMPARED]
    runs: dict[str, list[dict[str, float]]] = collections.defaultdict(list)
    for run in range(RUNS):
        for config in compared:
            name = config.name
            print(f"footprint: {name}, run {run + 1} of {RUNS}", file=sys.stderr, flush=True)
            module = config.handler.split(".")[0]
            child = subprocess.run(
                [sys.executable, __file__, "--child", module, json.dumps(EVENT)],
                env={**os.environ, **COMMON, **config.env, "FOOTPRINT_HANDLERS": str(HANDLERS)},
                capture_output=True,
                text=True,
                check=True,
            )
            runs[name].append(json.loads(child.stdout.splitlines()[-1]))
    base = runs[COMPARED[-1]]

    def cell(name: str, key: str, fmt: str) -> str:
        value = statistics.median(r[key] for r in runs[name])
        ratio = value / statistics.median(r[key] for r in base)
        return f"{value:{fmt}} ({ratio:.2f}x)"

    lines = [
        f"One warm invocation of the benchmark's handler, in process; times are medians of "
        f"{INVOCATIONS:,} invocations, the median of {RUNS} runs.",
        "",
        "| configuration | calls | distinct Python functions | distinct C functions "
        "| µs, caches warm | µs, caches evicted |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {name} | {cell(name, 'calls', ',.0f')} | {cell(name, 'python', ',.0f')} "
            f"| {cell(name, 'native', ',.0f')} | {cell(name, 'warm', '.1f')} "
            f"| {cell(name, 'evicted', '.1f')} |"
            for name in COMPARED
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--markdown", type=pathlib.Path)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)  # module, event JSON
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], json.loads(args.child[1]))
        return
    table = measure()
    print(table)
    if args.markdown:
        rewrite(args.markdown, "lambda-footprint", table)


if __name__ == "__main__":
    main()
