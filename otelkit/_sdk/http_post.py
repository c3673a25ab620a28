"""One kept-alive HTTP connection to a collector, and a POST bounded as a whole.

A socket timeout bounds each read, not an answer: a collector that sends its answer one
byte every half second never trips it, and reading a body in full lets a 1 GiB answer
take the process's memory. Here every send and every read first checks what is left of
the request's deadline and sets it as the socket's timeout, so the request, the answer's
head and its body together end by the deadline whatever the collector does; at most
``MAX_ANSWER_BYTES`` are read per answer, and a body past ``MAX_ANSWER_BODY`` is not read
at all (the connection is closed instead of drained).

The stdlib ``http.client`` connects (TLS, a proxy's tunnel); the request and its answer
are written and read on a socket whose every operation is bounded
(``_BoundedSocket``), by ``http_wire``.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import io
import math
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from urllib.parse import SplitResult, unquote, urlsplit

from otelkit._sdk.http_wire import MAX_ANSWER_BODY, Answer, read_answer, request_head

__all__ = ["MAX_ANSWER_BODY", "Answer", "Connection", "NoAnswer", "NotSent"]

#: Bytes read from the socket per answer at most: the status line, headers and body.
MAX_ANSWER_BYTES = 4 * MAX_ANSWER_BODY


class NotSent(Exception):  # noqa: N818 - an outcome, not a bug
    """The request did not reach the collector (no connection, or the deadline passed
    first): sending it again cannot duplicate anything. ``timed_out``: the collector did
    not accept the connection in time."""

    def __init__(self, why: str, *, timed_out: bool = False) -> None:
        super().__init__(why)
        self.timed_out = timed_out


class NoAnswer(Exception):  # noqa: N818 - an outcome, not a bug
    """The request left, and no usable answer came back: ``timed_out`` when the deadline
    passed first (it may have arrived), ``garbled`` when the answer was not HTTP (or
    too long), else the connection broke."""

    def __init__(self, why: str, *, timed_out: bool = False, garbled: bool = False) -> None:
        super().__init__(why)
        self.timed_out = timed_out
        self.garbled = garbled


class _DeadlinePassedError(TimeoutError):
    pass


class _AnswerTooLargeError(http.client.HTTPException):
    pass


class _BoundedSocket:
    """A connected socket whose every send and read is bounded by ``deadline``
    (monotonic) and whose reads stop after ``budget`` bytes.

    ``http.client`` closes the connection while the answer may still be read (an answer
    with ``Connection: close``): the socket closes when both are done with it.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline = math.inf
        self.budget = MAX_ANSWER_BYTES
        self._readers = 0
        self._closed = False

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _DeadlinePassedError("the deadline passed")
        return left

    def sendall(self, data: bytes) -> None:
        self.sock.settimeout(self._left())  # since 3.5: a bound for the whole sendall
        self.sock.sendall(data)

    def recv_into(self, buffer: memoryview) -> int:
        if self.budget <= 0:
            raise _AnswerTooLargeError(f"answer longer than {MAX_ANSWER_BYTES} bytes")
        self.sock.settimeout(self._left())
        count = self.sock.recv_into(buffer, min(len(buffer), self.budget))
        self.budget -= count
        return count

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        self._readers += 1
        return io.BufferedReader(_Reader(self))

    def reader_closed(self) -> None:
        self._readers -= 1
        if self._closed and self._readers <= 0:
            self.sock.close()

    def close(self) -> None:
        self._closed = True
        if self._readers <= 0:
            self.sock.close()


