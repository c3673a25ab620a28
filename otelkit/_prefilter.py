"""Where in a text a secret pattern can start, found cheaply.

The secret patterns are one alternation of a dozen kinds; Python's ``re`` tries every kind
at every position, about 0.5 µs per character (2.4 ms for an ordinary 4 KB line that holds
the word "key"). Every kind starts at, or a short walk back from, a fragment that
``str.find`` finds at C speed in the lower-cased text (a prefix, a secret word, ``://``),
or where one of two small searches finds a card-like digit group or a 40-character
base64 run. ``starts`` lists those places; the patterns are then tried there only
(``pattern.match``), which finds what a full search finds (a property test holds the two
equal on any text).
"""

from __future__ import annotations

import re

# Fragments a match starts at (offset 0) or just before (``sk_live_``: 2 characters):
# PEM, JWT, scheme words, AWS key IDs and session tokens, vendor prefixes, OAuth codes.
_AT: tuple[tuple[str, int], ...] = (
    ("-----begin", 0),
    ("eyj", 0),
    ("bearer", 0),
    ("basic", 0),
    ("digest", 0),
    ("token", 0),
    *((prefix, 0) for prefix in ("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa")),
    *((prefix, 0) for prefix in ("fwogzxivyxdz", "fqogzxivyxdz", "iqojb3jpz2lu")),
    *((prefix, 0) for prefix in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    ("glpat-", 0),
    ("xox", 0),
    ("aiza", 0),
    ("ya29.", 0),
    ("_live_", -2),
    ("hooks.slack.com/services/", 0),
    ("code=", 0),
)
#: Fragments of every word in ``_secret_patterns.NAME_WORDS`` (``pw`` covers ``pwd``,
#: ``key`` every ``…_key``): a named pair, an XML element or a printed pair starts before.
NAME_FRAGMENTS = (
    "pass",
    "pw",
    "secret",
    "token",
    "key",
    "auth",
    "cookie",
    "credential",
    "signature",
    "jwt",
    "bearer",
    "card",
    "cvv",
    "cvc",
)
_URL = "://"  # userinfo: a match starts where the scheme before it starts
TRIGGERS = tuple(dict.fromkeys([*(fragment for fragment, _ in _AT), *NAME_FRAGMENTS, _URL]))

# A card number's start (``[2-6]`` then digits, together or grouped) and a secret access
# key's (a base64 run of exactly 40): the lookbehind after the first character lets
# ``re`` skip to candidate characters quickly.
CARD_START = re.compile(r"[2-6](?<![\w.-][2-6])\d{3}(?:\d{9}|[ -]\d{4}[ -]\d|[ -]\d{6}[ -]\d)")
BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])")
# Walks back over the reversed text: a name run, a URL scheme, a printed pair's opening
# (``('`` read backwards, with ``b'`` and spaces).
_NAME_RUN = re.compile(r"[\w.-]*+")
_SCHEME_RUN = re.compile(r"[a-zA-Z0-9+.-]*+")
_PAIR_OPENING = re.compile(r"['\"]b?[ \t]*+[(\[]")
# An XML element's name holds its secret word within this many characters of the ``<``.
_ELEMENT_REACH = 65
# Characters that ``re.IGNORECASE`` matches to an ASCII letter of a secret word but that
# ``str.lower`` leaves as they are (or lengthens): dotted and dotless I, long s.
_FOLDS = (("\u0130", "i"), ("\u0131", "i"), ("\u017f", "s"))


def folded(text: str) -> str | None:
    """``text`` lower-cased character for character (same indexes), so a fragment found
    in it is where the case-insensitive patterns would see the word; None when no such
    form exists (the caller searches in full)."""
    if text.isascii():
        return text.lower()
    for char, ascii_char in _FOLDS:
        if char in text:
            text = text.replace(char, ascii_char)
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else None


def _hits(lowered: str, fragment: str) -> list[int]:
    found = []
    index = lowered.find(fragment)
    while index >= 0:
        found.append(index)
        index = lowered.find(fragment, index + 1)
    return found


def starts(text: str, name_fragments: tuple[str, ...] = NAME_FRAGMENTS) -> list[int] | None:
    """Every index where a secret pattern may match in ``text``, ascending (empty: the text
    holds no secret the patterns know), or None when the text cannot be folded."""
    lowered = folded(text)
    if lowered is None:
        return None
    found: set[int] = set()
    for fragment, offset in _AT:
        found.update(max(0, index + offset) for index in _hits(lowered, fragment))
    names = sorted({index for word in name_fragments for index in _hits(lowered, word)})
    urls = _hits(lowered, _URL)
    if names or urls:
        backwards = text[::-1]
        found.update(_name_starts(text, backwards, names))
        size = len(text)
        found.update(size - _run_end(_SCHEME_RUN, backwards, size - index) for index in urls)
    found.update(match.start() for match in CARD_START.finditer(text))
    found.update(match.start() for match in BASE64_RUN.finditer(text))
    return sorted(found)


def _run_end(run: re.Pattern[str], text: str, index: int) -> int:
    found = run.match(text, index)  # a ``*+`` run always matches, maybe empty
    return index if found is None else found.end()


def _name_starts(text: str, backwards: str, hits: list[int]) -> set[int]:
    """Where a pair, an XML element or a printed pair holding the word at each hit starts.
    Hits in one name run share its start: each run is walked once (``"token" * 3000``)."""
    found: set[int] = set()
    size = len(text)
    run_start, run_end = 0, -1
    for index in hits:
        element = text.rfind("<", max(0, index - _ELEMENT_REACH), index)
        if element >= 0:
            found.add(element)
        if index > run_end:
            run_start = size - _run_end(_NAME_RUN, backwards, size - index)
            run_end = _run_end(_NAME_RUN, text, index)
            found.add(run_start)
            opening = _PAIR_OPENING.match(backwards, size - run_start)
            if opening is not None:
                found.add(size - opening.end())
    return found
