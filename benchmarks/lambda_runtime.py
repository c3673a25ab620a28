"""otelkit against Powertools in the real Lambda runtime: the Runtime Interface Emulator
running the same API Gateway v2 handler (two spans, two lines, a counter, a histogram)
under awslambdaric, configurations interleaved round by round.

For each configuration and round: a fresh emulator (cold start: process start to the
first response, and the emulator's init duration), then warm invocations, of which it
reads what the caller waits for (from the runtime having the event to its response
posted: Lambda answers the caller then; timed by ``lambda_handlers/posted_clock.py``,
the bootstrap every configuration runs under), the runtime's whole part (``INVOKE
RTDONE``: until the runtime asks for its next event, so whatever competes with it after
the response counts too), what is billed (``REPORT`` ``Duration``, extensions included)
and the bytes written to the log stream per invocation. Every configuration runs
without psutil, as a function deploys otelkit (``_without_psutil``).

Usage: ``python benchmarks/lambda_runtime.py [--rounds N] [--warm N] [--only TEXT]
[--markdown FILE]`` (``--only EMF``: the configurations named so, and Powertools')
(``make bench`` passes ``--markdown docs/benchmarks.md``: it rewrites only the section
between this script's markers).
"""

from __future__ import annotations

import argparse
import compileall
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _markers import rewrite  # noqa: E402 - a sibling module: the benchmarks run as scripts

from tests.support.lambda_runtime import lambda_function  # noqa: E402

HANDLERS = ROOT / "benchmarks" / "lambda_handlers"
CLOCK = HANDLERS / "posted_clock.py"
_POSTED = "POSTED "
EVENT = {
    "version": "2.0",
    "rawPath": "/orders/o-1",
    "headers": {"x-correlation-id": "bench-1"},
    "requestContext": {"http": {"method": "GET", "path": "/orders/o-1"}, "requestId": "r"},
}
_PLATFORM = ("START RequestId:", "END RequestId:", "REPORT RequestId:", _POSTED)


@dataclass
class Config:
    name: str
    handler: str
    env: dict[str, str]
    collector: bool = False
    cold: list[float] = field(default_factory=list)
    init: list[float] = field(default_factory=list)
    caller: list[float] = field(default_factory=list)
    runtime_done: list[float] = field(default_factory=list)
    billed: list[float] = field(default_factory=list)
    log_bytes: list[float] = field(default_factory=list)


EMF_ONLY = "otelkit, EMF only"
#: Powertools doing what otelkit's decorator does by itself: the request's
#: ``X-Correlation-ID`` bound on every line.
SAME_WORK = "Powertools Logger (correlation_id_path) + Metrics"


def configurations() -> list[Config]:
    # Every trace exported; the service named as Powertools names it (its lines and EMF).
    otel = {"DEPLOYMENT_ENV": "prod", "OTELKIT_SAMPLE_RATE": "1.0", "OTEL_SERVICE_NAME": "orders"}
    return [
        Config("otelkit, OTLP, extension (default)", "otelkit_api.handler", otel, True),
        Config(
            "otelkit, OTLP, flush before returning",
            "otelkit_api.handler",
            {**otel, "OTELKIT_LAMBDA_EXTENSION": "false"},
            True,
        ),
        Config(EMF_ONLY, "otelkit_api.handler", {**otel, "OTELKIT_EMF_NAMESPACE": "Orders"}),
        Config("Powertools Logger + Metrics", "powertools_api.handler", {}),
        Config(
            SAME_WORK,
            "powertools_api.handler",
            {"BENCH_POWERTOOLS_CORRELATION": "1"},
        ),
        Config(
            "Powertools Logger + Metrics + Tracer",
            "powertools_api.handler",
            {"BENCH_POWERTOOLS_TRACER": "1", "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR"},
        ),
    ]


def _sink() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "_receiver.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, f"http://127.0.0.1:{process.stdout.readline().strip()}"


def _without_psutil() -> pathlib.Path:
    """A path entry where ``import psutil`` fails, as in a function deployed with
    ``pip install otelkit`` or ``make lambda-layer``: psutil is an optional extra, but the
    checkout's venv has it, and ``opentelemetry.sdk.resources`` imports it when it can
    (~8 ms of a cold start). Powertools does not import it."""
    blocker = pathlib.Path(tempfile.mkdtemp(prefix="no-psutil-"))
    (blocker / "psutil.py").write_text(
        'raise ImportError("psutil is not deployed with the function")\n'
    )
    return blocker


