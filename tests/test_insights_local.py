"""The local Logs Insights subset: the seeds' own queries give CloudWatch's answers on
sample lines, and any query text or line is an answer or a ValueError, nothing else."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otelkit._cli.insights_local import parse_query

JOB: list[dict[str, Any]] = [
    {"timestamp": "2025-09-26T20:30:01Z", "level": "INFO", "message": "Request started"},
    {"timestamp": "2025-09-26T20:30:02Z", "message": "Scene details", "job_id": "job-abc123"},
    {"timestamp": "2025-09-26T20:30:03Z", "message": "Kling API error", "job_id": "job-abc123"},
    {
        "timestamp": "2025-09-26T20:31:00Z",
        "message": "Video generation complete",
        "job_id": "job-abc123",
        "duration": 10,
        "total_time": 95.5,
    },
    {
        "timestamp": "2025-09-26T20:32:00Z",
        "message": "Video generation complete",
        "job_id": "job-def456",
        "duration": 10,
        "total_time": 120.5,
    },
    {
        "timestamp": "2025-09-26T20:33:00Z",
        "message": "Video generation complete",
        "job_id": "job-ghi789",
        "duration": 5,
        "total_time": 40.0,
    },
    {"timestamp": "2025-09-26T20:34:00Z", "message": "Job failed", "status": "failed"},
]


def test_seed_003_performance_query_groups_by_video_duration() -> None:
    query = parse_query(
        "fields job_id, duration, total_time "
        "| filter @message like /Video generation complete/ "
        "| stats avg(total_time) as avg_time, max(total_time) as max_time by duration"
    )
    rows = sorted(query.run(JOB), key=lambda row: row["duration"])
    assert rows == [
        {"duration": 5, "avg_time": 40.0, "max_time": 40.0},
        {"duration": 10, "avg_time": 108.0, "max_time": 120.5},
    ]


def test_seed_003_external_api_errors_need_a_job() -> None:
    query = parse_query(
        "fields @timestamp, job_id, @message "
        "| filter @message like /API error/ or @message like /failed/ "
        '| filter job_id != "" | sort @timestamp desc'
    )
    assert [row["job_id"] for row in query.run(JOB)] == ["job-abc123"]  # not "Job failed"


def test_seed_003_job_lifecycle_ascending() -> None:
    query = parse_query(
        'fields @timestamp, @message, job_id | filter job_id = "job-abc123" '
        "| sort @timestamp asc | limit 2"
    )
    assert [row["@timestamp"] for row in query.run(JOB)] == [
        "2025-09-26T20:30:02Z",
        "2025-09-26T20:30:03Z",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('filter not status = "failed" | stats count() as n', 6),
        (
            'filter (status = "failed" or duration >= 10) and not job_id = "job-def456" '
            "| stats count() as n",
            2,
        ),
        ('filter message not like "Video" | stats count() as n', 4),
        ("filter total_time < 100 and total_time > 50 | stats count() as n", 1),
        ("stats count(total_time) as n", 3),
    ],
)
def test_filters_combine_as_in_insights(text: str, expected: int) -> None:
    assert parse_query(text).run(JOB) == [{"n": expected}]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("parse @message /x/", "unsupported command 'parse'"),
        ("filter job_id ==", "expected a quoted string or a number"),
        ("stats median(x)", "stats: cannot read"),
        ("limit ten", "limit takes a whole number"),
        ("filter (a = 1", "not closed"),
        ("filter a like /(/", "bad regex"),
    ],
)
def test_what_it_cannot_run_is_named(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_query(text)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(text=st.text(max_size=120))
def test_any_query_text_parses_or_is_a_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        parse_query(text)


@given(
    lines=st.lists(st.dictionaries(st.sampled_from(["a", "b", "level"]), _json), max_size=6),
    query=st.sampled_from(
        [
            'filter a = "x" or b > 3 | stats count() as n, avg(b) as m by a | sort n desc',
            "filter @message like /[0-9]/ | fields a, @timestamp | sort a asc | limit 3",
            'filter not level != "ERROR" | stats min(a) as lo, max(b) as hi by level',
        ]
    ),
)
def test_any_lines_give_rows(lines: list[dict[str, Any]], query: str) -> None:
    rows = parse_query(query).run(lines)
    assert isinstance(rows, list)
    assert len(rows) <= len(lines) or not lines
