"""The installed ``otelkit`` command dispatches to its subcommands."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _otelkit() -> list[str]:
    script = Path(sys.executable).with_name("otelkit")
    return [str(script)] if script.exists() else [shutil.which("otelkit") or "otelkit"]


def test_collector_check_through_the_console_script() -> None:
    result = subprocess.run(
        [*_otelkit(), "collector", "check", str(ROOT / "collector" / "ecs" / "config.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_unknown_command_prints_usage_and_exits_2() -> None:
    result = subprocess.run(
        [*_otelkit(), "frobnicate"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "usage: otelkit <command>" in result.stderr
