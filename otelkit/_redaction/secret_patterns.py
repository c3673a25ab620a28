"""Secrets recognised by what they look like, wherever they appear in a text.

One alternation, compiled once, finds every kind in a single pass: PEM private keys,
JWTs, bearer/basic credentials, AWS access key IDs, secret keys and session tokens,
``user:pass@`` in URLs, ``name=value`` / ``"name": "value"`` pairs whose name looks
secret (query parameters such as ``?token=`` and ``X-Amz-Signature=`` included) and card
numbers that pass the Luhn check. Each match is replaced by a marker that keeps the
harmless part (the scheme word, the parameter name) and never any character of the
secret itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from urllib.parse import unquote_plus

from otelkit._redaction import prefilter as _prefilter
from otelkit._values.safe_values import MAX_TEXT

REDACTED = "[REDACTED]"
#: Characters of one text the patterns look at. Longer texts are cut to this first (with
#: the marker ``truncate`` writes): a 1 MB value costs what a 16 KB one does (it cost up to
#: 3.8 s), and every output cuts values to about this length anyway.
MAX_SCANNED = MAX_TEXT
# A token the cut runs through is dropped whole when it started this close to the cut: no
# half of a key, card or JWT is written where the patterns could not recognise it.
_PARTIAL_TOKEN = 1024
# Room past the bound for the marker a cut adds, so a text cut once is never cut again.
_MARKER_ROOM = 64

#: Strings shorter than this cannot hold any secret the patterns know (the shortest is a
#: ``pwd=x`` pair), so they cost one length check.
MIN_SECRET_LENGTH = 5

# Words that make a name secret. ``auth`` but not ``author``; ``pwd``; ``card_number``.
NAME_WORDS = (
    r"pass(?:word|wd|phrase)?|pwd|(?<![a-z0-9])pw(?![a-z])|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|auth(?!or(?!iz))|cookie|credential|session[_-]?key|signature|"
    r"jwt|bearer|card[_-]?number|cvv|cvc"
)

_B64 = r"A-Za-z0-9+/"
# What follows a name in a pair: the separator, then a quoted or bare value (after any
# scheme words: ``Authorization: Bearer Bearer x`` hides ``x``).
_PAIR_VALUE = (
    r"(?P<close>\\?[\"']?)[ \t]*[:=][ \t\n]*(?!\[REDACTED)"
    r"(?P<value>b?\\?\"(?:[^\"\\]|\\[^\"])*+(?:\\?\"|\\?\Z)|b?'(?:[^'\\]|\\.)*+(?:'|\Z)"
    r"|(?i:(?:bearer|basic|digest|token)[ \t]+)*+[^\s\"',;&}\])]+)"
)


def _compile(name_words: str) -> re.Pattern[str]:
    # Runs of name, scheme and JWT characters start only where such a run starts and are
    # possessive (``*+``): each is scanned once, so no text makes the search quadratic
    # (``"token" * 1600`` took 0.3 s with backtracking runs).
    return re.compile(
        # A PEM private key block, to its END line (or the end of the text when cut off).
        r"(?P<pem>-----BEGIN[A-Z ]*PRIVATE KEY-----(?:.*?-----END[A-Z ]*PRIVATE KEY-----|.*))"
        # A JWT: base64url header and payload that both start with '{"' (eyJ).
        r"|(?P<jwt>(?<![\w-])eyJ[\w-]{4,}+\.eyJ[\w-]{4,}+(?:\.[\w-]*+)?)"
        # An HTTP credential after its scheme word; a scheme word is no credential
        # (``BEARER Bearer x``: the match starts at the second word, the one before ``x``).
        r"|(?P<scheme>(?i:\b(?:bearer|basic|digest|token)))\s+"
        r"(?!(?i:bearer|basic|digest|token)\s)(?P<credential>[\w.~+/=-]{6,})"
        # AWS: access key IDs, STS session tokens, and 40-character secret access keys (random
        # base64 with upper case, lower case and a digit: never a hex digest).
        r"|(?P<akid>\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b)"
        r"|(?P<session>(?:FwoGZXIvYXdz|FQoGZXIvYXdz|IQoJb3JpZ2lu)[" + _B64 + r"=]{16,})"
        r"|(?P<sak>(?<![" + _B64 + r"])(?=[" + _B64 + r"]{0,39}[A-Z])"
        r"(?=[" + _B64 + r"]{0,39}[a-z])(?=[" + _B64 + r"]{0,39}[0-9])"
        r"[" + _B64 + r"]{40}(?![" + _B64 + r"=]))"
        # Tokens known by their prefix: GitHub, GitLab, Slack, Google API keys and OAuth
        # access tokens, Stripe live keys; a Slack webhook's secret path.
        r"|(?P<vendor>(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{30,}+|github_pat_\w{30,}+"
        r"|glpat-[\w-]{20,}+|xox[abposre]-[\w-]{10,}+|AIza[\w-]{35}|ya29\.[\w-]{20,}+"
        r"|[sr]k_live_\w{16,}+|hooks\.slack\.com/services/[\w/]{20,}+))"
        # A token as the whole userinfo of a URL (``https://ghp_…@github.com``): a user
        # name of 24 or more token characters is no user name.
        r"|(?P<tokeninfo>(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*+://)[\w.~-]{24,}+@"
        # <Password>…</Password>, botocore's <SessionToken>…</SessionToken>.
        r"|<(?P<element>(?=[\w:.-]{0,64}?(?i:" + name_words + r"))[\w:.-]{1,64}+)>[^<]*+"
        r"</(?P=element)>"
        # A (name, value) pair printed from a list of header pairs: ``('x-api-key', '…')``.
        r"|(?P<tuple>[(\[][ \t]*b?['\"](?P<tname>(?=[\w.-]{0,64}?(?i:" + name_words + r"))"
        r"[\w.-]{1,64}+)['\"][ \t]*,[ \t]*)"
        r"(?P<tvalue>b?'(?:[^'\\]|\\.)*+(?:'|\Z)|b?\"(?:[^\"\\]|\\.)*+(?:\"|\Z))"
        # An OAuth authorisation code in a query string or form body.
        r"|(?P<oauth>(?<=[?&#])code=)[^&\s#\"']++"
        # user:password@ in a URL of any scheme.
        r"|(?P<userinfo>(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*+://)[^/\s:@'\"]*+:[^/\s@'\"]*+@"
        # name=value, name: value, "name": "value", 'name': b'value' (JSON, reprs, query
        # strings, header dumps) where the name looks secret; the value may be quoted.
        r"|(?P<name>(?<![\w.-])(?=[\w.-]*?(?i:" + name_words + r"))[\w.-]++)" + _PAIR_VALUE +
        # A card number: 13-19 digits, together or grouped as printed on cards (4-4-4-4…,
        # Amex 4-6-5) by spaces or dashes; the Luhn check decides.
        r"|(?P<card>(?<![\w.-])(?:[2-6]\d{12,18}|[2-6]\d{3}(?P<sep>[ -])\d{4}(?P=sep)\d{4}"
        r"(?P=sep)\d{1,7}|3\d{3}(?P<amex>[ -])\d{6}(?P=amex)\d{5})(?![\w.-]))",
        re.DOTALL,
    )


_QUOTED = re.compile(r"(b?\\?[\"'])[\s\S]*?(\\?[\"'])", re.DOTALL)


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _replace(match: re.Match[str], is_secret_name: Callable[[str], bool]) -> str:
    kind = match.lastgroup
    if kind == "credential":
        return f"{match.group('scheme')} {REDACTED}"
    if kind == "userinfo":
        return f"{match.group('userinfo')}{REDACTED}@"
    if kind == "tokeninfo":
        return f"{match.group('tokeninfo')}{REDACTED}@"
    if kind == "tvalue":
        if not is_secret_name(match.group("tname")):
            return match.group(0)
        value = match.group("tvalue")
        opening = value[:2] if value.startswith("b") else value[:1]  # b' or '
        quote = opening[-1]
        closing = quote if len(value) > len(opening) and value.endswith(quote) else ""
        return f"{match.group('tuple')}{opening}{REDACTED}{closing}"
    if kind == "oauth":
        return f"{match.group('oauth')}{REDACTED}"
    if kind == "element":
        element = match.group("element")
        if not is_secret_name(element):
            return match.group(0)
        return f"<{element}>{REDACTED}</{element}>"
    if kind == "value":
        name = match.group("name")
        if not is_secret_name(name):
            return match.group(0)
        prefix = match.group(0)[: match.start("value") - match.start(0)]
        value = match.group("value")
        quoted = _QUOTED.fullmatch(value)
        if quoted is None:
            return prefix + REDACTED
        return f"{prefix}{quoted.group(1)}{REDACTED}{quoted.group(2)}"
    if kind == "card":
        digits = match.group(0).replace(" ", "").replace("-", "")
        return REDACTED if 13 <= len(digits) <= 19 and _luhn(digits) else match.group(0)
    return REDACTED


# Lower-case fragments of which every secret the patterns know contains at least one:
# checked first with ``in`` on the lower-cased text, a string holding none of them (most
# messages, most URLs) costs no regex search at all. Card numbers and secret access keys
# have no fragment; two small searches look for their digit and base64 runs. Where a
# fragment is, ``_prefilter`` says where a match may start.
TRIGGERS = _prefilter.TRIGGERS
_DIGIT_RUN = _prefilter.CARD_START
_BASE64_RUN = _prefilter.BASE64_RUN
_CACHE_SIZE = 4096
# Percent-decodings tried: a secret encoded twice (``%253D``) is found, and no more.
_DECODINGS = 3
_CACHED_LENGTH = 512


def _may_hold_secret(text: str, triggers: tuple[str, ...]) -> bool:
    lowered = _prefilter.folded(text)  # ``re`` reads a long s as ``s``
    if lowered is None:
        return True
    for fragment in triggers:
        if fragment in lowered:
            return True
    return _DIGIT_RUN.search(text) is not None or _BASE64_RUN.search(text) is not None


def cut(text: str, limit: int = MAX_SCANNED) -> str:
    """``text`` cut to about ``limit`` characters before any pattern runs, with a marker
    saying how much went; a token the cut would split is left out whole."""
    if len(text) <= limit + _MARKER_ROOM:
        return text  # cut already (a marker added): cutting again would lose the count
    head = text[:limit]
    start = limit - _PARTIAL_TOKEN
    space = max(head.rfind(" ", start), head.rfind("\n", start), head.rfind("\t", start))
    if space >= 0:
        head = head[: space + 1]
    return f"{head}…[{len(text) - len(head)} more chars]"


def keep_the_end(text: str, limit: int = MAX_SCANNED) -> str:
    """``text`` cut to about ``limit`` characters keeping its first lines and its end (a
    traceback's last lines say what failed), before any pattern runs."""
    if len(text) <= limit:
        return text
    head = text[: limit // 8]
    head = head[: head.rfind("\n") + 1] or head
    tail = text[len(text) - (limit - len(head)) :]
    space = _SPACE.search(tail, 0, _PARTIAL_TOKEN)  # never start inside a token
    if space is not None:
        tail = tail[space.start() :]
    return f"{head}…[{len(text) - len(head) - len(tail)} chars cut]…{tail}"


_SPACE = re.compile(r"\s")


def redactor(
    is_secret_name: Callable[[str], bool],
    name_words: str = NAME_WORDS,
    extra_triggers: tuple[str, ...] = (),
    *,
    prefilter: bool = True,
) -> Callable[[str], str]:
    """A function redacting every secret the patterns find in a text.

    Args:
        is_secret_name: decides whether ``name=value`` pairs are secret, so the one key
            policy (with its safe names and extensions) applies inside texts too.
        name_words: the regex alternation of words that make a name secret.
        extra_triggers: the words added to ``name_words``, as plain text.
        prefilter: try the patterns only where ``_prefilter.starts`` says a match may
            start (False: search every position, the reference the tests compare with).
    """
    compiled: list[re.Pattern[str]] = []

    def pattern() -> re.Pattern[str]:
        """Compiled once per configuration, when a text first needs it (~3 ms a cold
        start does not pay while its lines hold nothing that could be a secret)."""
        if not compiled:
            compiled.append(_compile(name_words))
        return compiled[0]

    def replace(match: re.Match[str]) -> str:
        return _replace(match, is_secret_name)

    extra = tuple(word.lower() for word in extra_triggers)
    triggers = TRIGGERS + extra
    name_fragments = _prefilter.NAME_FRAGMENTS + extra
    # A configured word of other characters than a name's could start a match anywhere.
    prefilter = prefilter and all(_NAME_CHARACTERS.fullmatch(word) for word in extra)

    def redacted(text: str) -> str | None:
        """``text`` with its secrets replaced, or None when it holds none."""
        places = _prefilter.starts(text, name_fragments) if prefilter else None
        if places is None:
            if _may_hold_secret(text, triggers) and pattern().search(text) is not None:
                return pattern().sub(replace, text)
            return None
        if not places:
            return None
        match_at = pattern().match
        pieces: list[str] = []
        done = 0
        for start in places:
            if start < done:
                continue  # inside a secret already replaced, as a full search skips it
            found = match_at(text, start)
            if found is not None:
                pieces += (text[done:start], replace(found))
                done = found.end()
        if not pieces:
            return None
        pieces.append(text[done:])
        return "".join(pieces)

    # Texts found clean recently: bound IDs, routes and URLs repeat on every span and line.
    clean: dict[str, None] = {}

    def redact_text(text: str) -> str:
        if len(text) > MAX_SCANNED + _MARKER_ROOM:
            text = cut(text)
        marker = _cut_marker(text) if text.endswith(_MARKER_END) else ""
        if not marker:
            return redact_whole(text)
        # The marker is ours and not ASCII: the text before it is looked at alone, once
        # (with it, every cut text was decoded and searched a second time).
        head = text[: -len(marker)]
        redacted_head = redact_whole(head)
        return text if redacted_head is head else redacted_head + marker

    def redact_whole(text: str) -> str:
        if len(text) < MIN_SECRET_LENGTH or text in clean:
            return text
        found = redacted(text)
        if found is not None:
            text = found
        elif "%" not in text and "+" not in text and text.isascii():
            if len(text) <= _CACHED_LENGTH:
                if len(clean) >= _CACHE_SIZE:
                    clean.clear()
                clean[text] = None
            return text  # the common case: a dict lookup, or no regex run at all
        return _decoded(text)

    def _decoded(text: str) -> str:
        """URL encoding (``%2F``, ``+``, twice: ``%253D``) and full-width or other
        compatibility forms (full-width letters) hide secrets from the patterns: look again
        at the decoded text, and write that one redacted when it holds a secret."""
        decoded = text
        for _ in range(_DECODINGS):
            if "%" not in decoded and "+" not in decoded:
                break
            once = unquote_plus(decoded)
            if once == decoded:
                break
            decoded = once
        if not decoded.isascii():
            decoded = unicodedata.normalize("NFKC", decoded)
        if decoded != text:
            found = redacted(decoded)
            if found is not None:
                return found
        return text

    return redact_text


_NAME_CHARACTERS = re.compile(r"[\w.-]+")
_MARKER_END = " more chars]"
# A count with this many digits could be a card number: such a "marker" is text to redact.
_MARKER_DIGITS = 12


def _cut_marker(text: str) -> str:
    """The ``…[N more chars]`` a cut ended ``text`` with (``cut``, ``truncate``), or ""."""
    start = text.rfind("…[", max(0, len(text) - len(_MARKER_END) - _MARKER_DIGITS - 2))
    if start < 0:
        return ""
    count = text[start + 2 : -len(_MARKER_END)]
    return text[start:] if count.isascii() and count.isdigit() else ""


def pair_redactor(names: Iterable[str]) -> Callable[[str], str]:
    """A function redacting the values of ``name=value`` pairs for exactly ``names``
    (case-sensitive): for member names a service model marks sensitive, such as ``Value``,
    which are secret only in the texts of the library that uses that model."""
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    pattern = re.compile(r"(?P<name>(?<![\w.-])(?:" + alternatives + r"))" + _PAIR_VALUE)

    def replace(match: re.Match[str]) -> str:
        return _replace(match, lambda _name: True)

    def redact_pairs(text: str) -> str:
        return pattern.sub(replace, text) if len(text) >= MIN_SECRET_LENGTH else text

    return redact_pairs
