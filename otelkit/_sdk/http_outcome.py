"""What a POST to the collector comes to: an ``Answer``, or ``NotSent`` (it did not
leave) or ``NoAnswer`` (it left, and nothing usable came back), and how much of an
answer is read. The connection (``http_post``), its socket layer (``http_socket``) and
the wire format (``http_wire``) share these; the client (``collector_link``) reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: The longest answer body read (an OTLP answer is a few bytes; a partial success with a
#: message, a few hundred). A longer one is not read: the connection is closed.
MAX_ANSWER_BODY = 64 * 1024
#: Bytes read from the socket per answer at most: the status line, headers and body.
MAX_ANSWER_BYTES = 4 * MAX_ANSWER_BODY


@dataclass(frozen=True, slots=True)
class Answer:
    """A collector's answer: its status, headers (names in lower case) and body (empty
    when it was longer than ``MAX_ANSWER_BODY``: not read)."""

    status: int
    headers: Mapping[str, str]
    body: bytes


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
