"""Tables of what the slow collector tests measure, written into docs/ by ``make bench``.

A test calls :func:`record` with the cells it measured, after its assertions passed. With
``WRITE_DOC_TABLES`` set (``make bench`` sets it), the row replaces the row of the same
label in the doc's generated section, stamped with the commit like the benchmark tables;
the doc is the only store. Otherwise nothing is written: an ordinary run leaves docs/ be.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
ENV = "WRITE_DOC_TABLES"  # not OTELKIT_: the suite clears those for every test


@dataclass(frozen=True)
class Section:
    """A generated table: the doc it lives in, its header, and its rows (key, label)."""

    doc: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, str], ...]


SECTIONS: dict[str, Section] = {
    "collector-faults": Section(
        "collector.md",
        ("Fault", "Spans lost"),
        (
            ("queue-on-disk", "backend down, collector restarted, queue on `file_storage`"),
            ("queue-in-memory", "the same with the default in-memory queue"),
            ("restart", "collector stopped while the app sends (otelkit retries)"),
            ("burst", "burst into a stalled backend with the shipped `memory_limiter` (below)"),
        ),
    ),
    "collector-burst": Section(
        "collector.md",
        ("Where the burst's spans went", "shipped limiter"),
        (
            ("burst", "spans sent"),
            ("limiter", "`memory_limiter` as the container computes it"),
            ("delivered", "delivered"),
            ("reported", "dropped and reported by otelkit, by reason"),
            ("collector", "dropped by the collector's exporter"),
            ("unreported", "lost without anyone reporting it"),
            ("refusals", "times the limiter refused data"),
            ("peak", "collector peak resident memory"),
        ),
    ),
    "gateway-whole": Section(
        "collector-gateway.md",
        ("Run", "Result"),
        (
            ("traces", "traces sent (2 spans each, one per agent)"),
            ("split", "spans of one trace on two gateways"),
            ("errors", "failed traces kept"),
            ("slow", "slow traces kept"),
            ("others", "other traces kept (policy 10 %)"),
            ("per-gateway", "kept traces per gateway"),
        ),
    ),
    "gateway-stops": Section(
        "collector-gateway.md",
        ("Fault", "Failed traces lost, sent before the stop", "Sent after the stop"),
        (
            ("crash", "crash (`SIGKILL`), not back"),
            ("crash-and-restart", "crash, back after 5 s"),
            ("rolling-restart", "rolling restart (`SIGTERM`), back after 5 s"),
        ),
    ),
}


def _markers() -> ModuleType:
    """``benchmarks/_markers.py`` (the benchmarks are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("_markers", ROOT / "benchmarks/_markers.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def current(text: str, name: str, section: Section) -> dict[str, list[str]]:
    """The rows (key -> cells after the label) the doc's section holds now."""
    keys = {label: key for key, label in section.rows}
    begin, end = f"<!-- {name}:begin", f"<!-- {name}:end -->"
    if begin not in text:
        return {}
    body = text.split(begin, 1)[1].split(end, 1)[0]
    rows = (_cells(line) for line in body.splitlines() if line.startswith("| "))
    return {keys[row[0]]: row[1:] for row in rows if row and row[0] in keys}


def render(section: Section, rows: dict[str, list[str]]) -> str:
    """The markdown table of ``rows`` (key -> cells after the label), in section order."""
    lines = [
        "| " + " | ".join(section.header) + " |",
        "| " + " | ".join("---" for _ in section.header) + " |",
    ]
    lines += [
        "| " + " | ".join([label, *rows[key]]) + " |" for key, label in section.rows if key in rows
    ]
    return "\n".join(lines)


def record(name: str, key: str, *cells: object) -> None:
    """Put row ``key`` of section ``name`` in its doc (under ``make bench`` only)."""
    section = SECTIONS[name]
    assert key in dict(section.rows), (name, key)
    assert len(cells) == len(section.header) - 1, (name, key, cells)
    if not os.environ.get(ENV):
        return
    doc = ROOT / "docs" / section.doc
    rows = current(doc.read_text(), name, section)
    rows[key] = [str(cell) for cell in cells]
    written = _markers().rewrite(doc, name, render(section, rows))
    assert written, f"docs/{section.doc} has no generated section {name!r}"
