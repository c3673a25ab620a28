"""Log lines as users see them on stdout, in each format, from otelkit and stdlib loggers."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from typing import Any

import pytest

import otelkit


def _json_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_json_line_carries_every_documented_field(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(
        service_name="video-api", environment="prod", log_format="json", console=False
    )
    log = otelkit.get_logger("video.pipeline")
    with (
        otelkit.bind(job_id="job-1", session_id="sess-2", correlation_id="c-3"),
        otelkit.span("render") as span,
    ):
        log.info("Scene generated", scene=1, video_url="s3://bucket/key")
    (line,) = _json_lines(capsys.readouterr().out)
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(line["timestamp"]))
    assert line["level"] == "INFO"
    assert line["message"] == "Scene generated"
    assert line["logger"] == "video.pipeline"
    assert line["service"] == "video-api"
    assert line["environment"] == "prod"
    assert (line["job_id"], line["session_id"], line["correlation_id"]) == (
        "job-1",
        "sess-2",
        "c-3",
    )
    assert (line["scene"], line["video_url"]) == (1, "s3://bucket/key")
    assert line["trace_id"] == trace_id
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")
    assert line["xray_trace_id"] == f"1-{trace_id[:8]}-{trace_id[8:]}"
    assert re.fullmatch(r"test_logging\.py:\d+", str(line["source"]))


def test_stdlib_logging_from_any_library_is_stamped(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    with otelkit.bind(job_id="job-7"):
        logging.getLogger("somelib.client").warning("retrying %s", "upload", extra={"attempt": 2})
    (line,) = _json_lines(capsys.readouterr().out)
    assert line["message"] == "retrying upload"
    assert line["level"] == "WARNING"
    assert line["job_id"] == "job-7"
    assert line["attempt"] == 2
    assert "trace_id" not in line, "no span is active"


def test_failures_carry_error_and_exception(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    log = otelkit.get_logger("worker")
    try:
        raise ConnectionError("ntfy.sh unreachable")
    except ConnectionError:
        log.exception("Notification failed", attempt=3)
    (line,) = _json_lines(capsys.readouterr().out)
    assert line["level"] == "ERROR"
    assert line["error"] == "ntfy.sh unreachable"
    assert line["error_type"] == "ConnectionError"
    assert "Traceback (most recent call last)" in str(line["exception"])


def test_secrets_never_reach_a_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    otelkit.get_logger("auth").info(
        "Token refreshed", access_token="eyJhbGci", authorization="Bearer abc", prompt_tokens=12
    )
    logging.getLogger("auth").info("stdlib", extra={"client_secret": "s3cr3t"})
    out = capsys.readouterr().out
    assert "eyJhbGci" not in out
    assert "Bearer abc" not in out
    assert "s3cr3t" not in out
    first, second = _json_lines(out)
    assert first["access_token"] == "[REDACTED]"
    assert first["prompt_tokens"] == 12, "token counts are not secrets"
    assert second["client_secret"] == "[REDACTED]"


def test_reserved_field_names_do_not_overwrite_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    otelkit.get_logger("x").info("real message", message="field", level=3)
    (line,) = _json_lines(capsys.readouterr().out)
    assert (line["message"], line["level"]) == ("real message", "INFO")
    assert (line["message_"], line["level_"]) == ("field", 3)


def test_text_format_and_structured_logging_false(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STRUCTURED_LOGGING", "false")
    otelkit.configure(console=False)
    with otelkit.bind(job_id="job-1"):
        otelkit.get_logger("svc").info("Video generation complete", video_key="a b.mp4")
    out = capsys.readouterr().out.strip()
    assert re.fullmatch(
        r'\S+Z INFO svc: Video generation complete job_id=job-1 video_key="a b\.mp4"', out
    )


def test_pretty_format_is_aligned_and_readable(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="pretty", console=False)
    otelkit.get_logger("svc").info("Scene details", scene_number=1, duration=5)
    out = capsys.readouterr().out
    assert re.match(
        r"\d\d:\d\d:\d\d\.\d{3} INFO  Scene details {20,}scene_number=1 duration=5"
        r"  test_logging\.py:\d+",
        out,
    )


def test_levels_follow_log_level_and_environment(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(environment="prod", log_format="json", console=False)
    log = otelkit.get_logger("svc")
    log.debug("hidden in prod")
    log.info("shown")
    assert [line["message"] for line in _json_lines(capsys.readouterr().out)] == ["shown"]
    otelkit.configure(environment="dev", log_format="json", console=False)
    log.debug("shown in dev")
    assert [line["message"] for line in _json_lines(capsys.readouterr().out)] == ["shown in dev"]
    otelkit.configure(log_level="error", log_format="json", console=False)
    log.warning("hidden")
    assert capsys.readouterr().out == ""


def test_configure_twice_never_duplicates_lines(capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(3):
        otelkit.configure(log_format="json", console=False)
    otelkit.get_logger("svc").info("once")
    assert len(_json_lines(capsys.readouterr().out)) == 1


def test_logger_is_stdlib_compatible(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    log = otelkit.get_logger("compat")
    assert log.stdlib is logging.getLogger("compat")
    log.log(logging.WARNING, "%d scenes", 3, stack_info=False, extra={"k": "v"}, scene=1)
    log.critical("down")
    first, second = _json_lines(capsys.readouterr().out)
    assert (first["message"], first["k"], first["scene"]) == ("3 scenes", "v", 1)
    assert second["level"] == "CRITICAL"
    assert otelkit.get_logger().stdlib is logging.getLogger()


def test_a_broken_field_never_breaks_the_caller(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside strict mode an unserialisable field degrades to str(), never raises."""
    monkeypatch.delenv("OTELKIT_STRICT")
    otelkit.configure(log_format="json", console=False)

    class Weird:
        def __repr__(self) -> str:
            return "<weird>"

    otelkit.get_logger("svc").info("still logged", thing=Weird(), raw=b"\x00")
    (line,) = _json_lines(capsys.readouterr().out)
    assert line["thing"] == "<weird>"


