"""Text for an operator's terminal: values from logs and services shown, never obeyed.

A log line, a service name or an X-Ray annotation is text anyone may have written; printed
raw, ``ESC ] 0 ;`` retitles the window, ``ESC [ 2 J`` clears the screen, ``ESC ] 52 ;``
writes the clipboard, a CR or newline forges a line, and a bidi override reorders what
the reader sees. :func:`printable` shows each such character as a visible escape instead.
Colour is ours alone: added after escaping, only where the reader wants it.

Before that, what was read is redacted by the one policy (:func:`redacted`): a secret
someone logged is not shown on the screen of whoever reads the logs back.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from typing import TextIO


# C0 and C1 controls (ESC, CR, LF, BEL, NEL, CSI…), DEL; the Unicode line and paragraph
# separators; the bidi marks, embeddings, overrides and isolates; lone surrogates (which
# also cannot be encoded for the terminal at all). Compiled on first use: a process that
# only writes JSON lines never needs it.
@functools.cache
def _unsafe() -> re.Pattern[str]:
    return re.compile(
        "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
    )


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(code: int) -> str:
    return _NAMED.get(chr(code)) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


@functools.cache
def _escapes() -> dict[int, str]:
    """Every character _unsafe() matches -> its visible escape; str.translate applies it in
    C, about 0.1-0.2 s per MB of nothing but escapes (a callback per match took 1.9 s).
    Built on first use: 4 ms that a process writing JSON lines never needs."""
    blocks = (range(0x100), range(0x600, 0x700), range(0x2000, 0x2100), range(0xD800, 0xE000))
    return {
        code: _escaped(code) for block in blocks for code in block if _unsafe().match(chr(code))
    }


# SGR colours of the log levels and health verdicts the CLI prints.
_COLOURS = {
    "DEBUG": "2",
    "INFO": "32",
    "WARNING": "33",
    "ERROR": "31",
    "CRITICAL": "1;31",
    "FATAL": "1;31",
    "healthy": "32",
    "unhealthy": "31",
    "down": "31",
}


def printable(value: object) -> str:
    """``value`` as text with every control, separator and bidi character escaped."""
    text = value if isinstance(value, str) else str(value)
    return text.translate(_escapes()) if _unsafe().search(text) else text


def colour_wanted(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour ``stream``: a terminal, unless ``NO_COLOR``; any stream with
    ``FORCE_COLOR``. Each counts when set and not empty (no-color.org, force-color.org);
    ``NO_COLOR`` wins when both are, as in CPython."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and env.get("TERM") != "dumb"


def coloured(word: str, text: str, colour: bool) -> str:
    """``text`` (already printable) in the colour of ``word`` when ``colour``."""
    code = _COLOURS.get(word)
    return f"\x1b[{code}m{text}\x1b[0m" if colour and code else text
