"""The collector connection's socket layer: ``http.client``'s connections on a socket
whose every send and read is bounded (see ``http_post``). Loaded with the first
connection, not with the pipeline: ``http.client`` (with ``ssl`` and the ``email``
package) is ~10 ms of a Lambda function's cold start, and a function's first export
runs after its first response.
"""

from __future__ import annotations

import http.client
import io
import math
import socket
import time

from otelkit._sdk.http_outcome import MAX_ANSWER_BYTES


class DeadlinePassedError(TimeoutError):
    pass


class AnswerTooLargeError(http.client.HTTPException):
    pass


class BoundedSocket:
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
            raise DeadlinePassedError("the deadline passed")
        return left

    def sendall(self, data: bytes) -> None:
        self.sock.settimeout(self._left())  # since 3.5: a bound for the whole sendall
        self.sock.sendall(data)

    def recv_into(self, buffer: memoryview) -> int:
        if self.budget <= 0:
            raise AnswerTooLargeError(f"answer longer than {MAX_ANSWER_BYTES} bytes")
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
    def __init__(self, sock: BoundedSocket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._sock.reader_closed()
        super().close()


class HTTP(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = BoundedSocket(self.sock)


class HTTPS(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = BoundedSocket(self.sock)


#: Errors of a kept-alive connection the collector closed while it was idle: the request
#: goes again once, on a new connection.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def shut(sock: object) -> None:
    """End at once whatever waits on ``sock`` (a ``BoundedSocket``) in another thread."""
    if isinstance(sock, BoundedSocket):
        sock.sock.shutdown(socket.SHUT_RDWR)
