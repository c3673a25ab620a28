"""A re-``configure()`` hands over what the old pipeline holds: nothing recorded before
it is lost, through real exporters to real receivers on loopback."""

from __future__ import annotations

import otelkit
from tests.support.otlp_receiver import otlp_receiver


def test_reconfigure_delivers_what_the_old_pipeline_held() -> None:
    with otlp_receiver() as (old_endpoint, old), otlp_receiver() as (new_endpoint, new):
        otelkit.configure(endpoint=old_endpoint, log_stdout=False, console=False)
        log = otelkit.get_logger("app")
        for index in range(50):
            with otelkit.span(f"old-{index}"):
                log.info("old %d", index)
        otelkit.count("Handed", 7)
        otelkit.configure(endpoint=new_endpoint, log_stdout=False, console=False)
        with otelkit.span("new-0"):
            log.info("new 0")
        otelkit.shutdown(5.0)
        old_spans = {s["name"] for s in old.spans()}
        old_logs = {r["body"]["stringValue"] for r in old.logs()}
        old_counts = [
            p["asInt"]
            for m in old.metrics()
            if m["name"] == "Handed"
            for p in m["sum"]["dataPoints"]
        ]
        new_spans = {s["name"] for s in new.spans()}
    assert old_spans == {f"old-{i}" for i in range(50)}
    assert old_logs == {f"old {i}" for i in range(50)}
    assert [int(c) for c in old_counts][-1:] == [7]
    assert new_spans == {"new-0"}
