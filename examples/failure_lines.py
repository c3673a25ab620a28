"""Auth failures and external-API errors as one line each, with the helpers otelkit ships.

An auth middleware logs only what goes wrong, and an adapter logs each failed call to a
provider: ``otelkit.auth_failure`` writes the WARNING line (never the token),
``otelkit.api_error`` the ERROR line that ``filter @message like /API error/`` finds,
with the bound ``job_id``. The provider is a real HTTP server on loopback.

Run it::

    python examples/failure_lines.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

import otelkit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _local_services import fake_api

EXPIRED = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLXh5eiIsImV4cCI6MX0.c2lnbmF0dXJl"


# doc: usage
def authenticate(headers: dict[str, str]) -> bool:
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if not token:
        otelkit.auth_failure("missing_authorization", route="/api/v1/generate")
        return False
    if token == EXPIRED:
        otelkit.auth_failure(
            "expired_token", scheme=scheme, detail=f"token {token} expired at 1970-01-01"
        )
        return False
    return True


def transcribe(api: str, audio_url: str) -> str | None:
    started = time.perf_counter()
    response = httpx.post(f"{api}/v1/transcribe", json={"audio_url": audio_url, "format": "ogg"})
    if response.is_error:
        otelkit.api_error(
            "speech-to-text",
            status=response.status_code,
            latency_ms=(time.perf_counter() - started) * 1000,
            detail=response.text,
        )
        return None
    return str(response.json()["transcript"])


# doc: end


def main() -> None:
    otelkit.configure(service_name="video-api")
    authenticate({})
    authenticate({"Authorization": f"Bearer {EXPIRED}"})
    with fake_api() as api, otelkit.bind(job_id=otelkit.new_id("job")):
        transcribe(api, "s3://bucket/voice-1.ogg")
    otelkit.shutdown()


if __name__ == "__main__":
    main()
