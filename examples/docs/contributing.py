"""The code block of docs/contributing.md: one field of the settings table.

The block sits between ``# doc: NAME`` and ``# doc: end``; tests/test_docs_blocks.py
checks that the page shows exactly these lines and runs this file.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from otelkit._config.parsers import positive
from otelkit._config.spec import setting


@dataclass(frozen=True)
class Table:
    # doc: setting
    slow_request_ms: float | None = setting(
        parse=positive, default=None, env=("OTELKIT_SLOW_REQUEST_MS",),
        doc="Requests slower than this write a WARNING line naming the route.",
    )
    # doc: end


assert [field.name for field in fields(Table)] == ["slow_request_ms"]
