"""Public names report the public module that exports them, as httpx's do.

``otelkit.configure.__module__`` is ``"otelkit"``, not the private module that defines it:
``help()``, reprs, documentation tools and pickle read ``__module__``, and each should send
a reader to a name they can import. Only classes and functions defined in a private module
are rewritten; constants (instances) have no ``__module__`` of their own.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Iterable, Mapping


def private(module: str) -> bool:
    """Whether a dotted module name has a private part (``otelkit._setup``)."""
    return any(part.startswith("_") for part in module.split(".")[1:])


def publish(module: str, namespace: Mapping[str, object], names: Iterable[str]) -> None:
    """Make each class or function ``names`` holds in ``namespace`` report ``module``."""
    for name in names:
        value = namespace.get(name)
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        if private(value.__module__) and value.__qualname__ == name:
            value.__module__ = module


def load_on_first_use(module: str, name: str, source: str) -> object:
    """``name`` from the private module ``source``, for a public ``module`` whose
    ``__getattr__`` defers it: published as ``module``'s and kept in its namespace, so the
    next lookup is a plain one."""
    value: object = getattr(importlib.import_module(source), name)
    publish(module, {name: value}, (name,))
    setattr(sys.modules[module], name, value)
    return value
