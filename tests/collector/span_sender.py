"""Sends numbered spans at a steady rate, for the collector fault tests.

Run as ``python span_sender.py COUNT INTERVAL_S``; each span carries ``seq`` so the test
can tell exactly which ones arrived. The endpoint comes from the environment.
"""

from __future__ import annotations

import sys
import time

import otelkit


def main(count: int, interval: float) -> None:
    otelkit.configure()
    for seq in range(count):
        with otelkit.span("tick", seq=seq):
            pass
        time.sleep(interval)
    otelkit.shutdown(timeout=30.0)


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]))
