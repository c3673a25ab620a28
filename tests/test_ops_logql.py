"""The saved LogQL queries against the lines otelkit sends to Loki.

otelkit's OTLP log records have the message as a plain body and every field as an
attribute, which Loki stores as structured metadata: a query filters on it directly
(``| worker_id = "…"``). ``| json`` would fail on every plain body, marking each line
with an error, and Loki refuses a metric query over such lines. Each model's queries
run over records a real otelkit export sent to a local OTLP receiver (the mapping is in
``tests/support/logql.py``). The fleet's queries, on seed 004's own labels, run through
the rendered collector fragment in ``test_ops_loki_labels.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import otelkit
from otelkit.ops import load_model
from tests.support.logql import Entry, evaluate, from_otlp, select
from tests.support.otlp_receiver import attributes, otlp_receiver

ROOT = Path(__file__).resolve().parents[1]
OPS = ROOT / "examples" / "ops"
log = otelkit.get_logger("seed.lines")


def _export(service: str, write: Callable[[], None]) -> list[Entry]:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(
            service_name=service,
            environment="prod",
            endpoint=endpoint,
            log_stdout=False,
            console=False,
        )
        write()
        assert otelkit.flush(timeout=5.0)
        return [
            from_otlp(resource, record, attributes(record.get("attributes", [])))
            for resource, record in received.with_resource("/v1/logs")
        ]


def _queries(model_file: str, ids: dict[str, str]) -> dict[str, str]:
    """The model's LogQL queries, each placeholder given a real ID."""
    model = load_model(OPS / model_file)
    return {
        q.name: re.sub(
            r"REPLACE_WITH_[A-Z_]+", lambda m: ids[m.group(0)], model.fill(q.logql, "prod")
        )
        for q in model.queries
        if q.logql
    }


def _fail_job(name: str, job_id: str, message: str) -> None:
    try:
        with otelkit.job(name, job_id=job_id):
            log.error(message)
            raise TimeoutError("page load")
    except TimeoutError:
        pass


def test_rez_agent_queries() -> None:
    def write() -> None:
        with otelkit.bind(correlation_id="corr-1", message_id="msg-1"):
            log.info("SQS message received", attempt=1)
            log.error("Notification failed", error="ntfy.sh answered 503")
        with otelkit.bind(correlation_id="corr-2", message_id="msg-2"):
            log.error("Processing failed", error="timeout")
            log.error("Retry failed", error="timeout")

    entries = _export("rez-agent", write)
    queries = _queries("rez_agent.yaml", {"REPLACE_WITH_CORRELATION_ID": "corr-1"})
    # seed 001 query 1: every line of one correlation ID
    one = select(queries["by-correlation-id"], entries)
    assert [e.line for e in one] == ["SQS message received", "Notification failed"]
    # seed 001 query 2: ERROR lines per message_id
    errors = evaluate(queries["errors-by-message"], entries, at=time.time() + 1)
    assert errors == {(("message_id", "msg-1"),): 1.0, (("message_id", "msg-2"),): 2.0}
    # seed 001 query 4: failed notifications, with their error
    [failed] = select(queries["failed-notifications"], entries)
    assert failed.metadata["error"] == "ntfy.sh answered 503"


@pytest.mark.parametrize(
    ("model_file", "service", "placeholder", "field"),
    [
        ("video_pipeline.yaml", "video-pipeline", "REPLACE_WITH_JOB_ID", "job_id"),
        (
            "wallcrawler_sessions.yaml",
            "wallcrawler-sessions",
            "REPLACE_WITH_SESSION_ID",
            "session_id",
        ),
        ("bella_api.yaml", "bella-api", "REPLACE_WITH_CALL_SID", "session_id"),
    ],
)
def test_one_id_queries_return_every_line_of_that_id(
    model_file: str, service: str, placeholder: str, field: str
) -> None:
    def write() -> None:
        for value in ("id-1", "id-2"):
            with otelkit.bind(**{field: value}):
                log.info("step one")
                log.warning("step two")

    entries = _export(service, write)
    [query] = _queries(model_file, {placeholder: "id-1"}).values()
    found = select(query, entries)
    assert [(e.line, e.metadata[field]) for e in found] == [
        ("step one", "id-1"),
        ("step two", "id-1"),
    ]


def test_no_saved_logql_query_parses_the_body_as_json() -> None:
    for path in sorted(OPS.glob("*.yaml")):
        for query in load_model(path).queries:
            assert "| json" not in (query.logql or ""), f"{path.stem}: {query.name}"


def test_a_missing_metadata_field_selects_nothing_and_unknown_syntax_raises() -> None:
    entries = _export("probe", lambda: log.info("hello", job_id="j"))
    assert select('{service_name="probe"} | worker_id = `w`', entries) == []
    assert len(select('{service_name="probe"} | job_id = `j`', entries)) == 1
    with pytest.raises(ValueError, match="subset"):
        select('{service_name="probe"} | logfmt', entries)
