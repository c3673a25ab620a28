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

# What must come before a fragment for its kind to match there, as the patterns say it:
# a JWT or vendor token starts no word, a scheme word or key ID is a whole word, an OAuth
# code follows ``?``, ``&`` or ``#``. Checked with ``re`` itself, so ``\w`` means the same.
_ANYWHERE = re.compile("")
_NO_WORD_OR_DASH = re.compile(r"(?<![\w-])")
_WORD_START = re.compile(r"\b")
_QUERY = re.compile(r"(?<=[?&#])")

# Fragments a match starts at: PEM, JWT, scheme words, AWS key IDs and session tokens,
# vendor prefixes, OAuth codes.
_AT: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("-----begin", _ANYWHERE),
    ("eyj", _NO_WORD_OR_DASH),
    *((word, _WORD_START) for word in ("bearer", "basic", "digest", "token")),
    *((prefix, _WORD_START) for prefix in ("akia", "asia", "agpa", "aida", "aroa", "anpa")),
    *((prefix, _WORD_START) for prefix in ("anva", "aipa")),
    *((prefix, _ANYWHERE) for prefix in ("fwogzxivyxdz", "fqogzxivyxdz", "iqojb3jpz2lu")),
    *(
        (prefix, _NO_WORD_OR_DASH)
        for prefix in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox")
    ),
    *((prefix, _NO_WORD_OR_DASH) for prefix in ("aiza", "ya29.", "hooks.slack.com/services/")),
    *((prefix, _NO_WORD_OR_DASH) for prefix in ("sk_live_", "rk_live_")),
    ("code=", _QUERY),
)
# A fragment found more often than this is looked for with its rule as one regex over the
# folded text (``"eyJ" * 5000``: a Python step per find would cost more than the search).
# The folded text has, at every index, a character of the same class (``\w``, ``-``,
# ``?&#``) as the text: the rule reads the same on both (a test checks every code point).
_CROWDED = 64
_crowded: dict[str, re.Pattern[str]] = {}
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
# key's (a base64 run of 40, found with the character before it): each begins with a
# character ``re`` can skip to quickly (a lookbehind first would be tried everywhere).
CARD_START = re.compile(r"[2-6](?<![\w.-][2-6])\d{3}(?:\d{9}|[ -]\d{4}[ -]\d|[ -]\d{6}[ -]\d)")
BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/=])")
_AFTER_BASE64_START = re.compile(r"[^A-Za-z0-9+/][A-Za-z0-9+/]{40}")
_ASCII_DIGITS = b"0123456789"
_CARD_DIGITS = 13  # the fewest digits of a card number
# Walks back over the reversed text: a name run, a URL scheme, a printed pair's opening
# (``('`` read backwards, with ``b'`` and spaces).
_NAME_RUN = re.compile(r"[\w.-]*+")
_SCHEME_RUN = re.compile(r"[a-zA-Z0-9+.-]*+")
_PAIR_OPENING = re.compile(r"['\"]b?[ \t]*+[(\[]")
# What follows a pair's name: a pair starts at a name run only when this is after it.
_PAIR_SEPARATOR = re.compile(r"\\?[\"']?[ \t]*[:=]")
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


def _hits(lowered: str, fragment: str, enough: int | None = None) -> list[int]:
    """Where ``fragment`` is in ``lowered``; past ``enough`` of them, one more and stop."""
    found = []
    index = lowered.find(fragment)
    while index >= 0:
        found.append(index)
        if enough is not None and len(found) > enough:
            break
        index = lowered.find(fragment, index + 1)
    return found


def _rule(fragment: str, before: re.Pattern[str]) -> re.Pattern[str]:
    try:
        return _crowded[fragment]
    except KeyError:
        rule = _crowded[fragment] = re.compile(before.pattern + re.escape(fragment))
        return rule


def starts(text: str, name_fragments: tuple[str, ...] = NAME_FRAGMENTS) -> list[int] | None:
    """Every index where a secret pattern may match in ``text``, ascending (empty: the text
    holds no secret the patterns know), or None when the text cannot be folded."""
    lowered = folded(text)
    if lowered is None:
        return None
    found: set[int] = set()
    for fragment, before in _AT:
        hits = _hits(lowered, fragment, _CROWDED)
        if len(hits) > _CROWDED:
            found.update(match.start() for match in _rule(fragment, before).finditer(lowered))
        else:
            found.update(index for index in hits if before.match(text, index))
    names = sorted({index for word in name_fragments for index in _hits(lowered, word)})
    urls = _hits(lowered, _URL)
    if names or urls:
        backwards = text[::-1]
        found.update(_name_starts(text, backwards, names))
        size = len(text)
        found.update(size - _run_end(_SCHEME_RUN, backwards, size - index) for index in urls)
    if _may_hold_card(text):
        found.update(match.start() for match in CARD_START.finditer(text))
    found.update(match.start() + 1 for match in _AFTER_BASE64_START.finditer(text))
    if BASE64_RUN.match(text):
        found.add(0)
    return sorted(found)


def _may_hold_card(text: str) -> bool:
    if not text.isascii():
        return True  # ``\d`` is any script's digits: let the search decide
    data = text.encode()
    return len(data) - len(data.translate(None, _ASCII_DIGITS)) >= _CARD_DIGITS


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
            if _PAIR_SEPARATOR.match(text, run_end):
                found.add(run_start)
            opening = _PAIR_OPENING.match(backwards, size - run_start)
            if opening is not None:
                found.add(size - opening.end())
    return found
