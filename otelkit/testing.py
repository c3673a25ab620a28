"""Test support: ``capture()`` and the ``otelkit_capture`` pytest fixture.

``capture()`` routes every span, log record and metric, including those of
instrumented libraries, into memory for the duration of a ``with`` block, then restores
whatever pipeline was active. Nothing touches the network.

Example:
    >>> from otelkit.testing import capture
    >>> with capture() as cap:
    ...     do_work()
    >>> [s.name for s in cap.spans]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from otelkit._sdk.capture import Capture

__all__ = ["Capture", "capture", "otelkit_capture"]


def capture(
    *, service_name: str = "test-service", environment: str = "test", level: str = "DEBUG"
) -> Capture:
    """Capture spans, logs and metrics in memory for a ``with`` block."""
    from otelkit._sdk.capture import Capture  # the SDK: imported on first use only

    return Capture(service_name=service_name, environment=environment, level=level)


def __getattr__(name: str) -> Any:
    # ``Capture`` lives with the SDK; naming it here must not import the SDK up front.
    if name == "Capture":
        from otelkit._sdk.capture import Capture

        return Capture
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


try:
    import pytest
except ImportError:  # pragma: no cover - the fixture exists only under pytest
    pass
else:

    @pytest.fixture
    def otelkit_capture() -> Iterator[Capture]:
        """A ``capture()`` active for the whole test."""
        with capture() as cap:
            yield cap
