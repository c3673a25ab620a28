"""The fault matrix: what a misbehaving collector costs the program, per fault mode.

Each mode runs in a process of its own (so RSS is its own) against the fault receiver in
another process (``tests/support/fault_receiver.py``): 20,000 spans timed one by one,
then ``shutdown(0.5)``, the bound of the interpreter's exit. Latency is reported as
p50/p99 ratios against the healthy collector. A second table runs Lambda invocations
(50 spans each) against a healthy, a closed and a blackholed collector. A third repeats
the healthy burst (``BURST_RUNS`` times per burst size): what a healthy collector still
loses to a burst. The last finds the sustained throughput: spans paced at a fixed rate for
``SUSTAIN_SECONDS``, then the exit's 0.5 s, all delivered; the highest such rate on a
ladder of rates, for otelkit and for the bare SDK (``BatchSpanProcessor`` +
``OTLPSpanExporter``) against the same receiver.

Usage: ``python benchmarks/faults.py [--markdown docs/benchmarks.md] [--bursts N]``
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODES = ("healthy", "closed", "blackhole", "slow", "500", "429", "flapping")
SPANS = 20_000
INVOCATIONS, SPANS_PER_INVOCATION = 30, 50
BURST_RUNS = {20_000: 5, 100_000: 2}  # burst size -> runs (kept few: the whole run ~3 min)
SUSTAIN_SECONDS = 5.0
SUSTAIN_START, SUSTAIN_STEP = 4_000, 1.5  # spans/s: the ladder's first rung and its factor
EXIT_BOUND = 0.5  # seconds: what the interpreter's exit gives the queue


def _receiver(mode: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fault_receiver", mode],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def _delivered(process: subprocess.Popen[str]) -> int:
    out, _ = process.communicate("", timeout=30)
    return int(out.split()[0])


def run_mode(mode: str, spans: int = SPANS) -> dict[str, Any]:
    """In this process: ``spans`` spans against ``mode``; the figures as a dict."""
    import otelkit
    from otelkit._core import drops as _drops

    process, endpoint = _receiver(mode)
    otelkit.configure(endpoint=endpoint, log_stdout=False, console=False, resource_detectors="none")
    timings = []
    clock = time.perf_counter
    burst = clock()
    for n in range(spans):
        started = clock()
        with otelkit.span("work", n=n):
            pass
        timings.append(clock() - started)
    burst = clock() - burst
    started = clock()
    otelkit.shutdown(timeout=EXIT_BOUND)  # the bound the interpreter's exit uses
    shutdown = clock() - started
    timings.sort()
    return {
        "mode": mode,
        "spans": spans,
        "burst_us": burst / spans * 1e6,
        "p50_us": timings[len(timings) // 2] * 1e6,
        "p99_us": timings[int(len(timings) * 0.99)] * 1e6,
        "delivered": _delivered(process),
        "dropped": _drops.totals().get("spans", 0),
        "reasons": {r: n for (signal, r), n in _drops.snapshot().items() if signal == "spans"},
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "shutdown_ms": shutdown * 1000,
    }


def run_lambda(mode: str) -> dict[str, Any]:
    """In this process: Lambda invocations of 50 spans against ``mode``."""
    os.environ["AWS_LAMBDA_FUNCTION_NAME"] = "bench"
    import otelkit

    process, endpoint = _receiver(mode)
    otelkit.configure(endpoint=endpoint, log_stdout=False, console=False, resource_detectors="none")

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 30_000

    @otelkit.aws.lambda_handler
    def handler(event: Any, context: Any) -> int:
        for n in range(SPANS_PER_INVOCATION):
            with otelkit.span("step", n=n):
                pass
        return 0

    walls, cpus = [], []
    for _ in range(INVOCATIONS):
        wall, cpu = time.perf_counter(), time.process_time()
        handler({}, Context())
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    otelkit.shutdown(timeout=0.5)
    _delivered(process)
    return {
        "mode": mode,
        "first_ms": walls[0] * 1000,
        "median_ms": statistics.median(walls[1:]) * 1000,
        "max_later_ms": max(walls[1:]) * 1000,
        "cpu_ms": statistics.median(cpus[1:]) * 1000,
    }


def _paced(rate: float, seconds: float, make_span: Any) -> tuple[int, float]:
    """Spans at ``rate`` per second for ``seconds``, in 10 ms ticks (``make_span(n)``
    makes one); the spans made and the rate reached (a busy producer falls behind)."""
    tick = 0.01
    per_tick = max(1, round(rate * tick))
    clock = time.perf_counter
    started = clock()
    made, ticks = 0, round(seconds / tick)
    for t in range(ticks):
        for _ in range(per_tick):
            make_span(made)
            made += 1
        pause = started + (t + 1) * tick - clock()
        if pause > 0:
            time.sleep(pause)
    return made, made / (clock() - started)


def run_sustained(side: str, rate: float) -> dict[str, Any]:
    """In this process: ``side`` (``otelkit`` or ``sdk``) paced at ``rate`` spans/s for
    ``SUSTAIN_SECONDS``, then ``EXIT_BOUND`` to deliver the rest; what arrived."""
    process, endpoint = _receiver("healthy")
    if side == "otelkit":
        import otelkit

        otelkit.configure(
            endpoint=endpoint, log_stdout=False, console=False, resource_detectors="none"
        )

        def make_span(n: int) -> None:
            with otelkit.span("work", n=n):
                pass

        made, reached = _paced(rate, SUSTAIN_SECONDS, make_span)
        otelkit.shutdown(timeout=EXIT_BOUND)
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(f"{endpoint}/v1/traces")))
        tracer = provider.get_tracer("bench")

        def make_span(n: int) -> None:
            with tracer.start_as_current_span("work", attributes={"n": n}):
                pass

        made, reached = _paced(rate, SUSTAIN_SECONDS, make_span)
        provider.force_flush(timeout_millis=int(EXIT_BOUND * 1000))
    # What arrived by now is the figure; the SDK's own shutdown would wait without bound.
    return {"side": side, "made": made, "reached": reached, "delivered": _delivered(process)}


def _child(kind: str, *args: object) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, f"--{kind}", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def burst_table(runs: dict[int, int]) -> str:
    """Bursts of each size against a healthy collector, ``runs[size]`` times: the share
    lost, run by run."""
    lines = [
        "Bursts (a tight loop of spans, then the exit's "
        f"{EXIT_BOUND * 1000:.0f} ms) against a healthy collector in another process; "
        + ", ".join(f"{size:,} spans: {n} runs" for size, n in runs.items())
        + " (few runs, to keep `make bench` short).",
        "",
        "| burst | run | µs per span | spans delivered | drops reported | lost |",
        "| ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for size, count in runs.items():
        rows = [_child("mode", "healthy", size) for _ in range(count)]
        lost = [1 - r["delivered"] / size for r in rows]
        for n, (r, share) in enumerate(zip(rows, lost, strict=True), 1):
            reasons = ", ".join(f"{k:,} {reason}" for reason, k in r["reasons"].items())
            lines.append(
                f"| {size:,} | {n} | {r['burst_us']:.1f} | {r['delivered']:,} "
                f"| {reasons or 0} | {share:.1%} |"
            )
        lines.append(f"| {size:,} | mean | | | | {statistics.mean(lost):.1%} |")
    return "\n".join(lines)


def _highest_lossless(side: str) -> tuple[float, int, str]:
    """Climb the ladder of rates until a rung loses a span (then try once between the
    last good rung and that one) or the producer cannot reach the rate (then what it
    made is the floor). The highest rate reached with nothing lost, the number of rungs
    run, and why the climb stopped."""
    good, rate, rungs = 0.0, float(SUSTAIN_START), 0
    stop = ""
    while not stop:
        r = _child("sustained", side, rate)
        rungs += 1
        lost = r["made"] - r["delivered"]
        if lost:
            stop = f"{rate:,.0f}/s: {lost:,} of {r['made']:,} lost"
        elif r["reached"] < 0.95 * rate:  # nothing lost: all the loop made is a floor
            stop = f"{rate:,.0f}/s: the loop reached {r['reached']:,.0f}/s, all delivered"
            return max(good, r["reached"]), rungs, stop
        else:
            good, rate = r["reached"], rate * SUSTAIN_STEP
    if good:
        r = _child("sustained", side, (good * rate) ** 0.5)
        rungs += 1
        if r["delivered"] == r["made"]:
            good = max(good, r["reached"])
    return good, rungs, stop


def sustained_table() -> str:
    rates = {side: _highest_lossless(side) for side in ("otelkit", "sdk")}
    sdk = rates["sdk"][0]
    lines = [
        f"Sustained: spans paced for {SUSTAIN_SECONDS:.0f} s, then {EXIT_BOUND * 1000:.0f} ms "
        "to deliver the rest, against a healthy collector in another process; the highest "
        f"rate with every span delivered, on a ladder from {SUSTAIN_START:,}/s in steps of "
        f"{SUSTAIN_STEP}x plus one rung between the last good and the first bad (one run "
        "per rung, so read the ratio, not the last digits). Where the climb stopped "
        "because the loop could not make spans faster, the exporter kept up with all it "
        "made: the figure is a floor.",
        "",
        "| exporter | spans/s delivered, zero loss | ratio to the bare SDK "
        "| rungs run | the climb stopped at |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    names = {
        "otelkit": "otelkit (`configure()`)",
        "sdk": "bare SDK: BatchSpanProcessor + OTLPSpanExporter (HTTP)",
    }
    for side, (rate, rungs, stop) in rates.items():
        ratio = f"{rate / sdk:.2f}x" if sdk else "—"
        lines.append(f"| {names[side]} | {rate:,.0f} | {ratio} | {rungs} | {stop} |")
    return "\n".join(lines)


def tables() -> str:
    rows = [_child("mode", mode) for mode in MODES]
    healthy = rows[0]
    lines = [
        f"{SPANS:,} spans per mode, each timed; ratios against the healthy collector.",
        "",
        "| collector | p50 µs | p50 ratio | p99 µs | p99 ratio | spans delivered "
        "| drops reported | RSS MB | shutdown ms (bound 500) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['mode']} | {r['p50_us']:.1f} | {r['p50_us'] / healthy['p50_us']:.2f}x "
            f"| {r['p99_us']:.1f} | {r['p99_us'] / healthy['p99_us']:.2f}x "
            f"| {r['delivered']:,} | {r['dropped']:,} | {r['rss_mb']:.0f} "
            f"| {r['shutdown_ms']:.0f} |"
        )
    lines += [
        "",
        f"Lambda: {INVOCATIONS} invocations of {SPANS_PER_INVOCATION} spans each "
        "(flush at the end of each).",
        "",
        "| collector | first invocation ms | later: median ms | later: max ms "
        "| CPU per invocation ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for mode in ("healthy", "closed", "blackhole"):
        r = _child("lambda", mode)
        lines.append(
            f"| {mode} | {r['first_ms']:.1f} | {r['median_ms']:.2f} "
            f"| {r['max_later_ms']:.1f} | {r['cpu_ms']:.2f} |"
        )
    return "\n".join([*lines, "", burst_table(BURST_RUNS), "", sustained_table()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lambda", dest="lambda_mode")
    parser.add_argument("--markdown", type=pathlib.Path)
    parser.add_argument("--mode", nargs="+", metavar="MODE [SPANS]")
    parser.add_argument("--sustained", nargs=2, metavar=("SIDE", "RATE"))
    parser.add_argument("--bursts", type=int, help="only the burst tables, N runs per size")
    parser.add_argument("--only-sustained", action="store_true", help="only the sustained table")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.mode:
        print(json.dumps(run_mode(args.mode[0], *map(int, args.mode[1:]))))
        return
    if args.sustained:
        print(json.dumps(run_sustained(args.sustained[0], float(args.sustained[1]))))
        os._exit(0)  # the bare SDK's exit would wait for its queue without bound
    if args.only_sustained:
        print(sustained_table())
        return
    if args.lambda_mode:
        print(json.dumps(run_lambda(args.lambda_mode)))
        return
    if args.bursts:
        print(burst_table(dict.fromkeys(BURST_RUNS, args.bursts)))
        return
    table = tables()
    print(table)
    if args.markdown:
        from _markers import rewrite  # a sibling module: the benchmarks run as scripts

        rewrite(args.markdown, "faults", table)


if __name__ == "__main__":
    main()
