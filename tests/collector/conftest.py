"""Fixtures for the collector tests."""

from __future__ import annotations

import pytest

from tests.support.collector import SHIPPED


@pytest.fixture
def ecs_text() -> str:
    """The shipped ECS sidecar config, the base most broken cases are made from."""
    return (SHIPPED / "ecs" / "config.yaml").read_text(encoding="utf-8")
