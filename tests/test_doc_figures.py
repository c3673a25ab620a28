"""Limits the docs state in prose are the code's: each row names a doc, a pattern whose one
group is the number as the doc writes it, the scale that turns it into the code's unit,
and where the code keeps the value. Measured figures (speed, loss, size) are not typed in
prose at all: they live in the tables ``make bench`` writes between generated markers (its
benchmark scripts, and the slow collector tests through ``tests/support/doc_tables.py``).
``test_no_measured_figure_is_typed_in_prose`` finds every figure with a unit in prose and
fails unless a FIGURES row checks it or NOT_MEASURED says why it is no measurement."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from otelkit._cli import log_reading
from otelkit._config.settings import resolve
from otelkit._correlation.incoming_baggage import MAX_HEADER_BYTES
from otelkit._redaction import scrub
from otelkit._redaction.secret_patterns import _CACHE_SIZE, _CACHED_LENGTH
from otelkit._requests.stats import DEFAULT_SLOW_MS, WINDOW
from otelkit._sdk.http_outcome import MAX_ANSWER_BODY
from otelkit._sdk.metric_hold import MAX_HELD_POINTS
from otelkit._sdk.outbox import MAX_QUEUE
from otelkit._values.log_formats import MAX_LINE_CHARS
from otelkit._values.safe_values import MAX_TEXT
from otelkit.aws import _extension, _lambda_lifecycle
from otelkit.ops import _model_yaml, _presets
from otelkit.ops._cloudformation import _BURN_WINDOWS
from tests.test_memory_bound import RSS_BOUND_MB

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = resolve({}, environ={})


def _limiter(config: str) -> dict[str, object]:
    """The ``memory_limiter`` of a shipped collector config."""
    loaded = yaml.safe_load((ROOT / "collector" / config).read_text())
    return dict(loaded["processors"]["memory_limiter"])


def _ecs_memory() -> float:
    task = json.loads((ROOT / "collector/ecs/task-definition.json").read_text())
    (collector,) = [c for c in task["containerDefinitions"] if "memory" in c]
    return float(collector["memory"])


def _eks_memory() -> float:
    """The collector's memory limit in the EKS manifest (a native sidecar), in MiB."""
    manifests = yaml.safe_load_all((ROOT / "collector/eks/sidecar.yaml").read_text())
    limits = [
        container["resources"]["limits"]["memory"]
        for manifest in manifests
        if manifest and manifest.get("kind") == "Deployment"
        for container in manifest["spec"]["template"]["spec"]["initContainers"]
        if container["name"] == "aws-otel-collector"
    ]
    (limit,) = limits
    return float(str(limit).removesuffix("Mi"))


PROD = resolve({"environment": "prod"}, environ={})
MIB = 1 << 20
THRESHOLDS = {row.key: row.threshold for row in _presets.ROWS}


