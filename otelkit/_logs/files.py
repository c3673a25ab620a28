"""Log files: the JSON lines also written to ``LOG_DIR/<service>/<service>.jsonl``.

With ``LOG_TO_FILE=1`` every line that goes to stdout is also appended to a file, rotated
by size (``OTELKIT_LOG_FILE_MAX_BYTES``) and, optionally, by time
(``OTELKIT_LOG_FILE_ROTATE_SECONDS``, on multiples of the interval since the epoch), with
the rotated files gzipped: ``bot.jsonl.1.gz`` is the newest archive, up to
``OTELKIT_LOG_FILE_BACKUPS`` of them.

It is built on the standard library's ``RotatingFileHandler`` (its backup shifting and the
``namer``/``rotator`` hooks), made safe for several processes of one service writing the
same file, as gunicorn or a multiprocessing pool do:

- every write holds a shared ``flock`` on ``<file>.lock`` and appends one whole line with
  ``O_APPEND``, so lines from different processes never interleave;
- a rotation holds the lock exclusively, so no process writes while files move;
- a process whose open file was rotated away by another (its inode is no longer the
  path's) reopens before writing, so no line goes to an archive or is lost.

The rotating process gzips the archive while it holds the lock (the backups shift by
name, so an archive must be complete before the next rotation moves it): other processes'
writes wait that long, about a second per 50 MB, once per rotation.

A log file never costs the program or its other outputs: a ``LOG_DIR`` that cannot hold
the file (under a regular file, unwritable) or a file pre-planted as a symlink (never
followed: ``O_NOFOLLOW``) is reported once and file logging is off; a write that fails (a
full disk) stops the file writes, reported once, and every line the file then misses is
counted as dropped (``logs``, ``log file unwritable``). stdout and OTLP carry on.

POSIX only (``fcntl``); elsewhere the files are written without the cross-process lock.
"""

from __future__ import annotations

import gzip
import logging.handlers
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

try:
    import fcntl

    _SHARED, _EXCLUSIVE, _UNLOCK = fcntl.LOCK_SH, fcntl.LOCK_EX, fcntl.LOCK_UN
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    _SHARED = _EXCLUSIVE = _UNLOCK = 0

from otelkit._core import drops as _drops
from otelkit._core.safety import report_once
from otelkit._values.log_formats import render_json

#: Not following a symlink where the file or its lock file should be (0 where unknown).
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: The drop reason of a line the log file missed.
UNWRITABLE = "log file unwritable"


class SharedRotatingFile(logging.handlers.RotatingFileHandler):
    """An append-only JSON-lines file shared by the processes of one service.

    Args:
        path: the file; its directory is created.
        max_bytes: rotate before a write would take the file past this size.
        backups: gzipped archives kept.
        rotate_seconds: also rotate on each multiple of this many seconds (None: size only).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int,
        backups: int,
        rotate_seconds: float | None = None,
    ) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", delay=True
        )
        self.namer = lambda name: f"{name}.gz"
        self.rotator = _compress
        self.rotate_seconds = rotate_seconds
        self._lock_fd = os.open(
            f"{self.baseFilename}.lock", os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o644
        )
        self._thread_lock = threading.Lock()
        self._next_rotation = self._boundary()

    def _open(self) -> Any:
        """The file for appending, never through a symlink planted where it should be."""
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW
        return open(os.open(self.baseFilename, flags, 0o644), "a", encoding="utf-8")

    def _boundary(self) -> float:
        if not self.rotate_seconds:
            return float("inf")
        return (time.time() // self.rotate_seconds + 1) * self.rotate_seconds

    def _flock(self, operation: int) -> None:
        if fcntl is not None:
            fcntl.flock(self._lock_fd, operation)

    def _reopen_if_moved(self) -> None:
        """Reopen when another process rotated the file this one still has open."""
        if self.stream is None:
            self.stream = self._open()
            self._next_rotation = self._boundary()
            return
        try:
            on_disk = os.stat(self.baseFilename)
        except FileNotFoundError:
            on_disk = None
        mine = os.fstat(self.stream.fileno())
        if on_disk is None or (on_disk.st_dev, on_disk.st_ino) != (mine.st_dev, mine.st_ino):
            self.stream.close()
            self.stream = self._open()
            self._next_rotation = self._boundary()

    def _due(self, size: int) -> bool:
        assert self.stream is not None
        current = os.fstat(self.stream.fileno()).st_size
        if current == 0:
            return False
        return current + size > self.maxBytes > 0 or time.time() >= self._next_rotation

    def write_line(self, line: str) -> None:
        """Append one line (without its newline), rotating first when it is due."""
        data = line + "\n"
        size = len(data.encode("utf-8"))
        with self._thread_lock:
            if self._lock_fd < 0:  # closed with its pipeline (after shutdown)
                return
            self._flock(_SHARED)
            try:
                self._reopen_if_moved()
                if self._due(size):
                    self._flock(_EXCLUSIVE)
                    self._reopen_if_moved()  # another process may have rotated meanwhile
                    if self._due(size):
                        self.doRollover()
                        self.stream = self._open()
                        self._next_rotation = self._boundary()
                assert self.stream is not None
                self.stream.write(data)
                self.stream.flush()
            finally:
                self._flock(_UNLOCK)

    def close(self) -> None:
        with self._thread_lock:
            try:
                super().close()
            except OSError:  # what it still buffered cannot be written (a full disk)
                self.stream = None
            if self._lock_fd >= 0:
                os.close(self._lock_fd)
                self._lock_fd = -1


def _compress(source: str, dest: str) -> None:
    """The rotator: ``source`` gzipped to ``dest`` (written aside, then renamed whole)."""
    with open(source, "rb") as raw, gzip.open(f"{dest}.tmp", "wb") as packed:
        shutil.copyfileobj(raw, packed)
    os.replace(f"{dest}.tmp", dest)
    os.remove(source)


def file_sink(
    directory: str, service: str, *, max_bytes: int, backups: int, rotate_seconds: float | None
) -> tuple[Any, SharedRotatingFile] | None:
    """The pipeline sink writing each log event as a JSON line under ``directory/service``,
    and the file it writes (closed with the pipeline); None (reported) when the file cannot
    be there."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in service) or "service"
    path = Path(directory) / safe / f"{safe}.jsonl"
    try:
        if path.is_symlink():
            raise OSError(f"{path} is a symlink, never followed")
        target = SharedRotatingFile(
            path, max_bytes=max_bytes, backups=backups, rotate_seconds=rotate_seconds
        )
        target.stream = target._open()  # fail here, not at the first line
    except OSError as exc:
        report_once(f"log file {path}", f"{exc}: file logging is off")
        return None
    failed: list[OSError] = []

    def write(event: dict[str, Any]) -> None:
        if failed:  # stopped: counted, never retried line by line against a full disk
            _drops.add("logs", UNWRITABLE)
            return
        try:
            target.write_line(render_json(event))
        except OSError as exc:
            failed.append(exc)
            _drops.add("logs", UNWRITABLE)
            report_once(
                "log file write", f"{path}: {exc}: file writes stopped; stdout and OTLP go on"
            )

    return write, target
