"""An internal Lambda extension in the function's own process: the flush happens after
the response is returned, so the caller never waits for export.

Lambda keeps the execution environment running after the runtime posts a response until
every registered extension asks for its next event. otelkit registers one at init (the
Extensions API; an internal extension may only register for ``INVOKE``), and a daemon
thread of this process works the loop: it receives each ``INVOKE``, waits until the
handler hands the invocation over (``hand_over``), flushes within ``flush_bound`` of the
invocation's deadline, and asks for the next event, which lets Lambda finish the
invocation and freeze the environment.

At shutdown Lambda sends the runtime SIGTERM when an extension is registered (an
internal extension gets no ``SHUTDOWN`` event): the main thread blocks SIGTERM from
init on (``prepare``, before ``configure()`` starts threads that would inherit it
unblocked) and a second daemon thread waits for it, flushes whatever is left within
``SHUTDOWN_FLUSH_SECONDS`` and ends the process. A Python signal handler would not do:
it runs only when the main thread runs Python, and the runtime's main thread waits for
the next invocation in native code.

Where the API is absent (not in the Lambda runtime, registration refused, the handler
decorated after init) ``start`` returns False and ``lambda_handler`` flushes before it
returns, as it always did. The post-response flush is billed as the invocation's
duration is; the caller's latency no longer includes it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import sys
import threading
import time
from typing import Any

from otelkit._config.settings import from_environ
from otelkit._core.safety import report_internal_error
from otelkit._logs.event import scope_fields
from otelkit._setup import flush, shutdown
from otelkit.aws._lambda_lifecycle import flush_bound

#: The name the extension registers under (not a file under /opt/extensions: internal).
NAME = "otelkit"
_REGISTER = "/2020-01-01/extension/register"
_NEXT = "/2020-01-01/extension/event/next"
#: The flush at shutdown: Lambda gives the runtime about 300 ms with internal extensions.
SHUTDOWN_FLUSH_SECONDS = 0.25
#: How long the loop waits for the decorated handler to start an invocation.
START_WAIT_SECONDS = 0.5
#: How long the loop waits, once handed an invocation, for the runtime to post its
#: response (it posts right after the handler returns): a bound, not a cost.
_POST_WAIT = 0.05
#: How long the loop waits for a handler that never hands over (a reset runtime).
_HAND_OVER_FALLBACK_SECONDS = 900.0


class _Extension:
    """The loop's state, shared with the handler's thread under one condition: the
    invocation the loop is on, and whether the decorated handler started and finished
    it and the runtime posted its response (an invocation that never enters the handler,
    as an event the runtime cannot parse, costs at most ``START_WAIT_SECONDS``, not its
    whole timeout).

    The handler's thread never waits for the loop: each state is the request ID it
    belongs to, and Lambda sends the next invocation only after the loop asked for it,
    so the loop reaches every invocation the handler starts, before or after it ends.
    """

    def __init__(self, api: str, identifier: str) -> None:
        self.api = api
        self.identifier = identifier
        self.changed = threading.Condition()
        self.current: str | None = None  # the request ID the loop is on
        self.started: str | None = None
        self.handed: str | None = None
        self.posted: str | None = None  # the runtime posted this one's response
        self.a_post = threading.Event()  # set at each post: ends the loop's park
        self.posts_work = False  # a post was seen: the runtime calls what we watch
        self.fields: dict[str, Any] | None = None
        from otelkit.aws._extension_api import ExtensionsApi  # (see ``_register``)

        self.connection = ExtensionsApi(api, None)  # a long poll: no timeout
        self.thread = threading.Thread(target=self._loop, name="otelkit-extension", daemon=True)

    def _next_event(self) -> dict[str, Any]:
        """The next event, read once the runtime posted the response of the invocation
        it is for, once posts are known to be seen. The reply arrives as the invocation
        starts: reading it then took the interpreter lock from the handler's thread while
        the caller waited, and so did every wake-up of this thread until the post.
        Parked on its own event, the handler's notifications wake nothing. (Every
        invocation ends in a post, or the runtime is reset; the bound is for an
        environment thawed after a long idle: it reads at once, as before.)"""
        self.a_post.clear()
        self.connection.send("GET", _NEXT, {"Lambda-Extension-Identifier": self.identifier})
        if _posts_seen and self.posts_work:
            self.a_post.wait(_HAND_OVER_FALLBACK_SECONDS)
        status, _, event = self.connection.receive()
        if status != 200:
            raise OSError(f"extension next: HTTP {status}")
        return event if isinstance(event, dict) else {}

    def _loop(self) -> None:
        # Nothing may end this loop: Lambda would wait for its next request until the
        # invocation times out.
        while True:
            try:
                event = self._next_event()
                if event.get("eventType") == "INVOKE":
                    self._after_response(event)
            except Exception as exc:  # the API hiccuped: ask again
                with contextlib.suppress(Exception):  # strict mode re-raises
                    report_internal_error("lambda extension (next event)", exc)
                time.sleep(0.1)

    def _after_response(self, event: dict[str, Any]) -> None:
        """Wait for the handler to finish this invocation and the runtime to post its
        response, then flush within its deadline."""
        global _posts_seen
        request_id = event.get("requestId")
        deadline_ms = event.get("deadlineMs")
        left_s = (
            float(deadline_ms) / 1000.0 - time.time()
            if isinstance(deadline_ms, (int, float))
            else _HAND_OVER_FALLBACK_SECONDS
        )
        with self.changed:
            self.current = request_id
            entered = self.changed.wait_for(
                lambda: request_id in (self.started, self.posted), START_WAIT_SECONDS
            )
            entered = entered and self.started == request_id
            # a handler that never finishes times out: the runtime is reset anyway
            finished = entered and self.changed.wait_for(
                lambda: self.handed == request_id, max(left_s, 0.0)
            )
            # The flush would compete with the runtime's thread for the interpreter while
            # it answers the caller: start once the response is posted.
            if (
                finished
                and _posts_seen
                and not self.changed.wait_for(lambda: self.posted == request_id, _POST_WAIT)
            ):
                _posts_seen = False  # a runtime we do not know: stop waiting for it
            self.current = None
            fields = self.fields
        if not finished:
            return
        left_ms = (
            float(deadline_ms) - time.time() * 1000.0
            if isinstance(deadline_ms, (int, float))
            else float("inf")
        )
        timeout = flush_bound(left_ms)
        if timeout <= 0:
            return
        token = scope_fields.set(fields)
        try:
            flush(timeout)
        except Exception as exc:
            report_internal_error("lambda extension (flush)", exc)
        finally:
            scope_fields.reset(token)

    def response_posted(self, request_id: object) -> None:
        with self.changed:
            self.posted = request_id if isinstance(request_id, str) else None
            self.changed.notify_all()
        self.posts_work = True
        self.a_post.set()


_extension: _Extension | None = None
#: Whether the runtime's client tells us when it posted a response (``_watch_posts``).
_posts_seen = False
_tried = False
_watching = False
_lock = threading.Lock()


def _register(api: str) -> str | None:
    # Loaded here, not at import: a function with nothing to export never starts the
    # extension, and its cold start does not load the socket module.
    from otelkit.aws._extension_api import ExtensionsApi

    connection = ExtensionsApi(api, 2.0)
    try:
        status, headers, _ = connection.request(
            "POST",
            _REGISTER,
            {"Lambda-Extension-Name": NAME, "Content-Type": "application/json"},
            json.dumps({"events": ["INVOKE"]}).encode(),
        )
    finally:
        connection.close()
    identifier = headers.get("lambda-extension-identifier")
    return identifier if status == 200 and identifier else None


def _flush_at_sigterm() -> None:
    signal.sigwait({signal.SIGTERM})
    try:
        shutdown(SHUTDOWN_FLUSH_SECONDS)
        theirs = signal.getsignal(signal.SIGTERM)
        if callable(theirs):  # installed by the function after init: it runs too
            theirs(signal.SIGTERM, None)
    except Exception as exc:
        report_internal_error("lambda extension (shutdown)", exc)
    finally:
        sys.stdout.flush()
        os._exit(0)  # the process is done: nothing else may run now


def _watch_sigterm() -> bool:
    """Block SIGTERM in the main thread (threads started later inherit it) and wait
    for it in a daemon thread; False where that is not possible."""
    if threading.current_thread() is not threading.main_thread():
        return False
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return False  # the function handles SIGTERM itself: its handler stays
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    except (AttributeError, OSError, ValueError):
        return False
    threading.Thread(target=_flush_at_sigterm, name="otelkit-sigterm", daemon=True).start()
    return True


def wanted() -> bool:
    """Whether this process is the Lambda runtime at init with the extension on."""
    try:
        return bool(os.environ.get("AWS_LAMBDA_RUNTIME_API")) and bool(
            from_environ("lambda_extension")
        )
    except ValueError as exc:  # a bad value must not fail the function
        report_internal_error("lambda extension (setting)", exc)
        return False


def prepare() -> None:
    """Before anything starts a thread (``configure()`` does): block SIGTERM and wait
    for it in a thread of ours, so that every later thread inherits the block and the
    signal reaches only that one."""
    global _watching
    with _lock:
        if not _watching and wanted():
            _watching = _watch_sigterm()


def start() -> bool:
    """Register the extension and start its loop, once per process; whether it runs.

    Only in the Lambda runtime during init (``AWS_LAMBDA_RUNTIME_API`` set), and not
    when ``OTELKIT_LAMBDA_EXTENSION=false``.
    """
    global _extension, _tried, _posts_seen
    with _lock:
        if _tried:
            return _extension is not None
        _tried = True
        api = os.environ.get("AWS_LAMBDA_RUNTIME_API")
        if not api or not wanted():
            return False
        try:
            identifier = _register(api)
        except Exception as exc:  # no API here: the synchronous flush stays
            report_internal_error("lambda extension (register)", exc)
            return False
        if identifier is None:
            return False
        _extension = _Extension(api, identifier)
        _posts_seen = _watch_posts(_extension)
        _extension.thread.start()
        return True


def invocation_started(request_id: object) -> bool:
    """Tell the extension the decorated handler started ``request_id``; whether the
    extension will flush it after the response (else the handler flushes itself).
    Never waits: the loop may receive the invocation's event before or after this."""
    extension = _extension
    if extension is None or not isinstance(request_id, str):
        return False
    with extension.changed:
        extension.started = request_id
        extension.changed.notify_all()
    return True


