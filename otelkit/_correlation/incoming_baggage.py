"""Reading the IDs of an incoming W3C ``baggage`` header, and nothing else.

Every message and request that arrives is read, so this runs per record: it keeps
exactly what the SDK's ``W3CBaggagePropagator`` would give for the well-known ID keys
(the same syntax checks, size limits and percent-decoding) without building a Context
per entry for entries otelkit then throws away. Entries under other keys are skipped
after one set lookup; only candidates are validated and decoded.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

from otelkit._values.keys import MAX_ID_VALUE_LENGTH, PRIVATE_ID_KEYS, WELL_KNOWN_ID_KEYS

# The W3C baggage grammar, as the SDK checks it (opentelemetry.util.re): a key is a
# token, a value has no whitespace, quote, comma, semicolon or backslash, and properties
# after ``;`` are ``key`` or ``key=value``.
_OWS = r"[ \t]*"
_KEY = r"[\x21\x23-\x27\x2a\x2b\x2d\x2e\x30-\x39\x41-\x5a\x5e-\x7a\x7c\x7e]+"
_VALUE = r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*"
_PROPERTY = rf"{_OWS}{_KEY}{_OWS}={_OWS}{_VALUE}{_OWS}|{_OWS}{_KEY}{_OWS}"
# One check for a whole member: what the SDK checks in four (key; value before the first
# ``;``, right-trimmed; each property).
_MEMBER = re.compile(rf"{_KEY}{_OWS}={_OWS}{_VALUE}{_OWS}(?:;(?:{_PROPERTY}))*")
#: The SDK reads at most this many list members of one header,
MAX_MEMBERS = 180
#: and ignores a header longer than this many bytes.
MAX_HEADER_BYTES = 8192
#: At most this many IDs are accepted from one incoming carrier (baggage can be forged).
MAX_INCOMING_IDS = 16
# ``user_id`` is never read: otelkit never sends it, so one that arrives was put there by
# someone else.
_CANDIDATES = frozenset(WELL_KNOWN_ID_KEYS) - PRIVATE_ID_KEYS


def incoming_ids(header: object, private: frozenset[str]) -> dict[str, str]:
    """The well-formed IDs ``header`` carries (at most ``MAX_INCOMING_IDS``), none of the
    ``private`` keys among them.

    Only well-known ID keys are taken: baggage is open to anything upstream, and an
    arbitrary key must not become a field on every span and log line here.
    """
    ids: dict[str, str] = {}
    for key, value in id_entries(header).items():
        if key not in private and 0 < len(value) <= MAX_ID_VALUE_LENGTH and value.isprintable():
            ids[key] = value
            if len(ids) == MAX_INCOMING_IDS:
                break
    return ids


def id_entries(header: object) -> dict[str, str]:
    """``{key: value}`` of the members of ``header`` whose key is a well-known ID key,
    decoded, in header order (a repeated key keeps its first position and last value)."""
    found: dict[str, str] = {}
    # Too long is judged before any split or pattern: an ASCII header of any length was
    # read member by member (1 MB of ``k;k;…`` cost 8 ms per request).
    if (
        not isinstance(header, str)
        or len(header) > MAX_HEADER_BYTES
        or (
            not header.isascii() and len(header.encode("utf-8", "surrogatepass")) > MAX_HEADER_BYTES
        )
    ):
        return found
    members = 0
    for raw in header.split(","):
        member = raw.strip(" \t")
        if not member or not member.isascii():
            continue  # the SDK skips these before counting
        members += 1
        if members > MAX_MEMBERS:
            break
        name, separator, value = member.partition("=")
        if not separator:
            continue
        name = name.rstrip(" \t")
        key = unquote_plus(name).strip() if "%" in name or "+" in name else name
        if key not in _CANDIDATES or _MEMBER.fullmatch(member) is None:
            continue
        value = value.lstrip(" \t")
        found[key] = unquote_plus(value).strip() if "%" in value or "+" in value else value
    return found
