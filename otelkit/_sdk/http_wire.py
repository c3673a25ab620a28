"""HTTP/1.1 on the wire, for the collector connection (``http_post``): a POST's head,
and the answer read back.

An OTLP answer is a status line, a few headers and a few bytes. ``http.client`` parses
an answer's head with the ``email`` package, which was a third of an export's CPU (after
a Lambda invocation, billed, and what it evicts from the caches the next invocation pays
for again). Here the head is read line by line, with the limits ``http.client`` applies:
a line of at most 65,536 bytes, at most 100 headers.
"""

from __future__ import annotations

import http.client
import io
from collections.abc import Mapping

from otelkit._sdk.http_outcome import MAX_ANSWER_BODY, Answer

_MAX_LINE = 65536
_MAX_HEADERS = 100
_BLANK = (b"\r\n", b"\n")


def request_head(path: str, host: str, headers: Mapping[str, str], length: int) -> bytes:
    """The request line and headers (``Host`` and ``Content-Length`` set here; a name
    or value that could split the request is refused, as ``http.client`` refuses it).

    Raises:
        ValueError: a header name or value is not valid.
    """
    merged = {"host": ("Host", host), "accept-encoding": ("Accept-Encoding", "identity")}
    for name, value in headers.items():
        if not name or any(c in name for c in ":\r\n\0 \t") or any(c in value for c in "\r\n\0"):
            raise ValueError(f"invalid HTTP header {name!r}")
        merged[name.lower()] = (name, value)
    merged["content-length"] = ("Content-Length", str(length))
    lines = [f"POST {path} HTTP/1.1", *(f"{name}: {value}" for name, value in merged.values())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_answer(reader: io.BufferedReader) -> tuple[Answer, bool]:
    """The final answer (interim 1xx answers skipped) and whether the connection can
    carry the next request.

    Raises:
        http.client.RemoteDisconnected: closed before the first byte of an answer.
        http.client.HTTPException, ValueError: not HTTP, or past a limit.
        OSError: the connection broke (``TimeoutError``: the deadline passed).
    """
    while True:
        line = _line(reader)
        if not line:
            raise http.client.RemoteDisconnected("closed without an answer")
        version, _, rest = line.partition(b" ")
        code = rest[:3]
        if not version.startswith(b"HTTP/") or not (len(code) == 3 and code.isdigit()):
            raise http.client.BadStatusLine(repr(line[:80]))
        headers = _headers(reader)
        if code[:1] != b"1":
            break
    status = int(code)
    body, whole = _body(reader, status, headers)
    connection = headers.get("connection", "").lower()
    keep = whole and "close" not in connection
    if version == b"HTTP/1.0":
        keep = keep and "keep-alive" in connection
    return Answer(status, headers, body), keep


def _line(reader: io.BufferedReader) -> bytes:
    line = reader.readline(_MAX_LINE + 1)
    if len(line) > _MAX_LINE:
        raise http.client.LineTooLong("answer line")
    return line


def _headers(reader: io.BufferedReader) -> dict[str, str]:
    """Header names in lower case; a repeated header's values joined with ``, ``."""
    headers: dict[str, str] = {}
    name = ""
    for _ in range(_MAX_HEADERS + 1):
        line = _line(reader)
        if not line.endswith(b"\n"):
            raise ConnectionError("closed within the answer's head")
        if line in _BLANK:
            return headers
        if line[:1] in (b" ", b"\t") and name:  # an obsolete folded continuation
            headers[name] += " " + line.strip().decode("latin-1")
            continue
        key, colon, value = line.decode("latin-1").partition(":")
        if not colon:
            raise http.client.HTTPException(f"not a header line: {line[:80]!r}")
        name, value = key.strip().lower(), value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    raise http.client.HTTPException(f"more than {_MAX_HEADERS} headers")


def _body(reader: io.BufferedReader, status: int, headers: Mapping[str, str]) -> tuple[bytes, bool]:
    """The body (empty when longer than ``MAX_ANSWER_BODY``: not read) and whether it
    was read to its end, leaving the connection at the next answer."""
    if status in (204, 304):
        return b"", True
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _chunks(reader)
    length = headers.get("content-length")
    if length is None:  # the body runs until the collector closes
        body = reader.read(MAX_ANSWER_BODY + 1)
        return (b"" if len(body) > MAX_ANSWER_BODY else body), False
    size = int(length)
    if size < 0:
        raise ValueError(f"Content-Length {length!r}")
    if size > MAX_ANSWER_BODY:
        return b"", False  # not read: closing is cheaper than draining it
    return _exactly(reader, size), True


def _chunks(reader: io.BufferedReader) -> tuple[bytes, bool]:
    parts: list[bytes] = []
    total = 0
    while size := int(_line(reader).split(b";", 1)[0].strip(), 16):
        total += size
        if total > MAX_ANSWER_BODY:
            return b"", False
        parts.append(_exactly(reader, size))
        _line(reader)  # the chunk's CRLF
    while _line(reader) not in (*_BLANK, b""):  # trailer fields, then the blank line
        pass
    return b"".join(parts), True


def _exactly(reader: io.BufferedReader, size: int) -> bytes:
    data = reader.read(size)
    if len(data) < size:
        raise http.client.IncompleteRead(data, size - len(data))
    return data
