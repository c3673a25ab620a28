"""100,000 spans in a tight loop: the process's memory stays bounded by the outbox, with a
healthy collector and with one that never answers, and every span is either delivered or
counted as dropped in the summary line. A real child process (its RSS is its own) against
the fault receiver on loopback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

import pytest

from otelkit._sdk.outbox import MAX_QUEUE
from tests.support.fault_receiver import fault_receiver
from tests.support.processes import production_env

pytestmark = pytest.mark.slow

WARM_UP, SPANS = 2_000, 100_000
#: What 100,000 spans may add to RSS. A full outbox of plain spans takes about 8 MB; the
#: unbounded queue this guards against would take over 90 MB (2.8 KB a span before the
#: spans were slimmed: 280 MB).
RSS_BOUND_MB = 40

SCRIPT = """
import json, sys, psutil, otelkit
otelkit.configure(endpoint=sys.argv[1], log_stdout=False, console=False,
                  resource_detectors="none", export_timeout=float(sys.argv[4]))
warm_up, spans = int(sys.argv[2]), int(sys.argv[3])
for n in range(warm_up):  # the first spans and exports allocate what every later one reuses
    with otelkit.span("work", n=n):
        pass
otelkit.flush(1.0)
process = psutil.Process()
before = process.memory_info().rss
for n in range(spans):
    with otelkit.span("work", n=n):
        pass
after = process.memory_info().rss
flushed = otelkit.flush(1.0)
print(json.dumps({"before": before, "after": after, "flushed": flushed}), flush=True)
"""


def _run(mode: str) -> tuple[dict[str, object], Counter[str], int]:
    """The child's figures, its span drops by reason (from the summary lines), and the
    spans the receiver accepted."""
    # A request to a healthy collector gets the default timeout: one cut short on a busy
    # machine would be both received and counted as dropped. A blackhole's is short.
    timeout = "0.5" if mode == "blackhole" else "10"
    with fault_receiver(mode) as (endpoint, tally):
        child = subprocess.run(
            [sys.executable, "-c", SCRIPT, endpoint, str(WARM_UP), str(SPANS), timeout],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
            env=production_env(),
        )
    dropped: Counter[str] = Counter()
    for line in child.stderr.splitlines():
        if line.startswith("otelkit: dropped"):
            for count, reason in re.findall(r"(\d+) spans \(([^)]*)\)", line):
                dropped[reason] += int(count)
    return json.loads(child.stdout.splitlines()[-1]), dropped, tally.spans


@pytest.mark.parametrize("mode", ["healthy", "blackhole"])
def test_memory_stays_bounded_and_every_span_is_delivered_or_counted(mode: str) -> None:
    figures, dropped, delivered = _run(mode)
    grown_mb = (int(figures["after"]) - int(figures["before"])) / 2**20  # type: ignore[call-overload]
    assert grown_mb < RSS_BOUND_MB, f"{SPANS:,} spans grew RSS by {grown_mb:.0f} MB"
    assert delivered + sum(dropped.values()) == WARM_UP + SPANS, (delivered, dropped)
    if mode == "blackhole":
        assert delivered == 0
        assert figures["flushed"] is False
        # What was still queued at the end never exceeded the bound.
        assert 0 < dropped["undelivered at shutdown"] <= MAX_QUEUE
        assert dropped["queue full"] >= SPANS - MAX_QUEUE
