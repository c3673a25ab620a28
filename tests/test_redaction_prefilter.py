"""The patterns run only where a secret can start, and find exactly what a full search finds.

``redactor(prefilter=False)`` is the reference: every pattern tried at every position.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otelkit._redaction import prefilter as _prefilter
from otelkit._redaction.scrub import DEFAULT
from otelkit._redaction.secret_patterns import NAME_WORDS, cut, redactor
from tests.support.secrets_corpus import CORPUS
from tests.support.timing import per_call

FAST = redactor(DEFAULT.is_secret)
FULL = redactor(DEFAULT.is_secret, prefilter=False)
# A configured word (``configure(redact_keys=["session_ref"])``) starts matches too.
_EXTRA = ("session_ref",)


def _secret_or_extra(name: str) -> bool:
    return DEFAULT.is_secret(name) or "session_ref" in name.lower()


FAST_EXTRA = redactor(_secret_or_extra, NAME_WORDS + "|session_ref", _EXTRA)
FULL_EXTRA = redactor(_secret_or_extra, NAME_WORDS + "|session_ref", _EXTRA, prefilter=False)

# An ordinary access-log line: no secret, but words ("key", "token", "auth", "://") that
# made the whole line go through every pattern.
_ORDINARY = (
    "GET https://shop.example/api/orders/12345?page=3 user=ann status=200 bytes=5120 "
    "ua=Mozilla/5.0 note: key rotation next week, tokens left: 80%, auth ok; "
    "the quick brown fox jumps over the lazy dog 2024-05-01T10:00:00Z "
)
ORDINARY_4KB = (_ORDINARY * (4096 // len(_ORDINARY) + 1))[:4096]

# Beyond the corpus: case folds ``str.lower`` does not make, prefixes a match starts
# before, openings a walk back must find.
EDGE_SECRETS = [
    "sk_live_0123456789abcdefXYZ",
    "rk_live_0123456789abcdefXYZ",
    "pa\u017f\u017fword=hunter2",
    "\u017fecret: s3cr3t-value",
    "İ Authorization=Basic dXNlcjpwYXNz",
    "aK\u0131a=x AKIAIOSFODNN7EXAMPLE",
    "<Se\u017f\u017fionToken>FwoGZXIvYXdzEXAMPLE</Se\u017f\u017fionToken>",
    "[ b'x-api-key' ,\t'v4lue')",
    '(  "session_ref", "abc")',
    "https://user:pw@host.example/x",
    "svn+ssh.v2://ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@github.com",
    "?a=1&code=0123abc",
    "https://app.example/cb#code=0123abc",
    "x.eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
    "db.session_ref=abc",
]
SECRET_TEXTS = [secret.text for secret in CORPUS] + EDGE_SECRETS
# Characters the patterns care about, the case folds ``re`` knows, and the fragments.
_ALPHABET = st.sampled_from(
    [*"aAbBzZ09_-.:/@%+=&?#'\"<>()[]{},; \t\n", "\u017f", "K", "\u0131", "İ", "é", "\uff10"]
)
_PIECES = st.one_of(
    st.text(_ALPHABET, max_size=12),
    st.sampled_from(SECRET_TEXTS),
    st.sampled_from([*_prefilter.TRIGGERS, "session_ref", "Bearer ", "4111 1111 1111 1111"]),
    st.text(max_size=6),
)
_TEXTS = st.lists(_PIECES, max_size=12).map("".join)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS)
def test_prefiltered_redaction_equals_the_full_search(text: str) -> None:
    assert FAST(text) == FULL(text)
    assert FAST_EXTRA(text) == FULL_EXTRA(text)


@pytest.mark.parametrize("secret", SECRET_TEXTS)
def test_every_corpus_secret_in_a_long_line_is_redacted_the_same(secret: str) -> None:
    for text in (
        secret,
        f"{ORDINARY_4KB[:2000]} {secret} {ORDINARY_4KB[:1500]}",
        f"{secret}, then again: {secret}",
    ):
        assert FAST_EXTRA(text) == FULL_EXTRA(text)
        assert FAST_EXTRA(text) != text


def test_an_ordinary_4kb_line_is_redacted_at_least_3_times_faster() -> None:
    assert FAST(ORDINARY_4KB) == FULL(ORDINARY_4KB) == ORDINARY_4KB
    full = per_call(FULL, ORDINARY_4KB)
    fast = per_call(FAST, ORDINARY_4KB)
    assert fast * 3 <= full, f"prefiltered {fast * 1e6:.0f} µs, full search {full * 1e6:.0f} µs"


def test_every_name_word_is_covered_by_a_fragment() -> None:
    # Each word alternative of NAME_WORDS, as written, holds a fragment the prefilter finds.
    words = (
        "password passwd passphrase pwd pw secret token api_key api-key apikey access_key "
        "private_key authorization cookie credential session_key signature jwt bearer "
        "card_number cvv cvc"
    )
    for word in words.split(" "):
        assert DEFAULT.is_secret(word), word
        assert any(fragment in word for fragment in _prefilter.NAME_FRAGMENTS), word


@pytest.mark.parametrize(
    "unit",
    [
        " eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.s",
        ".eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.s ",
        "xeyJ",
        "token ",
        "xtoken ",
        "?code=abc&",
        "code=",
        "Bearer abcdefgh ",
        "ghp_" + "a" * 36 + " ",
        "-sk_live_" + "a" * 20 + " sk_live_" + "b" * 20 + " ",
        "AKIAIOSFODNN7EXAMPLE ",
    ],
)
def test_a_fragment_found_many_times_gives_the_same_result(unit: str) -> None:
    # Past a few dozen finds a fragment is looked for by its rule as one regex.
    for count in (60, 70, 300):
        text = unit * count
        assert FAST(text) == FULL(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, min_size=40, max_size=160).map("".join))
def test_long_prefiltered_texts_equal_the_full_search(text: str) -> None:
    assert FAST(text) == FULL(text)


def test_the_folded_text_has_the_same_character_classes_at_every_index() -> None:
    # The crowded-fragment rules read the folded text instead of the text itself.
    text = "".join(chr(code) for code in range(0x110000) if len(chr(code).lower()) == 1)
    folded = _prefilter.folded(text)
    assert folded is not None
    assert len(folded) == len(text)
    for char_class in (r"[\w-]", r"[?&#]", r"\w"):
        pattern = re.compile(char_class)
        assert [m.start() for m in pattern.finditer(folded)] == [
            m.start() for m in pattern.finditer(text)
        ], char_class


def test_a_cut_text_is_searched_once_and_keeps_its_marker() -> None:
    # The cut marker's "…" is not ASCII: it made every cut text be decoded and searched
    # again. The text before the marker is now looked at alone.
    text = cut(ORDINARY_4KB * 8)
    marker = text[text.rindex("…[") :]
    head = text[: -len(marker)]
    assert FAST(text) == FAST(head) + marker
    assert per_call(FAST, text) < per_call(FAST, head) * 1.5
    assert FAST("note password=abc…[5 more chars]") == "note password=[REDACTED]…[5 more chars]"


@pytest.mark.parametrize(
    "text",
    ["x…[4111111111111111 more chars]", "x…[AKIAIOSFODNN7EXAMPLE more chars]"],
)
def test_a_marker_that_is_not_a_count_is_redacted_like_any_text(text: str) -> None:
    assert FAST(text) == FULL(text) != text
