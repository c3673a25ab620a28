"""The code blocks of docs/runtime-endpoints.md, with stand-in applications.

Each block sits between ``# doc: NAME`` and ``# doc: end``; tests/test_docs_blocks.py
checks that the page shows exactly these lines and runs this file.
"""

# Flask's documented way to wrap an app assigns to its wsgi_app method.
# mypy: disable-error-code="method-assign"

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from flask import Flask

import otelkit
import otelkit.runtime

# doc: server
otelkit.configure(service_name="bot-worker")
server = otelkit.start_http_server(port=0)        # port=9200 for a fixed port
print(server.port)                                # port=0 picks a free one; host="127.0.0.1"
...
server.stop()                                     # otelkit.shutdown() stops it too
# doc: end

app = FastAPI()
flask_app = Flask(__name__)

# doc: mount
from otelkit.runtime import asgi_app, wsgi_app

app.mount("/ops", asgi_app())                      # FastAPI / Starlette

from werkzeug.middleware.dispatcher import DispatcherMiddleware

flask_app.wsgi_app = DispatcherMiddleware(flask_app.wsgi_app, {"/ops": wsgi_app()})
# doc: end


class Proxy:
    bytes = 4096


proxy = Proxy()
session_id = "sess-9"


def drive_browser() -> None:
    otelkit.get_logger(__name__).info("Page loaded")


# doc: resource_events
from otelkit.runtime import resource_events

with otelkit.session(session_id, project_id="proj_123"):
    with resource_events(60, fields=lambda: {"network_bytes": proxy.bytes}) as usage:
        drive_browser()
    avg_cpu = sum(s["cpu_percent"] for s in usage.samples) / len(usage.samples)
# doc: end


def live_calls() -> int:
    return 3


# doc: stats
@app.get("/metrics")
async def summary() -> dict[str, Any]:
    body = otelkit.runtime.stats_body()
    body["performance"]["active_sessions"] = live_calls()
    return body
# doc: end
assert asyncio.run(summary())["performance"]["active_sessions"] == 3
