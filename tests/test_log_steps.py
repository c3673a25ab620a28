"""The log-line steps: one ordered list, each pipeline running those its outputs need,
and a new step is one entry."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit._logs import steps as _steps
from otelkit.testing import capture


def _names(steps: tuple[object, ...]) -> list[str]:
    return [getattr(step, "__name__", "?") for step in steps]


def test_a_stdout_pipeline_runs_every_event_step_in_the_listed_order() -> None:
    otelkit.configure(log_format="json", console=False, resource_detectors="none")
    ran = _names(_pipeline.current().log_steps)
    listed = _names(_steps.STEPS)
    assert ran == [name for name in listed if name in ran]  # the list's order
    assert ran[:2] == ["take_call", "start_event"]
    assert "otlp_attributes" not in ran  # nothing is exported
    assert _names(_pipeline.current().log_outputs) == ["write_stdout"]


def test_a_pipeline_with_no_output_makes_no_line() -> None:
    otelkit.configure(log_stdout=False, console=False, resource_detectors="none")
    assert _pipeline.current().log_steps == ()
    assert _pipeline.current().log_outputs == ()


def test_otlp_only_builds_attributes_and_no_event() -> None:
    chosen = _names(_steps.steps_for(event=False, otlp=True, deployment=True, shaped=True))
    assert chosen == ["take_call", "otlp_attributes", "shape"]


def test_records_made_later_build_no_attributes_as_the_line_is_made() -> None:
    """On Lambda (deferred records, no caps) the record's attributes are made at the
    flush by the output itself."""
    chosen = _steps.steps_for(
        event=True, otlp=True, deployment=False, shaped=False, otlp_later=True
    )
    assert "otlp_attributes" not in _names(chosen)
    outputs = _steps.outputs_for(stdout=True, sinks=False, otlp=True, otlp_later=True)
    assert _names(outputs) == ["write_stdout", "to_otlp_later"]


def test_a_new_step_is_one_entry_and_runs_where_it_is_listed() -> None:
    def add_tenant(line: _steps.Line) -> None:
        assert line.event is not None
        line.event["tenant"] = "acme"

    with capture() as cap, otelkit.bind(job_id="job-1"):
        built = _pipeline.current()
        steps = list(built.log_steps)
        steps.insert(steps.index(_steps.add_unit) + 1, add_tenant)  # after the bound IDs
        _pipeline.activate(replace(built, log_steps=tuple(steps)))
        otelkit.get_logger("app").info("scene done", scene=3)
    keys = list(cap.logs[-1])
    assert keys.index("job_id") < keys.index("tenant") < keys.index("scene")
    assert cap.logs[-1]["tenant"] == "acme"


def test_the_line_is_the_same_whichever_output_writes_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(log_format="json", console=False, resource_detectors="none")
    seen: list[dict[str, object]] = []
    _pipeline.activate(_steps.with_sink(_pipeline.current(), seen.append))
    with otelkit.bind(job_id="job-1"):
        otelkit.get_logger("app").warning("disk at %d%%", 91, token="abc123secret", n=2)
    (written,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert written == seen[0]
    assert (written["message"], written["token"], written["n"]) == ("disk at 91%", "[REDACTED]", 2)
