"""``otelkit logs tail --follow --file F``: new lines of a local log file as they come.

Like ``tail -F``: it starts at the end of the file, waits for the file if it does not
exist yet, and follows it across rotation (``LOG_TO_FILE`` renames the file away and
starts a new one: the old file is read to its end, then the new one from its start).
Memory is bounded: a partial line is held until its newline, at most ``MAX_LINE_BYTES``;
a longer one is skipped and counted.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from otelkit._cli.lines import safe
from otelkit._cli.log_reading import MAX_LINE_BYTES, parse
from otelkit._cli.support import redacted

_HEAD = ("timestamp", "level", "service", "message")
_QUIET = {"logger", "source", "exception"}


def render(text: str, *, as_json: bool) -> str:
    """One followed line for a terminal (or as its JSON), every value escaped."""
    line = parse(text, emf=True)
    if line is None:
        return safe(redacted(text.rstrip("\n")))
    line = redacted(line)
    if as_json:
        return json.dumps(line, ensure_ascii=True)
    rest = " ".join(
        f"{safe(k)}={safe(v)}" for k, v in line.items() if k not in _HEAD and k not in _QUIET
    )
    level = safe(line.get("level", "-"))
    return (
        f"{safe(line.get('timestamp', '-'))} {level:<8} {safe(line.get('service', '-'))}: "
        f"{safe(line.get('message', ''))}  {rest}"
    ).rstrip()


class Follower:
    """Reads the lines appended to ``path`` since the last ``poll``."""

    def __init__(self, path: Path, *, from_start: bool = False) -> None:
        self.path = path
        self.stream: IO[bytes] | None = None
        self.partial = b""
        self.skipping = False
        self.skipped = 0
        self._from_start = from_start

    def _open(self, at_end: bool) -> None:
        try:
            stream = open(self.path, "rb")  # noqa: SIM115 - held open across polls
        except FileNotFoundError:
            return
        if at_end:
            stream.seek(0, os.SEEK_END)
        self.stream = stream

    def _rotated(self) -> bool:
        assert self.stream is not None
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return False  # renamed away, the new one not created yet: keep reading the old
        mine = os.fstat(self.stream.fileno())
        moved = (on_disk.st_dev, on_disk.st_ino) != (mine.st_dev, mine.st_ino)
        return moved or on_disk.st_size < self.stream.tell()  # replaced, or truncated

    def poll(self) -> list[str]:
        """The complete lines appended since the last call (the first call: none, unless
        ``from_start``)."""
        if self.stream is None:
            self._open(at_end=not self._from_start)
            self._from_start = True  # a file created later is read from its start
            return []
        out = self._drain()
        if self._rotated():
            self.stream.close()
            self.stream, self.partial, self.skipping = None, b"", False
            self._open(at_end=False)
            if self.stream is not None:
                out.extend(self._drain())
        return out

    def _drain(self) -> list[str]:
        assert self.stream is not None
        out: list[str] = []
        while chunk := self.stream.read(65536):
            self.partial += chunk
            *complete, self.partial = self.partial.split(b"\n")
            for raw in complete:
                if self.skipping:  # the rest of a line that was too long
                    self.skipping = False
                    continue
                if len(raw) > MAX_LINE_BYTES:  # too long, though it ended in one read
                    self.skipped += 1
                    continue
                out.append(raw.decode("utf-8", errors="replace"))
            if len(self.partial) > MAX_LINE_BYTES:
                self.skipped += not self.skipping  # one line, however many MiB it runs
                self.partial, self.skipping = b"", True
        return out

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()


def follow(
    path: Path,
    write: Callable[[str], Any],
    *,
    as_json: bool = False,
    max_lines: int | None = None,
    interval: float = 0.2,
    stop: Callable[[], bool] = lambda: False,
    warn: Callable[[str], Any] | None = None,
) -> int:
    """Write each new line of ``path`` until ``max_lines`` were written or ``stop()``;
    returns how many were written. A skipped over-long line is said on ``warn`` (stderr)."""
    follower = Follower(path)
    written = skipped = 0
    try:
        follower.poll()  # opens at the end: what is already there is not new
        while not stop():
            texts = follower.poll()
            if follower.skipped > skipped:
                skipped = follower.skipped
                (warn or sys.stderr.write)(
                    f"otelkit logs: skipped a line longer than 1 MiB ({skipped} so far)\n"
                )
            for text in texts:
                write(render(text, as_json=as_json) + "\n")
                written += 1
                if max_lines is not None and written >= max_lines:
                    return written
            time.sleep(interval)
    finally:
        follower.close()
    return written
