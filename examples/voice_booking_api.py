"""A voice-booking API ("Bella") on ECS behind an ALB, instrumented with otelkit.

Twilio calls three webhooks per phone call: ``/twilio/voice`` when the call comes in,
``/twilio/recording`` for each thing the caller says (the recording goes to a
speech-to-text service over httpx) and ``/twilio/status`` when the call ends. Bella turns
"a haircut on Friday at 3 pm" plus "yes" into a confirmed booking.

What the monitoring guide this models asks for, and where it comes from here:

* **Correlation IDs across components** (otelkit): ``OtelkitASGIMiddleware`` binds a
  ``correlation_id`` per request and echoes it in ``X-Correlation-ID``; the httpx call
  to the speech-to-text service is a child span carrying it. The call's ``session_id``
  (Twilio's ``CallSid``) is bound in every webhook, so ``filter session_id = "CA…"``
  finds the whole call, and ``otelkit.session()`` writes ``SESSION_STARTED`` /
  ``SESSION_ENDED`` / ``SESSION_FAILED`` with the call's duration. (The ALB's own
  ``X-Amzn-Trace-Id``, a ``Root`` without ``Parent``, is not continued: each request
  starts a new trace.)
* **JSON logs** (otelkit): ``LOG_FORMAT=json``; no header, body or query string is ever
  logged, and the Twilio auth token and the speech-to-text API key never reach a line.
* **Request timing, endpoint performance, error rates** (otelkit): the middleware writes
  "Request completed" with ``route``, ``status`` and ``latency_ms`` (ERROR for 5xx) and
  records ``http.server.request.duration`` by route template and status class, from which
  CloudWatch computes the error rate (metric math on the ``5xx`` and all-class counts).
* **The guide's request-line names** (otelkit): ``request_field_aliases=True`` adds
  ``event: "request_complete"``, ``endpoint``, ``status_code`` and ``duration`` (seconds)
  to "Request completed", beside otelkit's ``route``, ``status`` and ``latency_ms``.
* **Slow requests > 2 s** (otelkit): ``slow_request_ms=2000`` writes a WARN "Slow request"
  line naming the route and counts ``http.server.slow_requests`` by route.
* **Active sessions** (otelkit): the call's session lifecycle keeps the ``ActiveSessions``
  gauge at the number of calls in progress.
* **Error fingerprinting and deduplication** (otelkit): ``error_dedup_every=10``
  fingerprints each ERROR line (exception type, normalised message, the application's
  frame) into ``error_hash`` and writes the first and then every 10th occurrence, with
  ``count`` (the occurrences the line stands for) and ``severity`` (``UpstreamError``
  declares ``high``). Spans keep every error, the ``Errors`` counter counts each one, and
  every failed request still gets its own "Request completed" ERROR line.
* **At most 200 characters per message** (otelkit): ``max_message_chars=200`` cuts a
  longer message (an upstream error page quoted in it) to 200 characters ending with
  ``… [truncated, N chars]``; the line stays one valid JSON object. A budget for the
  whole line is ``max_line_chars`` (``OTELKIT_MAX_LINE_CHARS``, at least 256): the longest
  values are cut until the line fits, but never the structure fields (timestamp, level,
  IDs, trace), so a line with a traceback stays above a 500-character budget; the demo
  leaves it off.
* **GET /metrics JSON summary** (otelkit): ``otelkit.runtime.stats_body()`` gives the
  guide's ``status``, ``performance`` (requests, average response time, error rate in
  percent, slow requests, latency percentiles) and ``errors`` (unique fingerprints, counts
  by severity, ``top_errors``); the handler adds ``active_sessions``. It is quiet in the
  logs, like the health check.
* **CloudWatch alarms** (infrastructure, not code): "response time > 5 s" on
  ``http.server.request.duration`` p99, "5xx > 5 / 5 min" and "error spike" on its
  ``5xx`` sample count;
  CPU, memory and unhealthy targets are ECS and ALB metrics the application never sees.

The guide's Logs Insights questions, against these lines::

    filter session_id = "CA…" | sort @timestamp asc                    # one call
    filter correlation_id = "…" | sort @timestamp asc                  # one request
    filter message = "Request completed" and status >= 500
      | stats count(*) as errors by route                              # errors by endpoint
    filter message = "Slow request" | sort latency_ms desc             # slow requests
    filter message = "Request completed"
      | stats avg(latency_ms), pct(latency_ms, 95), max(latency_ms) by route
    filter ispresent(error_hash)
      | stats sum(count) by error_hash, error_type, endpoint           # error patterns

Call state lives in this process, which holds for one ECS task; with several, keep it in
Redis or DynamoDB and bind ``session_id`` per request as the webhooks below do. The
speech-to-text service is a local fake on loopback: no Twilio account, no network. Run it::

    python examples/voice_booking_api.py          # serves on http://127.0.0.1:8000
    python examples/voice_booking_api.py --demo   # two calls, a probe, health checks; exits
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import http.client
import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import uvicorn
from fastapi import FastAPI, HTTPException, Request, Response

import otelkit
from otelkit.middleware.asgi import OtelkitASGIMiddleware
from otelkit.runtime import stats_body

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _local_services import asgi_server, fake_api

# Production's slow-request threshold is 2 s; OTELKIT_SLOW_REQUEST_MS overrides it. The
# guide's token budget: 200 characters per message, one line per 10 identical errors.
SETUP: dict[str, Any] = {
    "service_name": "bella-api",
    "service_version": "3.0.0",
    "log_format": os.environ.get("LOG_FORMAT", "pretty"),
    "slow_request_ms": float(os.environ.get("OTELKIT_SLOW_REQUEST_MS", "2000")),
    "max_message_chars": 200,
    "error_dedup_every": 10,
    "request_field_aliases": True,  # the guide's request-line names beside otelkit's
}
otelkit.configure(**SETUP)
log = otelkit.get_logger("bella.api")

# Secrets come from the task definition's secrets; these defaults are for the local demo.
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "twilio-demo-token-5f3e")
STT_API_KEY = os.environ.get("STT_API_KEY", "stt-demo-key-9a1c")
STT_URL = os.environ.get("STT_URL", "")  # the local fake when run as a script
QUIET = ("/health", "/metrics")  # the ALB health check and the summary: no request lines

TWIML = "application/xml"
ASK = (
    "<Response><Say>Hi, this is Bella. How can I help?</Say>"
    '<Record action="/twilio/recording" maxLength="30"/></Response>'
)


class UpstreamError(Exception):
    """A service Bella depends on failed; Twilio then plays the number's fallback."""

    severity = "high"


