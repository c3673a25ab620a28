"""One kept-alive HTTP connection to a collector, and a POST bounded as a whole.

A socket timeout bounds each read, not an answer: a collector that sends its answer one
byte every half second never trips it, and reading a body in full lets a 1 GiB answer
take the process's memory. Here every send and every read first checks what is left of
the request's deadline and sets it as the socket's timeout, so the request, the answer's
head and its body together end by the deadline whatever the collector does; at most
``MAX_ANSWER_BYTES`` are read per answer, and a body past ``MAX_ANSWER_BODY`` is not read
at all (the connection is closed instead of drained).

The stdlib ``http.client`` connects (TLS, a proxy's tunnel); the request and its answer
are written and read on a socket whose every operation is bounded (``http_socket``), by
``http_wire``. Both load with the first connection: a pipeline that never sends (and a
Lambda function until its first response is out) does not import ``http.client``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, unquote, urlsplit

from otelkit._sdk.http_outcome import MAX_ANSWER_BYTES, Answer, NoAnswer, NotSent

if TYPE_CHECKING:  # loaded with the first connection (``http_socket``), or for https
    import http.client
    import ssl

    from otelkit._sdk.http_socket import BoundedSocket


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
        self._tls = (tls or _default_tls()) if parts.scheme == "https" else None
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
        if conn is not None:  # then the socket layer is loaded
            from otelkit._sdk.http_socket import shut

            with contextlib.suppress(OSError):
                shut(conn.sock)

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.close()
        if conn is not None:
            conn.close()

    def _connected(self, deadline: float) -> tuple[BoundedSocket, io.BufferedReader, bool]:
        """The kept-alive connection's socket and reader (and True), or a new one's (and
        False)."""
        from otelkit._sdk.http_socket import HTTP, HTTPS, BoundedSocket

        if self._conn is not None and self._reader is not None:
            bounded = self._conn.sock
            assert isinstance(bounded, BoundedSocket)
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
            conn = HTTPS(host, port, timeout=left, context=self._tls)
            if proxy is not None:
                conn.set_tunnel(self._hostname, self._port, headers=_proxy_auth(proxy))
        else:
            conn = HTTP(host, port, timeout=left)
        try:
            conn.connect()
        except TimeoutError as exc:
            conn.close()
            raise NotSent(f"connect: {exc}", timed_out=True) from exc
        except OSError as exc:
            conn.close()
            raise NotSent(f"connect: {exc}") from exc
        bounded = conn.sock
        assert isinstance(bounded, BoundedSocket)
        self._conn, self._reader = conn, bounded.makefile("rb")
        return bounded, self._reader, False

    def _post_once(self, body: bytes, headers: Mapping[str, str], deadline: float) -> Answer:
        if self._proxy is not None and self._tls is None:
            headers = {**headers, **_proxy_auth(self._proxy)}
        from otelkit._sdk.http_socket import STALE, DeadlinePassedError
        from otelkit._sdk.http_wire import request_head

        head = request_head(self._path, self.host, headers, len(body))
        bounded, reader, reused = self._connected(deadline)
        bounded.deadline, bounded.budget = deadline, MAX_ANSWER_BYTES
        try:
            bounded.sendall(head + body)  # one send: no delayed-ACK wait between the two
        except DeadlinePassedError as exc:
            self._drop_connection()
            raise NotSent(str(exc)) from exc
        except STALE as exc:
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
        import http.client  # loaded with the socket layer

        from otelkit._sdk.http_wire import read_answer

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


def _default_tls() -> ssl.SSLContext:
    import ssl

    return ssl.create_default_context()
