"""Fixtures for the collector tests."""

from __future__ import annotations

import pytest

from tests.collector.real_collector import MISSING_BINARY
from tests.support.collector import SHIPPED


@pytest.fixture
def ecs_text() -> str:
    """The shipped ECS sidecar config, the base most broken cases are made from."""
    return (SHIPPED / "ecs" / "config.yaml").read_text(encoding="utf-8")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """A missing collector binary is never a quiet skip: one line says how many tests it
    took out (under CI the tests fail instead, see ``real_collector.binary``)."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if MISSING_BINARY in str(getattr(report, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} collector tests did not run: {MISSING_BINARY} "
            "(build it with `make collector`; with CI=true they fail)",
            yellow=True,
            bold=True,
        )