class AbandonedCallError(Exception):
    """The caller hung up without a booking."""


def route_of(request: Request) -> str:
    """The route template (``/twilio/voice``), never the raw path, for low cardinality."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def call_ids(request: Request) -> dict[str, str]:
    """The call's ``session_id`` for lines written outside the handler's ``bind``: the
    exception handler's (``twilio_params`` records it)."""
    session_id = getattr(request.state, "session_id", None)
    return {"session_id": session_id} if session_id else {}


app = FastAPI(title="bella-api")
app.add_middleware(OtelkitASGIMiddleware, quiet=QUIET)


@app.exception_handler(UpstreamError)
async def upstream_failed(request: Request, exc: Exception) -> Response:
    # One line per 10 identical failures (error_dedup_every), each with error_hash,
    # severity and count; the message quotes the upstream's answer, cut at 200 characters.
    with otelkit.bind(**call_ids(request)):
        log.error(f"Upstream failed: {exc}", exc_info=exc, endpoint=route_of(request))
    return Response(
        "<Response><Say>Sorry, something went wrong.</Say></Response>",
        status_code=502,
        media_type=TWIML,
    )


# --- calls --------------------------------------------------------------------------------


@dataclass
class Call:
    """One phone call: Twilio's CallSid is its session ID."""

    session_id: str
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    pending: dict[str, str] | None = None
    booking_id: str | None = None
    failed_turns: int = 0
    holder: asyncio.Task[None] | None = None


calls: dict[str, Call] = {}

# otelkit's session records and metrics, plus the ActiveSessions gauge of calls in progress.
CALL = otelkit.Lifecycle(
    "SESSION_STARTED",
    "SESSION_ENDED",
    "SESSION_FAILED",
    completed_status="ended",
    count_metric="Sessions",
    duration_metric="SessionDuration",
    active_metric="ActiveSessions",
)


def live_calls() -> int:
    return sum(not call.ended.is_set() for call in calls.values())


async def hold_call(call: Call) -> None:
    """The call's session: open from the first webhook until Twilio reports the end."""
    async with otelkit.session(
        call.session_id, name="voice.call", lifecycle=CALL, channel="twilio"
    ):
        await call.ended.wait()
        if call.booking_id is None and call.failed_turns:
            raise AbandonedCallError(f"caller hung up after {call.failed_turns} failed turns")


