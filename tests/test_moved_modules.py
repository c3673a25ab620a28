"""Modules that moved keep working under their old import paths, as the very same objects."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("otelkit.integrations.asgi", "otelkit.middleware.asgi"),
        ("otelkit.integrations.wsgi", "otelkit.middleware.wsgi"),
        ("otelkit.integrations.redis_heartbeat", "otelkit.redis_heartbeat"),
    ],
)
def test_old_path_is_the_new_module(old: str, new: str) -> None:
    assert importlib.import_module(old) is importlib.import_module(new)
    assert importlib.import_module(old).__spec__.name == new  # type: ignore[union-attr]


def test_old_path_first_then_new_path_gives_one_module() -> None:
    """Imported under the old path first, in a fresh process: still one module object."""
    code = (
        "import sys\n"
        "from otelkit.integrations.asgi import OtelkitMiddleware\n"
        "from otelkit.middleware.asgi import OtelkitASGIMiddleware\n"
        "assert OtelkitMiddleware is OtelkitASGIMiddleware\n"
        "assert sys.modules['otelkit.integrations.asgi'] is "
        "sys.modules['otelkit.middleware.asgi']\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_unknown_integration_module_still_fails() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("otelkit.integrations.nothing_here")
