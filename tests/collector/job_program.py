"""An otelkit program for the end-to-end tests: one job with a child and a failed step.

Run as ``python job_program.py JOB_ID CORRELATION_ID``; the collector endpoint, service
name and environment come from the environment, as in a deployed service.
"""

from __future__ import annotations

import sys

import otelkit


def main(job_id: str, correlation_id: str) -> None:
    otelkit.configure()
    log = otelkit.get_logger("e2e")
    with otelkit.bind(correlation_id=correlation_id):
        try:
            with otelkit.job("video.generate", job_id=job_id):
                with otelkit.span("render scene", scene=1):
                    log.info("Scene rendered", scene=1)
                    otelkit.count("ScenesRendered", 1, outcome="ok", status="completed")
                with otelkit.span("upload"):
                    raise RuntimeError("upload refused")
        except RuntimeError:
            log.warning("Job failed, giving up")
    otelkit.shutdown(timeout=10.0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
