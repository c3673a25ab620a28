"""A process that records one point of each kind and exits right away.

Run as ``python count_once_program.py``; the collector endpoint, service name and
environment come from the environment, as in a deployed short-lived job or CLI run.
"""

from __future__ import annotations

import otelkit


def main() -> None:
    otelkit.configure()
    otelkit.count("JobsFinished", 1, outcome="ok")
    otelkit.record("JobSeconds", 2.5, unit="s", outcome="ok")
    otelkit.gauge("QueueDepth", 7, outcome="ok")
    otelkit.shutdown(timeout=10.0)


if __name__ == "__main__":
    main()
