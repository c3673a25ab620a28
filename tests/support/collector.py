"""Helpers shared by the collector tests: where the shipped files live, line lookup."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "collector"


def line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle`` in ``text``."""
    index = text.index(needle)
    return text.count("\n", 0, index) + 1