def hand_over(request_id: object, fields: dict[str, Any] | None) -> bool:
    """Give the finished invocation to the extension, which flushes it after the
    response; False when it is not expecting it (the caller flushes itself)."""
    extension = _extension
    if extension is None:
        return False
    with extension.changed:
        if extension.started != request_id:
            return False
        extension.handed, extension.fields = request_id, fields
        extension.changed.notify_all()
        return True


#: Where the runtime interface client (``awslambdaric``, the Python runtimes' own) keeps
#: the class whose methods post an invocation's response or error.
_RUNTIME_CLIENTS = ("awslambdaric.lambda_runtime_client", "lambda_runtime_client")
_POSTS = ("post_invocation_result", "post_invocation_error")


def _watch_posts(extension: _Extension) -> bool:
    """Have the runtime's client tell ``extension`` when it posted a response, so the
    flush starts after it; False where the runtime is not one we know."""
    for module_name in _RUNTIME_CLIENTS:
        client = getattr(sys.modules.get(module_name), "LambdaRuntimeClient", None)
        if client is not None and all(callable(getattr(client, n, None)) for n in _POSTS):
            break
    else:
        return False
    for name in _POSTS:
        setattr(client, name, _posting(getattr(client, name), extension))
    return True


def _posting(post: Any, extension: _Extension) -> Any:
    @functools.wraps(post)
    def posted(self: Any, invoke_id: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return post(self, invoke_id, *args, **kwargs)
        finally:
            extension.response_posted(invoke_id)

    return posted
