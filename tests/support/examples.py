"""Running the example scripts the way a user does: as programs, JSON log lines on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(
    script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 90
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """Run ``examples/<script>`` with JSON log lines; return the process and its lines.

    Strict mode is off, as in production: an example must run as users run it.
    """
    full_env = {**os.environ, "LOG_FORMAT": "json", **(env or {})}
    full_env.pop("OTELKIT_STRICT", None)
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result, lines
