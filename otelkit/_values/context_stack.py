"""A per-context stack of what an object has entered, for objects used as ``with`` blocks.

``bind``, ``job``, ``session`` and ``timed`` objects may be created once (at module level,
as a decorator) and entered by many asyncio tasks or threads at the same time. What each
entry must undo on exit therefore cannot live on the object: it lives here, in one
context variable per kind, so every task and thread unwinds exactly its own entries.
One variable per kind, not per object, so a long-running loop never grows its context.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ContextStack(Generic[T]):
    """Values pushed by owners, popped by the same owner, separately in every context."""

    __slots__ = ("_var",)

    def __init__(self, name: str) -> None:
        self._var: ContextVar[tuple[tuple[Any, T], ...]] = ContextVar(name, default=())

    def push(self, owner: Any, value: T) -> None:
        """Remember ``value`` for ``owner``'s innermost open entry in this context."""
        self._var.set((*self._var.get(), (owner, value)))

    def pop(self, owner: Any) -> T:
        """Take back ``owner``'s innermost open entry in this context."""
        stack = self._var.get()
        for index in range(len(stack) - 1, -1, -1):
            if stack[index][0] is owner:
                self._var.set(stack[:index] + stack[index + 1 :])
                return stack[index][1]
        raise RuntimeError(f"{type(owner).__name__} exited without being entered in this context")
