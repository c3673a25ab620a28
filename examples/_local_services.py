"""Local stand-ins for the services the examples call: real servers on loopback.

``fake_api`` is a small HTTP service in a thread (the demos' "script model", "video
model" and "notification service"); ``moto_server`` is moto's AWS emulator as a real HTTP
server, so boto3 goes over the wire exactly as it would to AWS. Neither needs an AWS
account or the internet.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _FakeModelAPI(BaseHTTPRequestHandler):
    """Answers like a generative-model API: a script, or a rendered scene URL."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/v1/script":
            body: dict[str, Any] = {
                "script_id": "script-def456",
                "scenes": [{"scene": n, "duration": 5} for n in range(1, 4)],
            }
        elif self.path == "/v1/scenes":
            scene = request.get("scene", 0)
            body = {"prediction_id": f"kling-{scene}", "status": "succeeded"}
        elif self.path == "/v1/notify":  # a push-notification service (ntfy-like)
            body = {"notification_id": f"ntf-{request.get('message_id', 'unknown')}",
                    "delivered": True}
        else:
            self.send_error(404)
            return
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        # Echo what arrived so the demo and tests can show which headers crossed the wire.
        self.send_header("X-Seen-Traceparent", self.headers.get("traceparent", ""))
        self.send_header("X-Seen-Baggage", self.headers.get("baggage", ""))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""


@contextmanager
def fake_api() -> Iterator[str]:
    """Serve the fake model API on loopback; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeModelAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def moto_server() -> Iterator[str]:
    """Run moto's AWS emulator on loopback; yield its endpoint URL.

    Sets dummy credentials and a region for this process, as boto3 requires them even
    when the endpoint is local.
    """
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    # The emulator's own access log is not the application's: keep it out of the demo.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
