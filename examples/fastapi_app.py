"""A FastAPI job API with otelkit's ASGI middleware.

Every request gets a server span continuing the caller's trace, a ``correlation_id``
(the caller's ``X-Correlation-ID``/``X-Request-ID``, or a new one) bound for the request
and echoed in the response, "Request started"/"Request completed" log lines, HTTP server
metrics by route template and a "Slow request" warning above 2 s. Health
checks and job-status polling, which would be most of the log volume, write no request
logs; their spans are still made, for the collector to keep or drop.

Run it::

    python examples/fastapi_app.py            # serves on http://127.0.0.1:8000
    python examples/fastapi_app.py --demo     # serves on a free port, calls itself, exits
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI, HTTPException

import otelkit
from otelkit.middleware.asgi import OtelkitASGIMiddleware

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _local_services import asgi_server

otelkit.configure(service_name="video-api", slow_request_ms=2000)
log = otelkit.get_logger("video.api")

app = FastAPI(title="video-api")
app.add_middleware(OtelkitASGIMiddleware, quiet=("/health", "GET /api/v1/jobs/{job_id}"))
jobs: dict[str, str] = {}


@app.post("/api/v1/jobs", status_code=202)
async def create_job(prompt: str = "a cat surfing") -> dict[str, str]:
    """Queue a video job; its ID is bound so every line after this one carries it."""
    job_id = otelkit.new_id("job")
    with otelkit.bind(job_id=job_id):
        jobs[job_id] = "queued"
        log.info("Job created", prompt_chars=len(prompt))
    return {"job_id": job_id, "status": "queued"}


@app.get("/api/v1/jobs/{job_id}")
async def job_status(job_id: str) -> dict[str, str]:
    """Polled every few seconds by clients: quiet in the logs."""
    if job_id not in jobs:
        raise HTTPException(status_code=404, detail="no such job")
    return {"job_id": job_id, "status": jobs[job_id]}


@app.get("/health")
async def health() -> dict[str, str]:
    """The load balancer's health check: quiet in the logs."""
    return {"status": "ok"}


def show(line: str) -> None:
    """Print one line in one write: the server thread logs to the same stdout, and
    ``print`` writes the text and the newline separately, so lines could interleave."""
    sys.stdout.write(line + "\n")


def demo() -> None:
    """Serve on a free loopback port, make the requests a client would, then stop."""
    with asgi_server(app) as url, httpx.Client(base_url=url) as client:
        created = client.post("/api/v1/jobs", headers={"X-Correlation-ID": "corr-demo-1"})
        job_id = created.json()["job_id"]
        show(
            f"POST /api/v1/jobs -> {created.status_code} job_id={job_id} "
            f"x-correlation-id={created.headers['x-correlation-id']}"
        )
        for _ in range(2):
            polled = client.get(f"/api/v1/jobs/{job_id}")
            show(
                f"GET /api/v1/jobs/{job_id} -> {polled.status_code} "
                f"x-correlation-id={polled.headers['x-correlation-id']}"
            )
        show(f"GET /health -> {client.get('/health').status_code}")
    otelkit.flush()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="call the API once and exit")
    parser.add_argument("--port", type=int, default=8000)
    options = parser.parse_args()
    if options.demo:
        demo()
    else:
        uvicorn.run(app, host="127.0.0.1", port=options.port)
