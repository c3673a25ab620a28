"""Sends numbered spans at a steady rate, for the collector fault tests.

Run as ``python span_sender.py COUNT INTERVAL_S [PAYLOAD_BYTES [FIRST_SEQ]]``; each span
carries ``seq`` (counting from ``FIRST_SEQ``) so the test can tell exactly which ones
arrived, and ``PAYLOAD_BYTES`` more in 64-character attributes when given (short texts,
which otelkit's redaction remembers as clean, so the sender stays fast). The endpoint comes
from the environment.
"""

from __future__ import annotations

import sys
import time

import otelkit


def main(count: int, interval: float, payload_bytes: int = 0, first_seq: int = 0) -> None:
    otelkit.configure()
    payload = {f"field_{i}": f"{i:02d}".ljust(64, "v") for i in range(payload_bytes // 64)}
    for seq in range(first_seq, first_seq + count):
        with otelkit.span("tick", seq=seq, **payload):
            pass
        time.sleep(interval)
    otelkit.shutdown(timeout=30.0)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]), float(args[1]), *(int(a) for a in args[2:4]))
