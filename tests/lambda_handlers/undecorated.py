"""A module whose decorated handler is not the one the function runs: the extension is
registered at init, yet no invocation enters the decorated handler."""

from __future__ import annotations

import importlib
from typing import Any

importlib.import_module("decorated")  # a sibling in the task directory: registers at init


def handler(event: Any, context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": "plain"}