def _run(config: Config, endpoint: str, warm: int, blocker: pathlib.Path) -> None:
    env = {**config.env, "POWERTOOLS_METRICS_NAMESPACE": "Orders"}
    if config.collector:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    started = time.perf_counter()
    with lambda_function(
        config.handler, env, task_dir=HANDLERS, path=(blocker, ROOT), bootstrap=(str(CLOCK),)
    ) as function:
        first = function.invoke(EVENT)
        config.cold.append((time.perf_counter() - started) * 1000)
        assert first.status == 200, function.dump()
        function.reports(1)
        stdout_before = len(function.lines)
        for _ in range(warm):
            function.invoke(EVENT)
        reports = function.reports(warm + 1)[1:]
        done = function.runtime_done_ms(warm + 1)[1:]
        written = [
            line for line in function.lines[stdout_before:] if not line.startswith(_PLATFORM)
        ]
        init = [line for line in function.output.stderr if "INIT REPORT(durationMs:" in line]
        posted = [
            float(line.split()[1])
            for line in [*function.output.stdout, *function.output.stderr]
            if line.startswith(_POSTED)
        ]
    assert len(posted) == warm + 1, function.dump()
    config.caller.append(statistics.median(posted[1:]))
    config.runtime_done.append(statistics.median(done))
    config.billed.append(statistics.median(float(r["Duration"].split()[0]) for r in reports))
    config.log_bytes.append(sum(len(line) + 1 for line in written) / warm)
    if init:
        config.init.append(float(init[0].split("durationMs:")[1].strip(" )")))


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ms" if values else "—"


def table(configs: list[Config], rounds: int, warm: int) -> str:
    base = next(c for c in configs if c.name == "Powertools Logger + Metrics")

    def ratio(values: list[float], baseline: list[float]) -> str:
        return f"{statistics.median(values) / statistics.median(baseline):.2f}x"

    lines = [
        f"{rounds} interleaved rounds, {warm} warm invocations each; medians. Ratios are to "
        "Powertools Logger + Metrics.",
        "",
        "| configuration | cold: start to 1st response | init | warm: caller waits "
        "| warm: runtime done | warm: billed (REPORT) | log bytes / invocation |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in configs:
        lines.append(
            f"| {c.name} | {_ms(c.cold)} ({ratio(c.cold, base.cold)}) | {_ms(c.init)} "
            f"| {_ms(c.caller)} ({ratio(c.caller, base.caller)}) "
            f"| {_ms(c.runtime_done)} ({ratio(c.runtime_done, base.runtime_done)}) "
            f"| {_ms(c.billed)} ({ratio(c.billed, base.billed)}) "
            f"| {statistics.median(c.log_bytes):.0f} ({ratio(c.log_bytes, base.log_bytes)}) |"
        )
    ours = next((c for c in configs if c.name == EMF_ONLY), None)
    same = next((c for c in configs if c.name == SAME_WORK), None)
    if ours is not None and same is not None:
        lines += [
            "",
            f"{ours.name} against Powertools binding the same correlation ID ({SAME_WORK}): "
            f"caller waits {ratio(ours.caller, same.caller)}, billed "
            f"{ratio(ours.billed, same.billed)}, "
            f"log bytes {ratio(ours.log_bytes, same.log_bytes)}.",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # 30: a cold start is one sample a round, and this kind of host moves it ±15 % from
    # round to round; at 8 to 10 rounds a 3 ms change was hidden (about 2.5 minutes in all)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warm", type=int, default=30)
    parser.add_argument("--markdown", type=pathlib.Path)
    parser.add_argument("--only", help="run the configurations whose name contains this")
    args = parser.parse_args()
    configs = [
        c for c in configurations() if not args.only or args.only in c.name or "Power" in c.name
    ]
    # Installed, otelkit runs from bytecode as Powertools does (pip compiles it, the layer
    # ships it); a checkout under PYTHONDONTWRITEBYTECODE would compile at every cold start.
    compileall.compile_dir(ROOT / "otelkit", quiet=1)
    sink, endpoint = _sink()
    blocker = _without_psutil()
    try:
        for round_number in range(args.rounds):
            shift = round_number % len(configs)  # a different one goes first each round
            for config in configs[shift:] + configs[:shift]:
                _run(config, endpoint, args.warm, blocker)
                print(f"round {round_number + 1}: {config.name} done", file=sys.stderr)
    finally:
        sink.terminate()
        sink.wait()
        shutil.rmtree(blocker, ignore_errors=True)
    text = table(configs, args.rounds, args.warm)
    print(text)
    if args.markdown and not rewrite(args.markdown, "lambda-runtime", text):
        raise SystemExit(f"{args.markdown}: no generated 'lambda-runtime' section to rewrite")


if __name__ == "__main__":
    main()
