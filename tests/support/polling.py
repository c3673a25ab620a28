"""Waiting for something that happens on another thread or in another process."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal, TypeVar

T = TypeVar("T")


def eventually(
    probe: Callable[[], T | Literal[False] | None], timeout: float = 5.0, interval: float = 0.01
) -> T:
    """``probe()``'s first truthy result, polled every ``interval`` seconds.

    Raises:
        AssertionError: nothing truthy within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
