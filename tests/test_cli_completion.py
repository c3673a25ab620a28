"""``otelkit completion``: the script a shell sources completes commands, verbs, options."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest


def _script(shell: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "otelkit", "completion", shell],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def bash_script() -> str:
    return _script("bash")


def _complete(script: str, line: str) -> list[str]:
    """What bash offers for ``line`` (the cursor at its end), through the script."""
    words = line.split(" ")
    program = (
        f"{script}\nCOMP_WORDS=({' '.join(repr(w) for w in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n_otelkit\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
    )
    result = subprocess.run(
        ["bash", "--norc", "--noprofile"],
        input=program,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return [w for w in result.stdout.splitlines() if w]


@pytest.mark.parametrize(
    ("line", "offered"),
    [
        ("otelkit tr", ["traces"]),
        ("otelkit ", ["collector", "ops", "logs", "traces", "health", "completion", "--help"]),
        ("otelkit logs t", ["tail"]),
        ("otelkit logs tail --re", ["--region"]),
        ("otelkit logs find --", ["--file", "--group", "--id", "--since", "--profile"]),
        ("otelkit traces find --s", ["--since"]),
        ("otelkit ops render --st", ["--stage"]),
        ("otelkit completion z", ["zsh"]),
    ],
)
def test_bash_completes(bash_script: str, line: str, offered: list[str]) -> None:
    got = _complete(bash_script, line)
    assert set(offered) <= set(got), got


def test_a_value_is_left_to_the_shell(bash_script: str) -> None:
    # After --file the script offers nothing, so bash's default (file names) applies.
    assert _complete(bash_script, "otelkit logs tail --file ") == []


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_loads_the_script() -> None:
    result = subprocess.run(
        ["zsh", "-f", "-c", _script("zsh") + "\ncomplete -p otelkit"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