def _harness() -> Any:
    """``benchmarks/harness.py`` (the benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("harness", ROOT / "benchmarks/harness.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("harness", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


#: (doc, pattern over the doc with whitespace collapsed, scale, the code's value)
FIGURES: list[tuple[str, str, float, Callable[[], float]]] = [
    ("security.md", r"text cut to ([\d,]+) KB before redaction", 1024, lambda: MAX_TEXT),
    ("security.md", r"nesting (\d+) levels", 1, lambda: scrub.MAX_DEPTH),
    ("security.md", r"([\d,]+) values per record", 1, lambda: scrub.MAX_ITEMS),
    ("security.md", r"lines ([\d,]+) characters", 1, lambda: MAX_LINE_CHARS),
    ("security.md", r"header past ([\d,]+) bytes", 1, lambda: MAX_HEADER_BYTES),
    ("reliability.md", r"outbox holds ([\d,]+) items", 1, lambda: MAX_QUEUE),
    ("reliability.md", r"`on_full_timeout` \(([\d.]+) s\)", 1, lambda: DEFAULTS.on_full_timeout),
    (
        "reliability.md",
        r"`exit_timeout` \(([\d.]+) s by default\)",
        1,
        lambda: DEFAULTS.exit_timeout,
    ),
    (
        "reliability.md",
        r"bounded by (\d+)% of the remaining time",
        0.01,
        lambda: _lambda_lifecycle.FLUSH_SHARE,
    ),
    ("reliability.md", r"\((\d+) s at most", 1, lambda: _lambda_lifecycle.MAX_FLUSH_SECONDS),
    (
        "reliability.md",
        r"never into the last (\d+) ms",
        1,
        lambda: _lambda_lifecycle.RESPONSE_RESERVE_MS,
    ),
    ("reliability.md", r"up to ([\d,]+) points", 1, lambda: MAX_HELD_POINTS),
    ("reliability.md", r"switch interval \((\d+) ms\)", 0.001, sys.getswitchinterval),
    ("reliability.md", r"RSS at (\d+) MB", 1, lambda: RSS_BOUND_MB),
    ("handlers.md", r"at most (\d+) s; with less", 1, lambda: _lambda_lifecycle.MAX_FLUSH_SECONDS),
    (
        "handlers.md",
        r"up to (\d+) ms, as much of that",
        0.001,
        lambda: _lambda_lifecycle.LAST_CHANCE_SECONDS,
    ),
    (
        "handlers.md",
        r"before the last (\d+) ms",
        1,
        lambda: _lambda_lifecycle.RESPONSE_RESERVE_MS,
    ),
    (
        "handlers.md",
        r"flushes what is left within (\d+) ms",
        0.001,
        lambda: _extension.SHUTDOWN_FLUSH_SECONDS,
    ),
    ("runtime-endpoints.md", r"the last (\d+) requests", 1, lambda: WINDOW),
    ("runtime-endpoints.md", r"slow requests \(over (\d+) s\)", 1000, lambda: DEFAULT_SLOW_MS),
    (
        "benchmarks.md",
        r"each round about (\d+) ms of calls",
        0.001,
        lambda: _harness().ROUND_SECONDS,
    ),
    ("benchmarks.md", r"up to ([\d,]+) of at most", 1, lambda: _CACHE_SIZE),
    ("benchmarks.md", r"of at most (\d+) characters\)", 1, lambda: _CACHED_LENGTH),
    (
        "log-volume.md",
        r"`OTELKIT_LOG_FILE_MAX_BYTES` \((\d+) MB\)",
        1_000_000,
        lambda: DEFAULTS.log_file_max_bytes,
    ),
    (
        "collector.md",
        r"`memory_limiter` first\*\*, at (\d+) %",
        1,
        lambda: float(str(_limiter("ecs/config.yaml")["limit_percentage"])),
    ),
    (
        "collector.md",
        r"`memory_limiter` first\*\*, at (\d+) %",
        1,
        lambda: float(str(_limiter("eks/config.yaml")["limit_percentage"])),
    ),
    (
        "collector.md",
        r"memory limit \((\d+) MiB in the shipped ECS and EKS",
        1,
        _ecs_memory,
    ),
    ("collector.md", r"memory limit \((\d+) MiB in the shipped ECS and EKS", 1, _eks_memory),
    (
        "collector.md",
        r"EKS manifests\), checked every (\d+) ms",
        1,
        lambda: float(str(_limiter("ecs/config.yaml")["check_interval"]).removesuffix("ms")),
    ),
    ("operations.md", r"exceeds ([\d.]+)\u00d7 the budget", 1, lambda: _BURN_WINDOWS[0][2]),
    ("operations.md", r"the last hour and the last (\d+) minutes", 60, lambda: _BURN_WINDOWS[0][1]),
    ("operations.md", r"one at [\d.]+\u00d7 over (\d+) hours", 3600, lambda: _BURN_WINDOWS[1][0]),
    ("operations.md", r"one at ([\d.]+)\u00d7 over", 1, lambda: _BURN_WINDOWS[1][2]),
    ("operations.md", r"over \d+ hours and (\d+) minutes", 60, lambda: _BURN_WINDOWS[1][1]),
    ("concepts.md", r'"(\d+) per second, then', 1, lambda: PROD.sample_min_per_second),
    ("concepts.md", r"per second, then (\d+) %", 0.01, lambda: PROD.sample_rate),
    ("troubleshooting.md", r"per second plus (\d+) % of the rest", 0.01, lambda: PROD.sample_rate),
    ("cli.md", r"longer than (\d+) MiB", MIB, lambda: log_reading.MAX_LINE_BYTES),
    ("cli.md", r"holds at most (\d+) MiB of a partial", MIB, lambda: log_reading.MAX_LINE_BYTES),
    ("security.md", r"a line over (\d+) MiB", MIB, lambda: log_reading.MAX_LINE_BYTES),
    ("security.md", r"YAML \| at most (\d+) MiB", MIB, lambda: _model_yaml.MAX_BYTES),
    ("operations.md", r"(\d+) MiB, 32 levels of nesting", MIB, lambda: _model_yaml.MAX_BYTES),
    ("operations.md", r"> (\d+) %, >", 1, lambda: THRESHOLDS["CpuHigh"]),
    ("operations.md", r"%, > (\d+) %", 1, lambda: THRESHOLDS["MemoryHigh"]),
    ("reliability.md", r"At most (\d+) KiB of an answer", 1024, lambda: MAX_ANSWER_BODY),
]


@pytest.mark.parametrize(
    ("doc", "pattern", "scale", "value"),
    FIGURES,
    ids=[f"{doc}:{pattern[:40]}" for doc, pattern, _, _ in FIGURES],
)
def test_a_limit_in_the_docs_is_the_codes(
    doc: str, pattern: str, scale: float, value: Callable[[], float]
) -> None:
    text = " ".join((ROOT / "docs" / doc).read_text().split())
    found = re.findall(pattern, text)
    assert found, f"docs/{doc} no longer says {pattern!r}: update FIGURES"
    for figure in found:
        stated = float(figure.replace(",", "")) * scale
        assert stated == pytest.approx(value()), f"docs/{doc} says {figure}, the code {value()}"


GENERATED = re.compile(
    r"<!-- ([\w-]+):begin \(generated by `make bench`[^>]*-->(.*?)<!-- \1:end -->", re.S
)


def _bench_scripts() -> list[str]:
    """The benchmark scripts and tests the Makefile's ``bench`` recipe runs, as text."""
    recipe = (ROOT / "Makefile").read_text().split("\nbench:", 1)[1].split("\n\n", 1)[0]
    names = re.findall(r"((?:benchmarks|tests)/[\w/]+\.py)", recipe)
    return [(ROOT / name).read_text() for name in names]