def test_lambda_runtime_root_handler_is_replaced_not_doubled() -> None:
    """On Lambda the runtime's root handler would write every record a second time."""

    class LambdaLoggerHandler(logging.StreamHandler):  # type: ignore[type-arg]
        """Named as the AWS Lambda Python runtime names its root handler."""

    runtime_handler = LambdaLoggerHandler()
    user_handler = logging.NullHandler()
    root = logging.getLogger()
    root.addHandler(runtime_handler)
    root.addHandler(user_handler)
    try:
        otelkit.configure(log_format="json", console=False)
        assert runtime_handler not in root.handlers
        assert user_handler in root.handlers, "handlers the user added stay"
    finally:
        root.removeHandler(runtime_handler)
        root.removeHandler(user_handler)


def test_secret_query_parameters_in_library_messages_are_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(log_format="json", console=False)
    logging.getLogger("httpx").info(
        'HTTP Request: GET https://api.example/v1/x?api_key=sk-123&page=2 "HTTP/1.1 200 OK"'
    )
    (line,) = _json_lines(capsys.readouterr().out)
    assert line["message"] == (
        'HTTP Request: GET https://api.example/v1/x?api_key=[REDACTED]&page=2 "HTTP/1.1 200 OK"'
    )


def test_nested_secrets_are_redacted_and_ids_about_secrets_are_kept(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(log_format="json", console=False)
    metadata = {"browser": "chromium", "auth": {"token": "t-1", "token_count": 3}}
    otelkit.event(
        "SESSION_CREATED", api_key_id="key-42", secret_arn="arn:aws:s3:::x", metadata=metadata
    )
    (line,) = _json_lines(capsys.readouterr().out)
    assert line["api_key_id"] == "key-42"
    assert line["secret_arn"] == "arn:aws:s3:::x"
    assert line["metadata"] == {"browser": "chromium", "auth": "[REDACTED]"}
    assert metadata["auth"] == {"token": "t-1", "token_count": 3}, "the caller's dict is intact"


def test_static_fields_on_every_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTELKIT_STATIC_FIELDS", "hostname=bot-server-01, region=us-west-1")
    otelkit.configure(log_format="json", console=False)
    with otelkit.bind(worker_id="worker-1"):
        logging.getLogger("bot").info("Processing user request")
    (line,) = _json_lines(capsys.readouterr().out)
    assert (line["hostname"], line["region"], line["worker_id"]) == (
        "bot-server-01",
        "us-west-1",
        "worker-1",
    )
    monkeypatch.setenv("OTELKIT_STATIC_FIELDS", "region")
    with pytest.raises(ValueError, match="OTELKIT_STATIC_FIELDS: 'region' is not key=value"):
        otelkit.configure()
    otelkit.configure(static_fields={"container_id": "a1b2c3"}, log_format="json", console=False)
    logging.getLogger("bot").info("again")
    assert _json_lines(capsys.readouterr().out)[0]["container_id"] == "a1b2c3"


def test_flags_about_secrets_are_not_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    otelkit.get_logger("auth").info("Webhook received", has_auth_token=True, password=None)
    (line,) = _json_lines(capsys.readouterr().out)
    assert line["has_auth_token"] is True
    assert line["password"] is None


def test_non_finite_numbers_stay_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    otelkit.get_logger("m").info("ratio", value=float("nan"), ceiling=float("inf"))
    (line,) = _json_lines(capsys.readouterr().out)
    assert (line["value"], line["ceiling"]) == ("nan", "inf")


def test_secrets_inside_lists_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    otelkit.get_logger("m").info("batch", items=[{"token": "t-1", "n": 1}, "plain"])
    (line,) = _json_lines(capsys.readouterr().out)
    assert line["items"] == [{"token": "[REDACTED]", "n": 1}, "plain"]


def test_a_record_that_cannot_be_formatted_still_leaves_a_line() -> None:
    """In a process of its own: pytest's log capture would raise on the bad format first."""
    code = (
        "import logging, otelkit\n"
        "otelkit.configure(log_format='json', console=False)\n"
        "logging.getLogger('y').info('%d items', 'abc')\n"
        "logging.getLogger('y').info('%d more', 'xyz')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OTELKIT_STRICT"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    first, second = _json_lines(result.stdout)
    assert (first["message"], first["args"]) == ("%d items", "('abc',)")
    assert first["logging_error"].startswith("TypeError")
    assert second["message"] == "%d more"
    assert result.stderr.count("otelkit: internal error") == 1, "reported once per kind"


def test_the_logger_is_a_full_front_for_the_stdlib_logger() -> None:
    log = otelkit.get_logger("front")
    log.setLevel(logging.ERROR)
    assert logging.getLogger("front").level == logging.ERROR
    assert log.getEffectiveLevel() == logging.ERROR
    assert log.getChild("x").name == "front.x"
    log.setLevel(logging.NOTSET)
