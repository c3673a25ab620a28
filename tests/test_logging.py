"""Log lines as users see them on stdout, in each format, from otelkit and stdlib loggers."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import otelkit
from otelkit._logs.event import _Timestamps
from tests.support.otlp_receiver import attributes, otlp_receiver


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


class _Records(logging.Handler):
    """Keeps every record it is handed: what any other handler would see."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _inner(logger: Any) -> None:
    logger.info("stacked", stacklevel=2)


def _direct(logger: Any) -> None:
    logger.info("direct")


def _via_log(logger: Any) -> None:
    logger.log(logging.WARNING, "via log %s", "x")


def _with_extra(logger: Any) -> None:
    logger.info("extra", extra={"k": "v"})


def _stacked(logger: Any) -> None:
    _inner(logger)


def _exception(logger: Any) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")


def _from_the_logging_module(logger: Any) -> None:
    # Code whose frames name logging's own file: the stdlib never reports those as the caller.
    code = compile("logger.info('internal')", logging.addLevelName.__code__.co_filename, "exec")
    exec(code, {"logger": logger})


_CALLS = [_direct, _via_log, _with_extra, _stacked, _exception, _from_the_logging_module]


def _where(logger: Any, call: Any) -> tuple[str, int, str | None]:
    records = _Records()
    stdlib = getattr(logger, "stdlib", logger)  # an otelkit Logger fronts a stdlib one
    stdlib.addHandler(records)
    stdlib.setLevel(logging.INFO)
    try:
        call(logger)
    finally:
        stdlib.removeHandler(records)
        stdlib.setLevel(logging.NOTSET)
    (record,) = records.records
    return record.pathname, record.lineno, record.funcName


@pytest.mark.parametrize("call", _CALLS, ids=lambda call: call.__name__)
def test_the_caller_is_the_one_the_stdlib_logger_reports(call: Any) -> None:
    expected = _where(logging.getLogger("caller.stdlib"), call)
    assert _where(otelkit.get_logger("caller.otelkit"), call) == expected
    assert expected[0] == __file__


def test_a_logger_class_that_finds_callers_its_own_way_is_obeyed() -> None:
    class FixedCaller(logging.Logger):
        def findCaller(
            self, stack_info: bool = False, stacklevel: int = 1
        ) -> tuple[str, int, str, str | None]:
            return "elsewhere.py", 7, "somewhere", None

    logging.setLoggerClass(FixedCaller)
    try:
        log = otelkit.get_logger("caller.fixed")
    finally:
        logging.setLoggerClass(logging.Logger)
    assert _where(log, _direct) == ("elsewhere.py", 7, "somewhere")


def test_the_loggers_filters_and_the_record_factory_still_apply() -> None:
    log = otelkit.get_logger("caller.filtered")
    stdlib = log.stdlib
    records = _Records()
    stdlib.addHandler(records)
    stdlib.setLevel(logging.INFO)
    stdlib.addFilter(lambda record: record.getMessage() != "dropped")
    default = logging.getLogRecordFactory()

    def tagging(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = default(*args, **kwargs)
        record.__dict__["tagged"] = True
        return record

    try:
        log.info("dropped")
        log.info("kept", scene=1)
        logging.setLogRecordFactory(tagging)
        log.info("tagged")
    finally:
        logging.setLogRecordFactory(default)
        stdlib.filters.clear()
        stdlib.removeHandler(records)
        stdlib.setLevel(logging.NOTSET)
    kept, tagged = records.records
    assert kept.getMessage() == "kept"
    assert kept.__dict__["otelkit_fields"] == {"scene": 1}
    assert "tagged" not in kept.__dict__
    assert tagged.__dict__["tagged"]


def test_a_logger_class_that_makes_or_handles_records_its_own_way_is_obeyed() -> None:
    class Tagging(logging.Logger):
        def makeRecord(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
            record = super().makeRecord(*args, **kwargs)
            record.__dict__["made_by"] = "Tagging"
            return record

        def handle(self, record: logging.LogRecord) -> None:
            record.__dict__["handled_by"] = "Tagging"
            super().handle(record)

    logging.setLoggerClass(Tagging)
    try:
        log = otelkit.get_logger("caller.tagging")
    finally:
        logging.setLoggerClass(logging.Logger)
    records = _Records()
    log.stdlib.addHandler(records)
    log.stdlib.setLevel(logging.INFO)
    log.info("made")
    (record,) = records.records
    assert (record.__dict__["made_by"], record.__dict__["handled_by"]) == ("Tagging", "Tagging")


def test_no_caller_lookup_when_logging_is_told_not_to(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging, "_srcfile", None)  # the stdlib's documented switch
    assert _where(otelkit.get_logger("caller.off"), _direct) == (
        "(unknown file)",
        0,
        "(unknown function)",
    )


def test_the_line_and_the_otlp_record_name_the_callers_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_format="json", console=False)
        _direct(otelkit.get_logger("caller.wire"))
        assert otelkit.flush(timeout=5.0)
        records = [r for r in received.logs() if r["body"]["stringValue"] == "direct"]
    line = _direct.__code__.co_firstlineno + 1
    # Only the line under test: the export path may log too (a retried request, say).
    (written,) = [w for w in _json_lines(capsys.readouterr().out) if w["message"] == "direct"]
    assert written["source"] == f"test_logging.py:{line}"
    (record,) = records
    on_wire = attributes(record["attributes"])
    assert on_wire["code.file.path"] == __file__
    assert int(on_wire["code.line.number"]) == line
    assert on_wire["code.function.name"] == "_direct"


@given(created=st.floats(min_value=0, max_value=4_102_444_800))
def test_timestamps_are_utc_to_the_millisecond_truncated(created: float) -> None:
    whole = int(created)
    second = datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    millis = int((created - whole) * 1000)
    assert _Timestamps.format(created) == f"{second}.{millis:03d}Z"


def test_each_line_carries_the_trace_context_it_was_written_in(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(log_format="json", console=False)
    log = otelkit.get_logger("spans")
    expected = []
    with otelkit.span("outer") as outer:
        log.info("outer")
        expected.append(outer)
        with otelkit.span("inner") as inner:
            log.info("inner")
            expected.append(inner)
        log.info("outer again")
        expected.append(outer)
    with otelkit.span("next") as following:
        log.info("next")
        expected.append(following)
    log.info("outside")
    lines = _json_lines(capsys.readouterr().out)
    for line, span in zip(lines, expected, strict=False):
        context = span.get_span_context()
        trace_id = format(context.trace_id, "032x")
        assert (line["trace_id"], line["span_id"]) == (trace_id, format(context.span_id, "016x"))
        assert line["xray_trace_id"] == f"1-{trace_id[:8]}-{trace_id[8:]}"
        assert line["sampled"] is True
    assert lines[3]["trace_id"] != lines[0]["trace_id"]
    assert "trace_id" not in lines[-1]
    assert len(lines) == len(expected) + 1
