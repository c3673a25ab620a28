"""Local stand-ins for the services the examples call: real servers on loopback.

``fake_api`` is a small HTTP service in a thread (the demos' "script model", "video
model", "notification service" and "speech-to-text service"); ``moto_server`` is moto's
AWS emulator as a real HTTP server, so boto3 goes over the wire exactly as it would to
AWS. Neither needs an AWS account or the internet.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# What the fake speech-to-text service "hears" in the demos' recordings.
_TRANSCRIPTS = {
    "RE-haircut.wav": "hi, I'd like a haircut on Friday at 3 pm please",
    "RE-yes.wav": "yes, that's perfect",
}


class _FakeModelAPI(BaseHTTPRequestHandler):
    """Answers like the model APIs the examples call: a script, a rendered scene URL, a
    delivered notification or a transcript."""

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
            body = {
                "notification_id": f"ntf-{request.get('message_id', 'unknown')}",
                "delivered": True,
            }
        elif self.path == "/v1/transcribe":  # a speech-to-text service
            if request.get("format") not in ("wav", "mp3"):
                self.send_error(422, "unsupported audio format")
                return
            # A fast model transcribes at about 50x real time: long recordings take longer.
            time.sleep(min(float(request.get("duration_s", 0)), 60.0) / 50)
            recording = str(request.get("audio_url", "")).rsplit("/", 1)[-1]
            body = {"transcript": _TRANSCRIPTS.get(recording, ""), "confidence": 0.93}
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
    # boto3 announces at INFO where it found the dummy credentials above: in a demo that
    # reads as if real AWS credentials were in use.
    logging.getLogger("botocore.credentials").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


REDIS_INSTALL_HINT = (
    "redis-server not found on PATH; install it (Debian/Ubuntu: "
    "apt-get install -y redis-server, macOS: brew install redis)"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(port: int | None = None) -> Iterator[str]:
    """Run a throwaway ``redis-server`` on loopback; yield its ``redis://`` URL.

    Nothing is persisted (``--save ''``, no AOF) and its files live in a temporary
    directory, so each run starts empty and leaves nothing behind. Pass ``port`` to
    start it again where a previous one ran, as a restarted Redis would be.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(REDIS_INSTALL_HINT)
    port = port or _free_port()
    with tempfile.TemporaryDirectory(prefix="redis-") as workdir:
        log_path = os.path.join(workdir, "redis.log")
        server = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                workdir,
                "--logfile",
                log_path,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 5.0
            while not _answers_ping(port):
                if server.poll() is not None or time.monotonic() > deadline:
                    with open(log_path, encoding="utf-8", errors="replace") as log:
                        raise RuntimeError(
                            f"redis-server did not start on port {port}:\n{log.read()[-2000:]}"
                        )
                time.sleep(0.01)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@contextmanager
def asgi_server(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread on 127.0.0.1 and a free port; yield its URL.

    uvicorn's default logging config is used (``otelkit.configure()`` adopts its loggers,
    so its lines come out as otelkit lines); its access log is off because the
    middleware's "Request completed" lines say more, and stay quiet for health checks.
    """
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
