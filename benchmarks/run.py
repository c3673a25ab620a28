"""``make bench``: every otelkit hot path against its baseline, as paired ratios, in one run.

Discovers ``benchmarks/bench_*.py`` (each exposes ``pairs()``), byte-compiles otelkit first
so neither side pays for compiling, measures each pair with :mod:`harness` and prints one
table. ``--markdown docs/benchmarks.md`` also rewrites the generated table in that page.

Usage: ``python benchmarks/run.py [--only SUBSTRING] [--markdown PATH]``
"""

from __future__ import annotations

import argparse
import compileall
import importlib
import pathlib
import platform
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _markers import rewrite  # noqa: E402 - a sibling module: the benchmarks run as scripts
from harness import Pair, Result, measure  # noqa: E402


def discover() -> list[tuple[str, Pair]]:
    """Every pair of every ``bench_*.py`` module, with the module's short name."""
    found: list[tuple[str, Pair]] = []
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        found.extend((path.stem.removeprefix("bench_"), pair) for pair in module.pairs())
    return found


def text_row(group: str, result: Result) -> str:
    pair = result.pair
    return (
        f"{group:<9} {pair.name:<44} {result.ours_us:11.2f} us  vs  "
        f"{pair.baseline_name:<44} {result.baseline_us:11.2f} us  "
        f"{result.ratio:5.2f}x [{result.ratio_low:4.2f}-{result.ratio_high:4.2f}]  "
        f"{_goal(pair)} {result.verdict}"
    )


def _goal(pair: Pair) -> str:
    return f"goal <={pair.goal:.2f}x" if pair.goal is not None else "          "


def markdown(results: list[tuple[str, Result]]) -> str:
    lines = [
        f"Python {platform.python_version()}, {platform.machine()}; median of paired rounds, "
        "spread = 10th-90th percentile of the round ratios.",
        "",
        "| group | otelkit path | µs | baseline (anchor) | µs | ratio | spread | goal | |",
        "| --- | --- | ---: | --- | ---: | ---: | --- | --- | --- |",
    ]
    for group, r in results:
        p = r.pair
        goal = f"≤ {p.goal:.2f}x" if p.goal is not None else "—"
        lines.append(
            f"| {group} | {p.name} | {r.ours_us:.2f} | {p.baseline_name} ({p.anchor}) | "
            f"{r.baseline_us:.2f} | **{r.ratio:.2f}x** | {r.ratio_low:.2f}-{r.ratio_high:.2f} | "
            f"{goal} | {r.verdict} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only pairs whose group or name contains this")
    parser.add_argument("--markdown", type=pathlib.Path, help="rewrite the table in this page")
    args = parser.parse_args(argv)
    compileall.compile_dir(str(HERE.parent / "otelkit"), quiet=1)
    results = []
    print(
        "otelkit hot paths: median per-call time, ratio = otelkit / baseline "
        "(median of paired rounds [10th-90th percentile])"
    )
    for group, pair in discover():
        if args.only and args.only not in group and args.only not in pair.name:
            continue
        result = measure(pair)
        results.append((group, result))
        print(text_row(group, result), flush=True)
    missed = [r.pair.name for _, r in results if r.verdict == "MISSED"]
    if missed:
        print(f"goals missed in this run: {', '.join(missed)}")
    # The table records a miss too: it is written before failing.
    if args.markdown and not rewrite(args.markdown, "bench", markdown(results)):
        raise SystemExit(f"{args.markdown}: no generated 'bench' section to rewrite")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
