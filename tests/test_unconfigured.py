"""Used before configure(): one warning on stderr, in a real program, then silence."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.processes import production_env

PROGRAM = """
import otelkit

log = otelkit.get_logger("app")
log.info("first line")
log.info("second line")
with otelkit.job("nightly", job_id="job-1"):
    pass
"""


def _stderr(program: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


@pytest.mark.slow
def test_a_program_without_configure_is_told_once() -> None:
    stderr = _stderr(PROGRAM)
    assert stderr.count("before otelkit.configure() was called") == 1, stderr
    assert "a log line was dropped" in stderr


@pytest.mark.slow
def test_a_job_alone_is_told_too() -> None:
    stderr = _stderr('import otelkit\nwith otelkit.job("nightly", job_id="j"):\n    pass\n')
    assert "otelkit.job() was used before otelkit.configure()" in stderr


@pytest.mark.slow
def test_a_configured_program_is_not_warned() -> None:
    stderr = _stderr("import otelkit\notelkit.configure(log_stdout=False)\n" + PROGRAM)
    assert "before otelkit.configure()" not in stderr


@pytest.mark.slow
def test_a_test_capture_counts_as_set_up() -> None:
    program = "from otelkit.testing import capture\nwith capture():\n" + "".join(
        f"    {line}\n" for line in PROGRAM.strip().splitlines()
    )
    assert "before otelkit.configure()" not in _stderr(program)
