"""A module whose decorated handler is not the one the function runs: the extension is
registered at init, yet no invocation enters the decorated handler."""

from __future__ import annotations

from typing import Any

import decorated  # noqa: F401 - registers otelkit's extension at import


def handler(event: Any, context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": "plain"}
