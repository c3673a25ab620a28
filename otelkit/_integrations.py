"""Turning integrations on: now if their library is loaded, else the moment it is imported.

Instrumenting means importing the instrumented library (botocore alone costs ~100 ms),
so ``configure()`` never imports one itself: a post-import hook instruments it when the
application first imports it. Start-up pays only for what the program uses.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType
from typing import Any

from otelkit._core import switch as _switch
from otelkit._core.safety import report_internal_error
from otelkit._values import semconv as _semconv

#: Integration name (a module in ``otelkit.integrations``) -> the library it instruments.
KNOWN: dict[str, str] = {
    "botocore": "botocore",
    "httpx": "httpx",
    "requests": "requests",
    "redis": "redis",
    "threading": "threading",
    "fastapi": "fastapi",
    "starlette": "starlette",
    "flask": "flask",
    "django": "django",
    "sqlalchemy": "sqlalchemy",
    "sqlite3": "sqlite3",
    "psycopg": "psycopg",
    "psycopg2": "psycopg2",
    "grpc": "grpc",
    "celery": "celery",
    "logging": "logging",
    "urllib3": "urllib3",
    "aiohttp": "aiohttp",
    "asyncpg": "asyncpg",
    "asyncio": "asyncio",
}
DEFAULT = ("botocore", "httpx")

_enabled: set[str] = set()
_lock = threading.Lock()


def _activate(name: str) -> None:
    _semconv.prefer_stable()  # before the upstream instrumentation reads it
    module = importlib.import_module(f"otelkit.integrations.{name}")
    module.instrument(_switch.TRACER_PROVIDER, _switch.METER_PROVIDER)


def _activate_on_import(name: str, _module: ModuleType) -> None:
    _activate(name)


def enable(names: Iterable[str] | None) -> list[str]:
    """Enable integrations by name (None: the defaults whose libraries are installed).

    Returns the names enabled. Raises ``ValueError`` for an unknown name and
    ``ImportError`` naming the extra when an explicitly requested one is not installed.
    """
    explicit = names is not None
    requested = list(DEFAULT if names is None else names)
    unknown = [n for n in requested if n not in KNOWN]
    if unknown:
        raise ValueError(
            f"unknown integration(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(KNOWN))}"
        )
    enabled = []
    for name in requested:
        if name in _enabled:
            enabled.append(name)
            continue
        library = KNOWN[name]
        if importlib.util.find_spec(library) is None:
            if explicit:
                raise ImportError(
                    f"integration {name!r} needs {library}: pip install 'otelkit[{name}]'"
                )
            continue
        with _lock:
            if name in _enabled:
                enabled.append(name)
                continue
            _enabled.add(name)
        if library in sys.modules:
            _activate(name)
        else:
            when_imported(library, functools.partial(_activate_on_import, name))
        enabled.append(name)
    return enabled


def disable(name: str) -> None:
    """Turn an enabled integration off (tests; a framework patched at class level would
    otherwise stay patched for the rest of the process)."""
    with _lock:
        if name not in _enabled:
            return
        _enabled.discard(name)
    if KNOWN[name] in sys.modules:
        importlib.import_module(f"otelkit.integrations.{name}").uninstrument()


def when_imported(module_name: str, callback: Callable[[ModuleType], None]) -> None:
    """Run ``callback`` with the module right after ``module_name`` is first imported."""
    sys.meta_path.insert(0, _PostImportFinder(module_name, callback))


class _PostImportFinder:  # a meta path finder by shape: importlib.abc costs 5 ms
    """Runs ``callback`` right after ``module_name`` finishes importing, then removes itself.

    It stays in place until the module is really imported: ``importlib.util.find_spec``
    (which only looks) also reaches it, and must not use up the hook.
    """

    def __init__(self, module_name: str, callback: Callable[[ModuleType], None]) -> None:
        self._module_name = module_name
        self._callback = callback

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self._module_name:
            return None
        spec = self._spec_from_other_finders(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_then_instrument(module: ModuleType) -> None:
            exec_module(module)
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            try:
                self._callback(module)
            except Exception as exc:  # an integration must never break the import
                report_internal_error(f"instrumenting {fullname}", exc)

        wrapped: Any = loader  # each spec has its own loader: wrapping it touches no other
        wrapped.exec_module = exec_then_instrument
        return spec

    def _spec_from_other_finders(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None
    ) -> importlib.machinery.ModuleSpec | None:
        for finder in list(sys.meta_path):
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: importlib.machinery.ModuleSpec | None = finder.find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return None
