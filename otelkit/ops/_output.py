"""Writing the rendered files: inside ``--out`` and nowhere else.

Every file is named by a path relative to the output folder, made of plain names (no
``..``, nothing absolute). Folders are opened one at a time relative to their parent
with ``O_NOFOLLOW``, so a symbolic link planted where a folder goes is refused rather
than followed; each file is written under a fresh temporary name and renamed into place,
so a symbolic link (or a hard link) planted where a file goes is replaced, never written
through.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path, PurePosixPath

from otelkit.ops._model import ModelError

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW


class OutputError(OSError):
    """A path under the output folder cannot be written without leaving it."""


def _parts(relative: str) -> tuple[str, ...]:
    path = PurePosixPath(relative)
    if path.is_absolute() or not path.parts or any(p in {".", ".."} for p in path.parts):
        raise ModelError(f"{relative!r}: an output path stays inside the output folder")
    return path.parts


def write_inside(out: Path, relative: str, text: str) -> Path:
    """Write ``text`` to ``out/relative``, creating folders inside ``out`` as needed."""
    parts = _parts(relative)
    out.mkdir(parents=True, exist_ok=True)
    folder = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for index, name in enumerate(parts[:-1]):
            inner = _enter(folder, name, out.joinpath(*parts[: index + 1]))
            os.close(folder)
            folder = inner
        _replace(folder, parts[-1], text)
    finally:
        os.close(folder)
    return out.joinpath(*parts)


def _enter(parent: int, name: str, shown: Path) -> int:
    """The folder ``name`` in ``parent`` (made if missing), opened without following links."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, 0o777, dir_fd=parent)
    try:
        return os.open(name, _DIRECTORY, dir_fd=parent)
    except OSError as exc:  # ELOOP: a symbolic link; ENOTDIR: a file
        raise OutputError(
            exc.errno, "not a folder of its own (a symbolic link or a file)", str(shown)
        ) from None


def _replace(folder: int, name: str, text: str) -> None:
    temporary = f".{name}.{secrets.token_hex(6)}.tmp"
    descriptor = os.open(temporary, _NEW_FILE, 0o666, dir_fd=folder)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary, dir_fd=folder)
        raise
