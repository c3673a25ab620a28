"""The code blocks of docs/getting-started.md: the service, then its test, run here.

Each block sits between ``# doc: NAME`` and ``# doc: end``; tests/test_docs_blocks.py
checks that the page shows exactly these lines and runs this file.
"""

from __future__ import annotations

# doc: service
import otelkit

otelkit.configure(service_name="video-api", service_version="1.4.0")
log = otelkit.get_logger(__name__)


@otelkit.job("video.generate")
def generate(prompt: str, job_id: str | None = None) -> str:
    log.info("Generating script", model="gpt-4o")
    with otelkit.span("compose video", scenes=3):
        ...
    otelkit.event("VIDEO_READY", status="completed", video_key="videos/final.mp4")
    return "videos/final.mp4"
# doc: end

# doc: test
from otelkit.testing import Capture


def test_generate_logs_its_job(otelkit_capture: Capture) -> None:
    generate("a fox", job_id="job-1")
    assert otelkit_capture.span("video.generate").attributes["job_id"] == "job-1"
    assert [line["event_type"] for line in otelkit_capture.logs if "event_type" in line] == [
        "JOB_STARTED", "VIDEO_READY", "JOB_COMPLETED"]
# doc: end

from otelkit.testing import capture

with capture() as cap:  # what the otelkit_capture fixture hands the test
    test_generate_logs_its_job(cap)
