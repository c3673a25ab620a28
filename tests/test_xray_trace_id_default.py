"""Trace IDs are X-Ray-compatible by default: the first 32 bits are the start time in
epoch seconds (as ADOT's ID generator writes them), the other 96 random, so X-Ray takes
every trace and the W3C random-trace-id flag stays true. Checked on what a real process
exports over OTLP and writes in its JSON lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support.otlp_receiver import otlp_receiver

REPO = Path(__file__).resolve().parents[1]
PROGRAM = """
import json, otelkit
from opentelemetry import propagate
otelkit.configure(log_format="json")
log = otelkit.get_logger("ids")
for index in range(200):
    with otelkit.span("work", index=index):
        if index == 0:
            log.info("first")
            carrier = {}
            propagate.inject(carrier)
            print(json.dumps({"traceparent": carrier["traceparent"]}))
otelkit.shutdown(timeout=10.0)
"""


def test_trace_ids_carry_the_start_time_and_96_random_bits(tmp_path: Path) -> None:
    script = tmp_path / "ids.py"
    script.write_text(PROGRAM, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO), "OTEL_SERVICE_NAME": "ids"}
    env.pop("OTELKIT_STRICT", None)
    with otlp_receiver() as (url, received):
        before = int(time.time())
        result = subprocess.run(
            [sys.executable, str(script)],
            env={**env, "OTEL_EXPORTER_OTLP_ENDPOINT": url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        after = int(time.time())
    assert result.returncode == 0, result.stderr

    trace_ids = [bytes.fromhex(_hex(s["traceId"])) for s in received.spans()]
    assert len(trace_ids) == 200
    for trace_id in trace_ids:
        assert before <= int.from_bytes(trace_id[:4], "big") <= after
    randoms = {trace_id[4:] for trace_id in trace_ids}
    assert len(randoms) == 200  # 96 random bits: no two traces share them
    ones = sum(bin(int.from_bytes(r, "big")).count("1") for r in randoms)
    assert 0.45 < ones / (96 * len(randoms)) < 0.55  # uniform bits, not a counter

    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    traceparent = next(line["traceparent"] for line in lines if "traceparent" in line)
    _, trace_hex, _, flags = traceparent.split("-")
    assert int(flags, 16) & 0x02, traceparent  # W3C random-trace-id flag kept
    first = next(line for line in lines if line.get("message") == "first")
    assert first["xray_trace_id"] == f"1-{trace_hex[:8]}-{trace_hex[8:]}"
    assert before <= int(trace_hex[:8], 16) <= after


def _hex(value: str) -> str:
    """OTLP/JSON carries IDs as base64 through protobuf's JSON mapping."""
    import base64

    return base64.b64decode(value).hex()
