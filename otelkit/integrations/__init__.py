"""Library instrumentations turned on by ``configure(instrument=...)``, one module each,
imported only when enabled (``botocore``, ``httpx``).

The HTTP middleware moved to ``otelkit.middleware`` and the Redis heartbeat to
``otelkit.redis_heartbeat``; their old import paths still work and give the same module.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

#: Old module path -> the module that now holds it.
_MOVED = {
    f"{__name__}.asgi": "otelkit.middleware.asgi",
    f"{__name__}.wsgi": "otelkit.middleware.wsgi",
    f"{__name__}.redis_heartbeat": "otelkit.redis_heartbeat",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old path as the new module object itself, never as a second copy."""

    def __init__(self) -> None:
        self._specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(_MOVED[spec.name])
        self._specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # Already executed under its new name; the import system has just stamped the
        # alias's spec on it, so put the module's own back.
        module.__spec__ = self._specs[module.__name__]


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.insert(0, _MovedModules())
