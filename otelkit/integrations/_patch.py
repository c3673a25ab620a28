"""One attribute of a framework's class or module replaced once per process, and put back.

What the integrations without an upstream hook (Flask, Starlette, FastAPI, Django) do to
run every application inside otelkit's middleware: replace the method each request goes
through, keep the original to call and to restore, and keep each application's
middleware on the application itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Patch:
    """``owner.name``, replaced by ``apply`` (once) and restored by ``undo``."""

    def __init__(self, owner: Any, name: str) -> None:
        self.owner = owner
        self.name = name
        self.original: Any = None  # set while applied

    @property
    def applied(self) -> bool:
        return self.original is not None

    def apply(self, replacement: Any) -> None:
        """Put ``replacement`` in place, keeping the original; nothing if already done."""
        if self.original is None:
            self.original = getattr(self.owner, self.name)
            setattr(self.owner, self.name, replacement)

    def undo(self) -> None:
        """Put the original back."""
        if self.original is not None:
            setattr(self.owner, self.name, self.original)
            self.original = None


def kept_on(instance: Any, key: str, make: Callable[[], Any]) -> Any:
    """What ``make`` made for ``instance`` at its first request, kept on it under ``key``
    (a middleware per application, built once)."""
    found = instance.__dict__.get(key)
    if found is None:
        found = instance.__dict__[key] = make()
    return found