def twilio_signature(url: str, params: Mapping[str, str]) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 of the URL and the sorted POST parameters."""
    payload = url + "".join(key + params[key] for key in sorted(params))
    digest = hmac.new(TWILIO_AUTH_TOKEN.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


async def twilio_params(request: Request) -> dict[str, str]:
    """The webhook's form parameters, once its signature checks out (403 otherwise)."""
    params = dict(parse_qsl((await request.body()).decode()))
    signature = request.headers.get("x-twilio-signature", "")
    if not hmac.compare_digest(signature, twilio_signature(str(request.url), params)):
        otelkit.event(
            "signature_validation_failed", status="rejected", level="WARN", signed=bool(signature)
        )
        raise HTTPException(status_code=403, detail="invalid signature")
    request.state.session_id = params.get("CallSid")
    return params


@otelkit.traced("speech-to-text")
@otelkit.timed("SpeechToTextDuration")
async def transcribe(recording_url: str, duration_s: float) -> str:
    """The caller's words; UpstreamError when the speech-to-text service refuses."""
    audio_format = recording_url.rsplit(".", 1)[-1]
    async with httpx.AsyncClient(base_url=STT_URL, trust_env=False) as client:
        response = await client.post(
            "/v1/transcribe",
            headers={"Authorization": f"Bearer {STT_API_KEY}"},
            json={"audio_url": recording_url, "format": audio_format, "duration_s": duration_s},
        )
    if response.is_error:  # its error page says why; the log line keeps 200 characters
        raise UpstreamError(
            f"speech-to-text answered {response.status_code} for {audio_format} audio: "
            f"{response.text}"
        )
    transcript: str = response.json()["transcript"]
    return transcript


@app.post("/twilio/voice")
async def incoming_call(request: Request) -> Response:
    """A call comes in: open its session and ask what the caller wants."""
    params = await twilio_params(request)
    call = calls.setdefault(params["CallSid"], Call(params["CallSid"]))
    with otelkit.bind(session_id=call.session_id):
        log.info(
            "Incoming call", caller_suffix=params.get("From", "")[-4:], active_sessions=live_calls()
        )
        call.holder = asyncio.create_task(hold_call(call))
        await asyncio.sleep(0)  # let the session write SESSION_STARTED first
    return Response(ASK, media_type=TWIML)


@app.post("/twilio/recording")
async def caller_spoke(request: Request) -> Response:
    """One turn: transcribe what the caller said, then propose or confirm a booking."""
    params = await twilio_params(request)
    call = calls.get(params["CallSid"])
    if call is None:
        raise HTTPException(status_code=404, detail="unknown call")
    with otelkit.bind(session_id=call.session_id):
        try:
            text = await transcribe(
                params["RecordingUrl"], float(params.get("RecordingDuration", "0"))
            )
        except UpstreamError:
            call.failed_turns += 1
            raise
        log.info("Caller said", words=len(text.split()))
        if call.pending is not None and text.startswith("yes"):
            call.booking_id = otelkit.new_id("bkg")
            otelkit.event(
                "BOOKING_CONFIRMED", status="confirmed", booking_id=call.booking_id, **call.pending
            )
            otelkit.count("BookingsConfirmed", 1, treatment=call.pending["treatment"])
            reply = "You're booked. See you then!"
        elif "haircut" in text:
            call.pending = {"treatment": "haircut", "slot": "friday 15:00"}
            otelkit.event("BOOKING_REQUESTED", status="pending", **call.pending)
            reply = "A haircut on Friday at 3 pm. Shall I book it?"
        else:
            reply = "Sorry, I didn't catch that."
    return Response(f"<Response><Say>{reply}</Say></Response>", media_type=TWIML)


@app.post("/twilio/status")
async def call_ended(request: Request) -> Response:
    """Twilio reports the end of the call: close its session."""
    params = await twilio_params(request)
    call = calls.get(params["CallSid"])
    if call is None or call.holder is None:
        raise HTTPException(status_code=404, detail="unknown call")
    with otelkit.bind(session_id=call.session_id):
        log.info("Call ended", call_status=params.get("CallStatus", ""))
        call.ended.set()
        await asyncio.wait([call.holder])  # SESSION_ENDED or SESSION_FAILED, then answer
    return Response(status_code=204)


@app.get("/health")
async def health() -> dict[str, str]:
    """The ALB target-group health check: quiet in the logs."""
    return {"status": "ok"}


@app.get("/metrics")
async def metrics() -> dict[str, Any]:
    """The guide's JSON summary: otelkit's request and error statistics, plus the calls in
    progress (``otelkit.runtime.asgi_app()`` mounted at ``/ops`` would serve the same as
    ``/ops/stats``, with Prometheus text at ``/ops/metrics``)."""
    summary = stats_body()
    summary["performance"]["active_sessions"] = live_calls()
    return summary