class _Reader(io.RawIOBase):
    def __init__(self, sock: _BoundedSocket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._sock.reader_closed()
        super().close()


class _HTTP(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _BoundedSocket(self.sock)


class _HTTPS(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _BoundedSocket(self.sock)


#: Errors of a kept-alive connection the collector closed while it was idle: the request
#: goes again once, on a new connection.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Connection:
    """POSTs to one URL over one kept-alive connection, one request at a time.

    Args:
        url: ``http://`` or ``https://`` URL the requests go to.
        tls: the TLS context for an ``https`` URL (None: the system's defaults).
        proxy: an ``http://`` proxy to go through (an ``https`` URL through a tunnel).
    """

    def __init__(
        self, url: str, tls: ssl.SSLContext | None = None, proxy: str | None = None
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self.host = parts.netloc.rsplit("@", 1)[-1]
        self._hostname = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._tls = (tls or ssl.create_default_context()) if parts.scheme == "https" else None
        self._proxy = urlsplit(proxy) if proxy else None
        if self._proxy is not None and self._tls is None:
            self._path = url  # a proxy takes the absolute URL of a plain-HTTP request
        if any(c <= " " or c == "\x7f" for c in self._path):
            raise ValueError(f"not an http(s) URL: {url!r}")
        self._conn: http.client.HTTPConnection | None = None
        self._reader: io.BufferedReader | None = None  # the connection's answers
        self._lock = threading.Lock()
        self._closed = False

    def post(self, body: bytes, headers: Mapping[str, str], deadline: float) -> Answer:
        """POST ``body``; the answer, read by ``deadline`` (monotonic).

        Raises:
            NotSent: the request did not leave (the collector has not seen it).
            NoAnswer: it left, and no usable answer came by the deadline.
        """
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise NotSent("another request to the collector is still running")
        try:
            if self._closed:
                raise NotSent("the connection is closed")
            try:
                return self._post_once(body, headers, deadline)
            except _Stale:
                return self._post_once(body, headers, deadline)
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close for good, without waiting: a request in flight in another thread ends
        at once (its socket is shut down), and no request leaves after this."""
        self._closed = True
        conn = self._conn
        bounded = conn.sock if conn is not None else None
        if isinstance(bounded, _BoundedSocket):
            with contextlib.suppress(OSError):
                bounded.sock.shutdown(socket.SHUT_RDWR)

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()
        if conn is not None:
            conn.close()

    def _connected(self, deadline: float) -> tuple[_BoundedSocket, io.BufferedReader, bool]:
        """The kept-alive connection's socket and reader (and True), or a new one's (and
        False)."""
        if self._conn is not None and self._reader is not None:
            bounded = self._conn.sock
            assert isinstance(bounded, _BoundedSocket)
            return bounded, self._reader, True
        if self._closed:
            raise NotSent("the connection is closed")
        left = deadline - time.monotonic()
        if left <= 0:
            raise NotSent("the deadline passed before connecting", timed_out=False)
        host, port, proxy = self._hostname, self._port, self._proxy
        if proxy is not None:
            host, port = proxy.hostname or host, proxy.port or 80
        conn: http.client.HTTPConnection
        if self._tls is not None:
            conn = _HTTPS(host, port, timeout=left, context=self._tls)
            if proxy is not None:
                conn.set_tunnel(self._hostname, self._port, headers=_proxy_auth(proxy))
        else:
            conn = _HTTP(host, port, timeout=left)
        try:
            conn.connect()
        except TimeoutError as exc:
            conn.close()
            raise NotSent(f"connect: {exc}", timed_out=True) from exc
        except OSError as exc:
            conn.close()
            raise NotSent(f"connect: {exc}") from exc
        bounded = conn.sock
        assert isinstance(bounded, _BoundedSocket)
        self._conn, self._reader = conn, bounded.makefile("rb")
        return bounded, self._reader, False

    def _post_once(self, body: bytes, headers: Mapping[str, str], deadline: float) -> Answer:
        if self._proxy is not None and self._tls is None:
            headers = {**headers, **_proxy_auth(self._proxy)}
        head = request_head(self._path, self.host, headers, len(body))
        bounded, reader, reused = self._connected(deadline)
        bounded.deadline, bounded.budget = deadline, MAX_ANSWER_BYTES
        try:
            bounded.sendall(head + body)  # one send: no delayed-ACK wait between the two
        except _DeadlinePassedError as exc:
            self._drop_connection()
            raise NotSent(str(exc)) from exc
        except _STALE as exc:
            self._drop_connection()
            if reused:
                raise _Stale from exc
            raise NotSent(f"send: {exc}") from exc
        except OSError as exc:  # a send timeout included
            self._drop_connection()
            raise NotSent(f"send: {exc}") from exc
        try:
            return self._read_answer(reader, reused)
        except (NoAnswer, _Stale) as exc:
            if not self._closed:
                raise
            # ``close()`` cut the wait: the request left and may have arrived
            self._drop_connection()
            raise NoAnswer("closed before the answer came", timed_out=True) from exc

    def _read_answer(self, reader: io.BufferedReader, reused: bool) -> Answer:
        try:
            answer, keep = read_answer(reader)
        except http.client.RemoteDisconnected as exc:
            self._drop_connection()
            if reused:
                raise _Stale from exc
            raise NoAnswer(f"answer: {exc}") from exc
        except TimeoutError as exc:
            self._drop_connection()
            raise NoAnswer("no answer in time", timed_out=True) from exc
        except OSError as exc:
            self._drop_connection()
            raise NoAnswer(f"answer: {exc}") from exc
        except (http.client.HTTPException, ValueError) as exc:
            self._drop_connection()
            raise NoAnswer(f"answer: {exc!r}", garbled=True) from exc
        if not keep:
            self._drop_connection()
        return answer


def _proxy_auth(proxy: SplitResult) -> dict[str, str]:
    if not proxy.username:
        return {}
    credentials = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
    return {"Proxy-Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


class _Stale(Exception):  # noqa: N818 - internal signal
    """A kept-alive connection the collector had closed: try once more on a new one."""
