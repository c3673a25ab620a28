"""A minimal HTTP/1.1 client for the Lambda Extensions API, on one kept-alive socket.

The extension's thread and the runtime's share one interpreter lock: ``http.client``
spends a few hundred microseconds of Python parsing each reply (headers through
``email``), and an ``INVOKE`` event read while the handler runs cost the caller that.
Here a reply is a status line, a few header lines and a small JSON body, read with the
socket file's C ``readline``: a few microseconds. ``send`` and ``receive`` are apart so
the next event can be asked for at once and read later (see ``_extension``).
"""

from __future__ import annotations

import json
import socket
from typing import Any, BinaryIO

#: Headers and chunk-size lines longer than this are not the Extensions API's.
_MAX_LINE = 8192


class ExtensionsApi:
    """Requests to ``api`` (``host:port``) on one connection, opened again after an error."""

    def __init__(self, api: str, timeout: float | None) -> None:
        host, _, port = api.rpartition(":")
        self.address = (host or api, int(port) if port.isdigit() else 80)
        self.host = api
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.reader: BinaryIO | None = None

    def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], Any]:
        """Status, headers (lower-case names) and JSON body of one request."""
        self.send(method, path, headers, body)
        return self.receive()

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> None:
        """Send one request; ``receive`` reads its reply, now or later."""
        try:
            if self.sock is None or self.reader is None:
                self.sock = socket.create_connection(self.address, timeout=self.timeout)
                self.reader = self.sock.makefile("rb")
            lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            lines.append(f"Content-Length: {len(body)}")
            self.sock.sendall("\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + body)
        except BaseException:
            self.close()
            raise

    def receive(self) -> tuple[int, dict[str, str], Any]:
        """Status, headers (lower-case names) and JSON body of the reply to ``send``."""
        try:
            return self._reply()
        except BaseException:
            self.close()
            raise

    def _reply(self) -> tuple[int, dict[str, str], Any]:
        if self.reader is None:
            raise OSError("extensions API: no request sent")
        status = int(_line(self.reader).split(None, 2)[1])
        received: dict[str, str] = {}
        while line := _line(self.reader).strip():
            name, _, value = line.decode("latin-1").partition(":")
            received[name.strip().lower()] = value.strip()
        if "chunked" in received.get("transfer-encoding", "").lower():
            data = _chunks(self.reader)
        else:
            data = _exactly(self.reader, int(received.get("content-length", "0")))
        if received.get("connection", "").lower() == "close":
            self.close()
        return status, received, json.loads(data) if data.strip() else None

    def close(self) -> None:
        for part in (self.reader, self.sock):
            if part is not None:
                part.close()
        self.sock = self.reader = None


def _line(reader: BinaryIO) -> bytes:
    line = reader.readline(_MAX_LINE)
    if not line.endswith(b"\n"):
        raise OSError("extensions API: connection closed or line too long")
    return line


def _exactly(reader: BinaryIO, size: int) -> bytes:
    data = reader.read(size)
    if len(data) != size:
        raise OSError("extensions API: connection closed mid-body")
    return data


def _chunks(reader: BinaryIO) -> bytes:
    parts: list[bytes] = []
    while size := int(_line(reader).split(b";", 1)[0], 16):
        parts.append(_exactly(reader, size))
        _line(reader)  # the CRLF after each chunk
    while _line(reader).strip():  # trailer fields, then the blank line
        pass
    return b"".join(parts)