@pytest.mark.parametrize("doc", sorted(p.name for p in (ROOT / "docs").glob("*.md")))
def test_every_generated_section_is_written_by_make_bench(doc: str) -> None:
    """A marker pair that no script of ``make bench`` rewrites would keep its figures
    for ever; an empty one shows none."""
    scripts = _bench_scripts()
    for name, body in GENERATED.findall((ROOT / "docs" / doc).read_text()):
        writers = [s for s in scripts if f"{name}:begin" in s or f'"{name}"' in s]
        assert writers, f"docs/{doc}: no script of `make bench` writes the section {name!r}"
        assert "\n| " in body, f"docs/{doc}: the generated section {name!r} holds no table"


#: A figure of speed, loss or size as prose types it: ``0.4 ms``, ``2 KB``, ``10 %``,
#: ``1.45x``, ``20,000 spans/s``.
TYPED = re.compile(
    r"(?<![\w.,/-])(\d[\d,]*(?:\.\d+)?)"
    r"(\s?(?:ms|µs|ns|KB|KiB|MB|MiB|GB|GiB|%|spans/s|lines/s|records/s)|x|\u00d7)(?![\w/])"
)
#: What is not prose: code blocks, comments, and the sections a program writes.
NOT_PROSE = re.compile(
    r"^```.*?^```|<!-- ([\w-]+):begin.*?<!-- \1:end -->"
    r"|<!-- settings table:.*?<!-- end of generated settings table -->|<!--.*?-->",
    re.S | re.M,
)


def typed_figures(doc: str) -> list[str]:
    """The figures ``doc``'s prose types that no FIGURES row checks against the code."""
    text = " ".join(NOT_PROSE.sub(" ", (ROOT / "docs" / doc).read_text()).split())
    for row_doc, pattern, _, _ in FIGURES:
        if row_doc == doc:  # a checked limit: the code's value, not a measurement
            text = re.sub(pattern, lambda m: m.group(0).replace(m.group(1), "N"), text)
    return [m.group(0) for m in TYPED.finditer(text)]


#: Typed figures that are no measurement, by doc: limits of other systems, inputs a test
#: or benchmark feeds in, thresholds of the systems otelkit replaces, worked examples.
NOT_MEASURED: dict[str, list[str]] = {
    "benchmarks.md": ["1.9 KB"],  # the SQS benchmark's JSON body (its input)
    "collector-gateway.md": [
        "10 %",  # head sampling at 10 % keeps 10 % of the failures (an example)
        "10 %",
        "4 MiB",  # gRPC's default message limit
    ],
    "handlers.md": ["2000 ms"],  # the slow threshold seed systems alarm at
    "how-ids-travel.md": ["256 KiB"],  # EventBridge's entry limit
    "operations.md": [
        "1 KB",  # a YAML bomb's size (an example)
        "2 %",  # what a 14.4x burn spends of a 30-day budget in an hour (arithmetic)
        "500 ms",  # an example objective
    ],
    "reliability.md": ["1 GiB"],  # an example of an answer too long to read
    "security.md": [  # the crafted and ordinary inputs the pattern-cost tests time
        "1 MB",
        "16 KB",
        "64 KB",
        "1 MB",
        "1 MB",
        "16 KB",
        "200 MB",  # the gzip the log-reading bound test reads
        "64 KB",
        "1 MB",
    ],
}


@pytest.mark.parametrize(
    "doc", [*sorted(p.name for p in (ROOT / "docs").glob("*.md")), "../README.md"]
)
def test_no_measured_figure_is_typed_in_prose(doc: str) -> None:
    """A figure of speed, loss or size in prose either is a limit a FIGURES row checks
    against the code, or is listed in NOT_MEASURED; a measured one belongs in a table a
    benchmark or test writes (between generated markers)."""
    assert typed_figures(doc) == NOT_MEASURED.get(doc, []), (
        f"docs/{doc} types figures in prose: point them to a generated table, check a "
        "limit with a FIGURES row, or (no measurement) list them in NOT_MEASURED"
    )
