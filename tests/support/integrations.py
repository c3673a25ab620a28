"""Integrations that patch a framework's classes stay on for the rest of the process:
tests turn them off again, so later tests see the frameworks as they ship."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from otelkit import _integrations


@contextmanager
def turned_off_after(*names: str) -> Iterator[None]:
    """Run the block, then turn the named integrations off."""
    try:
        yield
    finally:
        for name in names:
            _integrations.disable(name)
