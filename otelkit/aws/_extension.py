"""An internal Lambda extension in the function's own process: the flush happens after
the response is returned, so the caller never waits for export.

Lambda keeps the execution environment running after the runtime posts a response until
every registered extension asks for its next event. otelkit registers one at init (the
Extensions API; an internal extension may only register for ``INVOKE``), and a daemon
thread of this process works the loop: it receives each ``INVOKE``, waits until the
handler hands the invocation over (``hand_over``), flushes within ``flush_bound`` of the
invocation's deadline, and asks for the next event, which lets Lambda finish the
invocation and freeze the environment.

Where the API is absent (not in the Lambda runtime, registration refused, the handler
decorated after init) ``start`` returns False and ``lambda_handler`` flushes before it
returns, as it always did. The post-response flush is billed as the invocation's
duration is; the caller's latency no longer includes it.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from typing import Any

from otelkit._log_event import scope_fields
from otelkit._safety import report_internal_error
from otelkit._settings import from_environ
from otelkit._setup import flush
from otelkit.aws._lambda_lifecycle import flush_bound

#: The name the extension registers under (not a file under /opt/extensions: internal).
NAME = "otelkit"
_REGISTER = "/2020-01-01/extension/register"
_NEXT = "/2020-01-01/extension/event/next"
#: How long the loop waits for a handler that never hands over (a reset runtime).
_HAND_OVER_FALLBACK_SECONDS = 900.0


class _Extension:
    def __init__(self, api: str, identifier: str) -> None:
        self.api = api
        self.identifier = identifier
        self.handed = threading.Event()
        self.fields: dict[str, Any] | None = None
        self.thread = threading.Thread(target=self._loop, name="otelkit-extension", daemon=True)

    def _next_event(self) -> dict[str, Any]:
        connection = http.client.HTTPConnection(self.api, timeout=None)  # a long poll
        try:
            headers = {"Lambda-Extension-Identifier": self.identifier}
            connection.request("GET", _NEXT, headers=headers)
            reply = connection.getresponse()
            body = reply.read()
        finally:
            connection.close()
        if reply.status != 200:
            raise OSError(f"extension next: HTTP {reply.status}")
        event = json.loads(body)
        return event if isinstance(event, dict) else {}

    def _loop(self) -> None:
        while True:
            try:
                event = self._next_event()
            except Exception as exc:  # the API hiccuped: ask again, never leave Lambda waiting
                report_internal_error("lambda extension (next event)", exc)
                time.sleep(0.1)
                continue
            if event.get("eventType") != "INVOKE":
                continue
            self._after_response(event)

    def _after_response(self, event: dict[str, Any]) -> None:
        """Wait for the handler to finish this invocation, then flush within its deadline."""
        deadline_ms = event.get("deadlineMs")
        left_s = (
            float(deadline_ms) / 1000.0 - time.time()
            if isinstance(deadline_ms, (int, float))
            else _HAND_OVER_FALLBACK_SECONDS
        )
        if not self.handed.wait(max(left_s, 0.0)):
            return  # the handler never finished (a timeout): the runtime is reset anyway
        self.handed.clear()
        left_ms = (
            float(deadline_ms) - time.time() * 1000.0
            if isinstance(deadline_ms, (int, float))
            else float("inf")
        )
        timeout = flush_bound(left_ms)
        if timeout <= 0:
            return
        token = scope_fields.set(self.fields)
        try:
            flush(timeout)
        except Exception as exc:
            report_internal_error("lambda extension (flush)", exc)
        finally:
            scope_fields.reset(token)


_extension: _Extension | None = None
_tried = False
_lock = threading.Lock()


def _register(api: str) -> str | None:
    connection = http.client.HTTPConnection(api, timeout=2.0)
    try:
        connection.request(
            "POST",
            _REGISTER,
            body=json.dumps({"events": ["INVOKE"]}),
            headers={"Lambda-Extension-Name": NAME, "Content-Type": "application/json"},
        )
        reply = connection.getresponse()
        reply.read()
        identifier = reply.getheader("Lambda-Extension-Identifier")
    finally:
        connection.close()
    return identifier if reply.status == 200 and identifier else None


def start() -> bool:
    """Register the extension and start its loop, once per process; whether it runs.

    Only in the Lambda runtime during init (``AWS_LAMBDA_RUNTIME_API`` set), and not
    when ``OTELKIT_LAMBDA_EXTENSION=false``.
    """
    global _extension, _tried
    with _lock:
        if _tried:
            return _extension is not None
        _tried = True
        api = os.environ.get("AWS_LAMBDA_RUNTIME_API")
        if not api:
            return False
        try:
            if not from_environ("lambda_extension"):
                return False
            identifier = _register(api)
        except Exception as exc:  # no API here: the synchronous flush stays
            report_internal_error("lambda extension (register)", exc)
            return False
        if identifier is None:
            return False
        _extension = _Extension(api, identifier)
        _extension.thread.start()
        return True


def hand_over(fields: dict[str, Any] | None) -> bool:
    """Give the finished invocation to the extension, which flushes it after the
    response; False when there is no extension (the caller flushes itself)."""
    extension = _extension
    if extension is None or not extension.thread.is_alive():
        return False
    extension.fields = fields
    extension.handed.set()
    return True
