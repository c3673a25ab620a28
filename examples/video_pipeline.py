"""An async video-generation job, instrumented with otelkit (modelled on a real pipeline).

One request becomes one job: ``job_id`` is generated, bound, and appears on every log
line and span — the script call, three scenes rendered in parallel with asyncio, the
upload to S3. External services are real servers on loopback: a small HTTP "model API"
and moto's S3 emulator. No AWS account, no internet.

Run it::

    make demo                      # or: python examples/video_pipeline.py

With ``OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318`` the same script exports traces,
metrics and logs to a collector (see collector/local/).

How it maps to the video-generation logging guide it reproduces:

* **job_id correlation instead of trace IDs in queries**: ``otelkit.job`` binds it for
  every line, span and the httpx/botocore calls; ``JOB_STARTED`` / ``JOB_COMPLETED`` /
  ``JOB_FAILED`` are the job lifecycle events, with ``status`` and ``error``.
* **stage on lines**: ``@otelkit.traced(..., stage="render")`` puts ``stage`` on every
  line written inside (``script``, ``render``, ``compose``).
* **Levels**: polling at DEBUG, pipeline stages at INFO, job failures at ERROR.
* **"Video generation complete"** with ``job_id``, ``video_key``, ``num_scenes``, the
  video's ``duration`` and ``total_time``: ``job.log_complete`` adds ``total_time``.
* **The guide's queries**: ``examples/ops/video_pipeline.yaml`` saves them; its
  ``job-duration`` is the guide's own ``stats avg(total_time) … by duration``.
* **Auth failures and external API errors**: ``otelkit.auth_failure`` and
  ``otelkit.api_error`` (see ``examples/failure_lines.py``); the request lines of the
  guide's HTTP middleware come from ``OtelkitASGIMiddleware`` (``examples/fastapi_app.py``).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import boto3
import httpx

import otelkit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _local_services import fake_api, moto_server

log = otelkit.get_logger("video.pipeline")
BUCKET = "videos"


@otelkit.traced("generate script", stage="script")
async def generate_script(client: httpx.AsyncClient, prompt: str) -> dict[str, Any]:
    log.info("Generating script", model="gpt-4o", prompt_chars=len(prompt))
    response = await client.post("/v1/script", json={"prompt": prompt})
    response.raise_for_status()
    script: dict[str, Any] = response.json()
    log.info(
        "Script generated successfully",
        script_id=script["script_id"],
        num_scenes=len(script["scenes"]),
    )
    return script


@otelkit.traced("render scene", stage="render")
@otelkit.timed("SceneDuration")
async def render_scene(client: httpx.AsyncClient, scene: dict[str, Any]) -> str:
    number = scene["scene"]
    log.info("Calling video adapter", scene=number, duration=scene["duration"])
    response = await client.post("/v1/scenes", json=scene)
    prediction = response.json()
    for attempt in range(1, 3):  # a polling loop: DEBUG, never INFO, or it drowns the job
        log.debug("Video model still processing", scene=number, attempt=attempt)
        await asyncio.sleep(0.01 * number)
    video_url = f"s3://{BUCKET}/scenes/{number}.mp4"
    log.info(
        "Scene video generated",
        scene=number,
        prediction_id=prediction["prediction_id"],
        video_url=video_url,
    )
    otelkit.count("ScenesRendered", 1, model="kling")
    return video_url


@otelkit.traced("compose and upload", stage="compose")
def compose_and_upload(s3: Any, scene_urls: list[str]) -> str:
    log.info("Composing final video", num_scenes=len(scene_urls))
    key = f"videos/{otelkit.ids()['job_id']}/final.mp4"
    body = b"".join(url.encode() for url in scene_urls)  # stands in for ffmpeg's output
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    otelkit.record("VideoSize", len(body), unit="By")
    log.info("Video uploaded", video_key=key, size_bytes=len(body))
    return key


async def generate_video(api_url: str, s3: Any, prompt: str, user_id: str) -> str:
    with otelkit.job("video.generate", user_id=user_id, prompt_chars=len(prompt)) as job:
        log.info("Starting fully async generation")
        async with httpx.AsyncClient(base_url=api_url) as client:
            script = await generate_script(client, prompt)
            urls = await asyncio.gather(*(render_scene(client, s) for s in script["scenes"]))
        # boto3 is synchronous: run it in a thread; to_thread carries the job's IDs along.
        key = await asyncio.to_thread(compose_and_upload, s3, list(urls))
        otelkit.event("VIDEO_READY", status="completed", video_key=key)
        # The job's summary line: `duration` is the video's length in seconds, and
        # log_complete adds `total_time` (seconds since the job started).
        video_seconds = sum(scene["duration"] for scene in script["scenes"])
        job.log_complete(
            "Video generation complete", duration=video_seconds, video_key=key, num_scenes=len(urls)
        )
        return key


def say(text: str) -> None:
    """A heading for the person running the demo: not telemetry, so a plain print."""
    sys.stdout.flush()
    print(f"\n=== {text}", file=sys.stderr, flush=True)


def main() -> None:
    # Pretty lines for people even when piped; LOG_FORMAT=json shows what CloudWatch gets.
    otelkit.configure(
        service_name="video-pipeline",
        service_version="1.0.0",
        log_format=os.environ.get("LOG_FORMAT", "pretty"),
    )
    say(
        "otelkit demo: log lines on stdout, span trees (── trace …) and a metrics summary "
        "on stderr.\n    The model API and S3 are local stand-ins: an HTTP server and moto."
    )
    with fake_api() as api_url, moto_server() as aws_url:
        say("Setup: create the S3 bucket (botocore is instrumented: this call is a trace too)")
        s3 = boto3.client("s3", endpoint_url=aws_url)
        s3.create_bucket(Bucket=BUCKET)
        say("Job 1 succeeds: every line and span carries its job_id (and user_id)")
        asyncio.run(generate_video(api_url, s3, "A fox explores a neon city", "user-xyz"))
        say("Job 2 fails on purpose: JOB_FAILED with the error, an ERROR span (✗)")
        try:  # a failing job: JOB_FAILED with the error, ERROR span, outcome=error metric
            with otelkit.job("video.generate", user_id="user-xyz"):
                raise TimeoutError("video model did not answer within 300s")
        except TimeoutError:
            pass
    say("Metrics by name and dimensions (IDs never are dimensions), printed at shutdown")
    otelkit.shutdown()
    say(
        "Done. LOG_FORMAT=json shows the lines as CloudWatch gets them; "
        "OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 exports to a collector."
    )


if __name__ == "__main__":
    main()
