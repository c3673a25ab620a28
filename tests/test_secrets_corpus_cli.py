"""The ``otelkit`` command prints what stores hold, and stores hold what anyone wrote:
every corpus secret planted in a log file, an EMF line, an X-Ray annotation or a
``/health`` body is printed redacted, in every mode, whatever the reader configured."""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import otelkit
from otelkit._cli import follow as _follow
from otelkit._cli import health as _health_cli
from otelkit._cli import insights as _insights_cli
from otelkit._cli import logs as _logs_cli
from otelkit._cli import metrics as _metrics_cli
from otelkit._cli import summary as _summary_cli
from tests.support.secrets_corpus import CORPUS, leaks
from tests.support.servers import http_server, moto_client

PLAIN = {"NO_COLOR": "1", "FORCE_COLOR": ""}
_JOB = "job-cli-corpus"
_OTELKIT = (sys.executable, "-m", "otelkit")
_COUNT = str(len(CORPUS))


def _lines() -> list[dict[str, Any]]:
    """A log line per secret: as its field, nested, in the message, as an error; then an
    EMF document carrying each secret in a dimension."""
    now = datetime.now(UTC).isoformat()
    lines: list[dict[str, Any]] = []
    for i, secret in enumerate(CORPUS):
        lines.append(
            {
                "timestamp": now,
                "level": "ERROR",
                "service": "api",
                "message": f"call failed: {secret.text}",
                "job_id": _JOB,
                secret.key: secret.value,
                "context": {"request": {secret.key: secret.value}, "note": secret.text},
                "error_type": "ValueError",
                "error_hash": f"h{i}",
                "latency_ms": 5000,
            }
        )
    lines.append(
        {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": "App",
                        "Dimensions": [[f"d{i}" for i in range(len(CORPUS))]],
                        "Metrics": [{"Name": "Calls", "Unit": "Count"}],
                    }
                ],
            },
            "Calls": 1,
            **{f"d{i}": secret.text for i, secret in enumerate(CORPUS)},
        }
    )
    return lines


@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "api.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in _lines()), encoding="utf-8")
    return path


def _printed(main: Callable[[Sequence[str]], int], argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, PLAIN),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        main(argv)
    return out.getvalue() + err.getvalue()


@contextlib.contextmanager
def _scrub_off() -> Iterator[None]:
    # The reading process's own setting does not decide what the command shows.
    otelkit.configure(console=False, scrub=False)
    try:
        yield
    finally:
        otelkit.configure(console=False)


def _commands(file: str) -> dict[str, tuple[Callable[[Sequence[str]], int], list[str]]]:
    logs = _logs_cli.main
    return {
        "logs tail": (logs, ["tail", "--file", file, "--limit", "500"]),
        "logs tail --json": (logs, ["tail", "--file", file, "--limit", "500", "--json"]),
        "logs errors": (logs, ["errors", "--file", file, "--limit", "500"]),
        "logs slow": (logs, ["slow", "--file", file, "--limit", "500"]),
        "logs find": (logs, ["find", "--id", _JOB, "--file", file, "--limit", "500"]),
        "summary": (_summary_cli.main, ["--file", file]),
        "summary --json": (_summary_cli.main, ["--file", file, "--json"]),
        "metrics": (_metrics_cli.main, ["--file", file]),
        "metrics --json": (_metrics_cli.main, ["--file", file, "--json"]),
        "insights": (_insights_cli.main, ["fields message, context | limit 500", "--file", file]),
        "insights --json": (
            _insights_cli.main,
            ["fields message, context | limit 500", "--file", file, "--json"],
        ),
    }


@pytest.mark.parametrize("command", list(_commands("")))
def test_the_query_commands_print_no_secret(log_file: Path, command: str) -> None:
    main, argv = _commands(str(log_file))[command]
    with _scrub_off():
        printed = _printed(main, argv)
    assert len(printed) > 200, f"{command} printed the lines: {printed!r}"
    assert "[REDACTED]" in printed
    assert leaks({command: printed}) == []


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_followed_lines_print_no_secret(log_file: Path, as_json: bool) -> None:
    raw = log_file.read_text(encoding="utf-8").splitlines(keepends=True)
    printed = "\n".join(_follow.render(text, as_json=as_json) for text in raw)
    printed += _follow.render("not json: " + " ".join(s.text for s in CORPUS), as_json=as_json)
    assert leaks({"follow": printed}) == []


@pytest.mark.slow
@pytest.mark.slow
def test_tail_follow_as_a_process_prints_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "api.jsonl"
    path.write_text("", encoding="utf-8")
    child = subprocess.Popen(
        [*_OTELKIT, "logs", "tail", "--follow", "--file", str(path), "--max-lines", _COUNT],
        env={**os.environ, **PLAIN},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)  # it starts at the end of the file: append once it is following
        with path.open("a", encoding="utf-8") as stream:
            stream.writelines(json.dumps(line) + "\n" for line in _lines()[: len(CORPUS)])
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert len(out.splitlines()) == len(CORPUS), err
    assert leaks({"tail --follow": out + err}) == []


class _LeakyHealth(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = {
            "status": "degraded",
            "error": " ".join(secret.text for secret in CORPUS),
            **{secret.key: secret.value for secret in CORPUS},
        }
        data = json.dumps(body).encode()
        self.send_response(503)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_health_prints_no_secret_a_service_answers(as_json: bool) -> None:
    with http_server(_LeakyHealth) as url, _scrub_off():
        printed = _printed(_health_cli.main, [url, *(["--json"] if as_json else [])])
    assert "unhealthy" in printed
    assert leaks({"health": printed}) == []


@pytest.mark.slow
def test_traces_find_prints_no_secret_from_annotations(
    aws_endpoint: str, aws_env: dict[str, str]
) -> None:
    client = moto_client("xray", aws_endpoint)
    job = f"job-{secrets.token_hex(4)}"
    now = time.time()
    annotations = {f"note_{i}": secret.text for i, secret in enumerate(CORPUS)}
    annotations.update({secret.key.replace("-", "_"): secret.value for secret in CORPUS})
    client.put_trace_segments(
        TraceSegmentDocuments=[
            json.dumps(
                {
                    "name": "api " + CORPUS[0].text,
                    "id": secrets.token_hex(8),
                    "trace_id": f"1-{int(now):08x}-{secrets.token_hex(12)}",
                    "start_time": now - 5,  # the emulator compares whole seconds
                    "end_time": now - 3,
                    "annotations": {"job_id": job, **annotations},
                }
            )
        ]
    )
    for mode in ([], ["--json"]):
        found = subprocess.run(
            [*_OTELKIT, "traces", "find", "--annotation", f"job_id={job}", *mode],
            env={**aws_env, **PLAIN},
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert found.returncode == 0, found.stderr
        assert "[REDACTED]" in found.stdout
        assert leaks({f"traces find {mode}": found.stdout + found.stderr}) == []
