"""Every pattern that reads outside text costs a bounded time, whatever the text.

Each path (the value patterns, log fields, span export, incoming baggage and correlation
IDs) is timed on crafted 64 KB and 1 MB texts: 1 MB may cost about 16 times 64 KB at most
(linear), and no more than a few times an ordinary text as long as the bound (the text is
cut to ``MAX_SCANNED`` before any pattern runs). Error fingerprints are timed in
``test_error_aggregation``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext, TraceFlags

import otelkit
from otelkit._correlation.incoming_baggage import id_entries
from otelkit._logs.error_aggregation import normalise
from otelkit._redaction.scrub import DEFAULT, REDACTED
from otelkit._redaction.secret_patterns import MAX_SCANNED
from otelkit._requests.incoming import incoming_context
from otelkit._sdk.redaction import redact_span
from tests.support.timing import assert_linear_and_bounded, per_call

# Texts that made a pattern backtrack or scan far: runs of a pattern's own characters,
# openers that never close, prefixes that almost match.
CRAFTED: dict[str, Callable[[int], str]] = {
    "an unclosed quoted secret": lambda n: 'token="' + "a" * n,
    "one long word": lambda n: "a" * n,
    "secret words in one run": lambda n: "token" * (n // 5),
    "base64 runs": lambda n: "Ab1+" * (n // 4),
    "card-like digit groups": lambda n: "1234 " * (n // 5),
    "at signs": lambda n: "@" * n,
    "a URL scheme then a run": lambda n: "http://" + "a" * n,
    "JWT prefixes": lambda n: "eyJ" * (n // 3),
    "name runs with separators": lambda n: "pwd_" * (n // 4),
    "scheme-like runs": lambda n: "a.a" * (n // 3) + ":/",
    "a PEM block never ended": lambda n: "-----BEGIN RSA PRIVATE KEY-----" + "a" * n,
    "percent-encoded pairs": lambda n: "password%3D" + "%41" * (n // 3),
    "escaped quotes": lambda n: "'password': '" + "\\'" * (n // 2),
    "an XML element never closed": lambda n: "<SessionToken>" + "a" * n,
    "XML openers": lambda n: "<Password>" * (n // 10),
    "a printed pair never closed": lambda n: "[('x-api-key', '" + "a" * n,
    "a vendor token prefix then a run": lambda n: "ghp_" + "a" * n,
    "userinfo-like runs": lambda n: "https://" + "a" * (n // 2) + "@" + "b" * (n // 2),
    "OAuth codes": lambda n: "?code=" * (n // 6),
}
_ORDINARY_WORDS = (
    "user ann paid order 1234 with card 4111 1111 1111 1111 via https://api.example/x "
)


def ordinary_text() -> str:
    """A text as long as the bound, with secrets in it: every pattern runs on all of it."""
    return (_ORDINARY_WORDS * (MAX_SCANNED // len(_ORDINARY_WORDS) + 1))[:MAX_SCANNED]


@pytest.fixture(autouse=True)
def _configured() -> None:
    otelkit.configure(console=False)


@pytest.mark.parametrize("crafted", list(CRAFTED.values()), ids=list(CRAFTED))
def test_value_patterns(crafted: Callable[[int], str]) -> None:
    assert_linear_and_bounded(DEFAULT.redact_text, crafted, ordinary_text(), ceiling=6)


@pytest.mark.parametrize("crafted", list(CRAFTED.values()), ids=list(CRAFTED))
def test_log_fields(crafted: Callable[[int], str]) -> None:
    # The fields of one log call: top-level strings, a nested list, a dict of headers.
    def fields(n: int) -> dict[str, object]:
        text = crafted(n)
        return {"body": text, "items": [text], "headers": {"x-note": text}}

    ordinary = {
        "body": ordinary_text(),
        "items": [ordinary_text()],
        "headers": {"x-note": ordinary_text()},
    }
    assert_linear_and_bounded(DEFAULT.scrubbed, fields, ordinary, ceiling=6)


def _span(text: str) -> ReadableSpan:
    context = SpanContext(1, 2, is_remote=False, trace_flags=TraceFlags(1))
    return ReadableSpan(name="GET /", context=context, attributes={"http.request.body": text})


@pytest.mark.parametrize("crafted", list(CRAFTED.values()), ids=list(CRAFTED))
def test_span_export(crafted: Callable[[int], str]) -> None:
    def export(span: ReadableSpan) -> ReadableSpan:
        return redact_span(span)

    assert_linear_and_bounded(export, lambda n: _span(crafted(n)), _span(ordinary_text()), 6)


def test_a_cut_span_attribute_keeps_no_secret_past_the_cut() -> None:
    span = redact_span(_span("password=hunter2hunter2 " + "a " * 600_000))
    value = str((span.attributes or {})["http.request.body"])
    assert "hunter2" not in value
    assert len(value) < MAX_SCANNED + 100, "the export carries the cut text"


@pytest.mark.parametrize(
    "crafted",
    [
        lambda n: "correlation_id=" + "a" * n,
        lambda n: "correlation_id=a;" + "k" * n,
        lambda n: "correlation_id=a;" + "k;" * (n // 2) + "\\",
        lambda n: "correlation_id=a," * (n // 17),
    ],
    ids=["a long value", "a long property", "many properties", "many members"],
)
def test_incoming_baggage(crafted: Callable[[int], str]) -> None:
    ordinary = "correlation_id=req-1,tenant_id=t-9,other=" + "x" * 7000
    assert_linear_and_bounded(id_entries, crafted, ordinary, ceiling=6)


def test_incoming_correlation_ids() -> None:
    def request(value: str) -> object:
        return incoming_context({"x-correlation-id": value, "baggage": value}, "127.0.0.1")

    assert_linear_and_bounded(request, lambda n: "a" * n, "req-" + "a" * 100, ceiling=6)


_FRAGMENTS = [
    "token",
    "password",
    "pwd",
    "=",
    ":",
    '"',
    "'",
    "\\",
    "eyJ",
    "eyJhbGciOi",
    ".",
    "-",
    "_",
    "@",
    "://",
    "http",
    "1234",
    "4111",
    " ",
    "\n",
    "A",
    "a",
    "Z",
    "9",
    "+",
    "/",
    "%",
    "%3D",
    "-----BEGIN RSA PRIVATE KEY-----",
    "AKIA",
    "FwoGZXIvYXdz",
    "Bearer ",
    "{",
    "}",
    "[",
    ",",
    ";",
    "&",
    "<Password>",
    "</Password>",
    "<",
    ">",
    "ghp_",
    "xoxb-",
    "?code=",
    "AIza",
    "('token', '",
    "[(",
    "), ",
    "%25",
    "\uff50",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=12),
    st.integers(min_value=200, max_value=6000),
)
def test_no_repeated_fragment_makes_any_path_slow(fragments: list[str], repeat: int) -> None:
    # An adversary repeats whatever piece a pattern is most sensitive to, up to past the
    # bound; the cost stays within a few times an ordinary text of the bound's length.
    text = "".join(fragments) * repeat
    ordinary = per_call(DEFAULT.redact_text, ordinary_text(), rounds=2)
    started = time.thread_time()
    redacted = DEFAULT.redact_text(f"password=hunter2hunter2 {text}")
    fields = DEFAULT.scrubbed({"note": text, "token": text})
    normalise(text)  # the error fingerprint
    id_entries(f"correlation_id={text}")  # incoming baggage
    incoming_context({"x-correlation-id": text}, "127.0.0.1")
    spent = time.thread_time() - started
    assert spent < ordinary * 20 + 0.01, f"{spent * 1e3:.1f} ms, ordinary {ordinary * 1e3:.2f} ms"
    assert "hunter2hunter2" not in redacted
    assert fields["token"] == REDACTED


@pytest.mark.parametrize("crafted", list(CRAFTED.values()), ids=list(CRAFTED))
def test_a_whole_log_call(
    crafted: Callable[[int], str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Message and field redaction, rendering and writing a JSON line: the cost of the call
    # stops growing at the bound.
    otelkit.configure(console=False, log_format="json")
    log = otelkit.get_logger("api")

    def log_call(text: str) -> None:
        log.info(f"Received {text}", note=text)

    assert_linear_and_bounded(log_call, crafted, crafted(MAX_SCANNED), ceiling=6)
    capsys.readouterr()


def test_a_huge_recorded_exception_keeps_the_end_of_its_stacktrace() -> None:
    from opentelemetry.sdk.trace import Event

    stacktrace = "Traceback (most recent call last):\n" + '  File "x.py"\n' * 5000
    stacktrace += "ValueError: password=hunter2hunter2 bad amount"
    context = SpanContext(1, 2, is_remote=False, trace_flags=TraceFlags(1))
    event = Event("exception", {"exception.stacktrace": stacktrace})
    span = redact_span(ReadableSpan(name="GET /", context=context, events=[event]))
    exported = str(span.events[0].attributes["exception.stacktrace"])  # type: ignore[index]
    assert exported.startswith("Traceback (most recent call last):")
    assert exported.endswith(f"ValueError: password={REDACTED} bad amount")
    assert len(exported) < MAX_SCANNED + 100