# --- demo ---------------------------------------------------------------------------------


def demo(slow_ms: float) -> None:
    """Serve on a free loopback port and play Twilio and the ALB against it, then stop."""
    otelkit.configure(**{**SETUP, "slow_request_ms": slow_ms})
    with asgi_server(app) as base_url:
        play_calls(base_url, slow_ms)
    otelkit.flush()


def play_calls(base_url: str, slow_ms: float) -> None:
    """Three calls as Twilio and the ALB would send them, a probe, health checks and the
    JSON summary at the end."""
    port = int(base_url.rsplit(":", 1)[1])
    # One write per line: the server thread writes log lines to stdout at the same time,
    # and print() writes the text and its newline separately.
    sys.stdout.write(f"slow-request threshold: {slow_ms:g} ms (production: 2000 ms)\n")

    def send(path: str, params: dict[str, str] | None = None, sign: bool = True) -> bytes:
        """One request as Twilio sends it through the ALB (http.client: not traced, as
        Twilio is not)."""
        # The ALB adds the caller's address and a new X-Ray trace ID (Root only).
        headers = {
            "X-Forwarded-For": "54.172.60.1",
            "X-Amzn-Trace-Id": f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}",
        }
        if params is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            if sign:
                url = f"http://127.0.0.1:{port}{path}"
                headers["X-Twilio-Signature"] = twilio_signature(url, params)
        method = "GET" if params is None else "POST"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request(method, path, urlencode(params) if params else None, headers)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        sys.stdout.write(
            f"{method} {path} -> {response.status} "
            f"x-correlation-id={response.getheader('x-correlation-id')} "
            f"alb-trace={headers['X-Amzn-Trace-Id']}\n"
        )
        return body

    a, b = "CA" + "a1" * 16, "CA" + "b2" * 16
    recording = "https://api.twilio.com/2010-04-01/Accounts/AC01/Recordings"
    send("/health")
    send("/twilio/voice", {"CallSid": a, "From": "+14165550123", "To": "+14165550100"})
    send("/twilio/voice", {"CallSid": b, "From": "+16475550199", "To": "+14165550100"})
    send(
        "/twilio/recording",
        {"CallSid": a, "RecordingUrl": f"{recording}/RE-haircut.wav", "RecordingDuration": "25"},
    )
    send(
        "/twilio/recording",
        {"CallSid": b, "RecordingUrl": f"{recording}/RE-b1.amr", "RecordingDuration": "6"},
    )
    send(
        "/twilio/recording",
        {"CallSid": a, "RecordingUrl": f"{recording}/RE-yes.wav", "RecordingDuration": "2"},
    )
    send(
        "/twilio/recording",
        {"CallSid": b, "RecordingUrl": f"{recording}/RE-b2.amr", "RecordingDuration": "4"},
    )
    send("/twilio/status", {"CallSid": a, "CallStatus": "completed"})
    send("/twilio/status", {"CallSid": b, "CallStatus": "completed"})
    # A caller on a bad line: eleven recordings the speech-to-text service refuses. The
    # same error eleven times is two ERROR lines (the 1st, then the 11th with count=10).
    c = "CA" + "c3" * 16
    send("/twilio/voice", {"CallSid": c, "From": "+12505550142", "To": "+14165550100"})
    for turn in range(11):
        send(
            "/twilio/recording",
            {"CallSid": c, "RecordingUrl": f"{recording}/RE-c{turn}.amr", "RecordingDuration": "3"},
        )
    send("/twilio/status", {"CallSid": c, "CallStatus": "completed"})
    send("/twilio/voice", {"CallSid": "CA" + "0" * 32, "From": "+15555550000"}, sign=False)
    send("/health")
    summary = json.loads(send("/metrics"))  # what `curl …/metrics` shows the on-call
    sys.stdout.write(f"metrics: {json.dumps(summary, separators=(',', ':'))}\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="play two calls and exit")
    parser.add_argument(
        "--slow-ms",
        type=float,
        default=300.0,
        help="the demo's slow-request threshold (short, to stay fast)",
    )
    parser.add_argument("--port", type=int, default=8000)
    options = parser.parse_args()
    with fake_api() as stt_url:
        STT_URL = stt_url
        if options.demo:
            demo(options.slow_ms)
        else:
            uvicorn.run(app, host="127.0.0.1", port=options.port)
