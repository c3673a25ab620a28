"""Every integration names its extra when the upstream package it is built on is missing,
and every integration is in the instrumentations page."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

import otelkit.integrations
from otelkit import _integrations

#: Integration -> (the upstream module it needs, the extra the error must name).
NEEDS = {
    "fastapi": ("opentelemetry.instrumentation.fastapi", "fastapi"),
    "starlette": ("opentelemetry.instrumentation.asgi", "asgi"),
    "flask": ("opentelemetry.instrumentation.wsgi", "wsgi"),
    "django": ("opentelemetry.instrumentation.django", "django"),
    "sqlalchemy": ("opentelemetry.instrumentation.sqlalchemy", "sqlalchemy"),
    "sqlite3": ("opentelemetry.instrumentation.dbapi", "dbapi"),
    "psycopg": ("opentelemetry.instrumentation.dbapi", "dbapi"),
    "psycopg2": ("opentelemetry.instrumentation.dbapi", "dbapi"),
    "grpc": ("opentelemetry.instrumentation.grpc", "grpc"),
    "celery": ("opentelemetry.instrumentation.celery", "celery"),
    "logging": ("opentelemetry.instrumentation.logging", "logging"),
    "urllib3": ("opentelemetry.instrumentation.urllib3", "urllib3"),
    "aiohttp": ("opentelemetry.instrumentation.aiohttp_client", "aiohttp"),
    "asyncpg": ("opentelemetry.instrumentation.asyncpg", "asyncpg"),
    "asyncio": ("opentelemetry.instrumentation.asyncio", "asyncio"),
}
DOC = Path(__file__).resolve().parent.parent / "docs" / "instrumentations.md"


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_a_missing_upstream_package_names_the_extra(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream, extra = NEEDS[name]
    monkeypatch.setitem(sys.modules, upstream, None)  # what a missing package looks like
    parent, _, child = upstream.rpartition(".")
    monkeypatch.delattr(importlib.import_module(parent), child, raising=False)
    for module in [m for m in sys.modules if m.startswith("otelkit.integrations.")]:
        monkeypatch.delitem(sys.modules, module)
        # ``from otelkit.integrations import _dbapi`` would find the attribute left behind
        monkeypatch.delattr(otelkit.integrations, module.rpartition(".")[2], raising=False)
    for module in ("otelkit.middleware.asgi", "otelkit.middleware.wsgi"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(ImportError, match=rf"pip install 'otelkit\[{extra}\]'"):
        importlib.import_module(f"otelkit.integrations.{name}")


def test_every_integration_is_documented() -> None:
    text = DOC.read_text()
    assert not [name for name in _integrations.KNOWN if f"| `{name}` |" not in text]
    stdlib_only = {"threading"}
    assert set(NEEDS) | {"botocore", "httpx", "requests", "redis"} | stdlib_only == set(
        _integrations.KNOWN
    )


def test_zero_code_launch_turns_installed_instrumentors_on_through_the_integrations() -> None:
    """Under ``opentelemetry-instrument``, each installed upstream instrumentor of a library
    otelkit integrates is replaced by the integration (with its hooks), by module."""
    from importlib.metadata import entry_points

    from otelkit import _distro

    modules = {
        ep.name: ep.value.partition(":")[0]
        for ep in entry_points(group="opentelemetry_instrumentor")
    }
    expected = {"urllib3": "urllib3", "aiohttp-client": "aiohttp", "asyncpg": "asyncpg"}
    expected |= {"asyncio": "asyncio", "requests": "requests", "httpx": "httpx"}
    assert {name: _distro._OWN_MODULES.get(modules[name]) for name in expected} == expected
