"""Every line otelkit writes on stderr passes the one redaction policy: reports (plain and
as Lambda JSON lines), drop summaries, ``otelkit run``'s setup failure and the CLI's AWS
error line."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import otelkit
from otelkit._core import drops as _drops
from otelkit._core.report_lines import write_report
from tests.support.secrets_corpus import CORPUS, leaks


@pytest.fixture(autouse=True)
def _configured() -> None:
    otelkit.configure(console=False)


@pytest.mark.parametrize("on_lambda", [False, True], ids=["plain", "lambda"])
def test_reports_hold_no_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, on_lambda: bool
) -> None:
    if on_lambda:
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    for secret in CORPUS:
        write_report(f"could not send: {secret.text}", detail=secret.text, dropped=3)
    err = capsys.readouterr().err
    assert len(err.splitlines()) == len(CORPUS)
    if on_lambda:
        first = json.loads(err.splitlines()[0])
        assert first["dropped"] == 3
    assert "[REDACTED]" in err
    assert leaks({"stderr": err}) == []


@pytest.mark.parametrize("on_lambda", [False, True], ids=["plain", "lambda"])
def test_the_drop_summary_holds_no_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, on_lambda: bool
) -> None:
    if on_lambda:
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    _drops.reset()
    for secret in CORPUS:
        _drops.add("logs", f"export to {secret.text}")
    _drops.summarize_if_due(final=True)
    err = capsys.readouterr().err
    assert "dropped" in err, err
    if on_lambda:
        counts = [json.loads(line)["dropped"] for line in err.splitlines()]
        assert sum(sum(dropped.values()) for dropped in counts) == len(CORPUS)
    assert leaks({"drop summary": err}) == []
    _drops.reset()


def test_a_setup_failure_under_otelkit_run_shows_no_secret() -> None:
    secret = CORPUS[0]
    result = subprocess.run(
        [sys.executable, "-m", "otelkit", "run", sys.executable, "-c", "print('ran')"],
        env={**os.environ, "OTELKIT_SAMPLE_RATE": f"{secret.key}={secret.value}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "ran" in result.stdout
    assert "telemetry not set up" in result.stderr
    assert "[REDACTED]" in result.stderr
    assert leaks({"otelkit run": result.stderr}) == []


def test_the_cli_aws_error_line_shows_no_secret() -> None:
    # botocore quotes the endpoint it could not reach, credentials in it included.
    endpoint = "http://alice:urlpass-needle-88@127.0.0.1:9"
    result = subprocess.run(
        [sys.executable, "-m", "otelkit", "logs", "tail", "--group", "g"],
        env={
            **os.environ,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1
    assert "the AWS request failed" in result.stderr
    assert "urlpass-needle-88" not in result.stderr
    assert leaks({"aws error": result.stderr}) == []
