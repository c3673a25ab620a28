"""A corpus of planted secrets, the in-process paths they are pushed through, and a scanner.

Each secret has a *needle*: the part that must never appear in any output (capture,
stdout, stderr, OTLP wire). It is carried either under a field name that says "secret"
(``password=``) or under a neutral name (``url=``, ``note=``) with a value that shows it
is one (a JWT, an AWS key, ``user:pass@``…).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from opentelemetry.trace import Status, StatusCode

import otelkit


def _luhn_complete(prefix: str) -> str:
    """``prefix`` plus the check digit that makes it a valid card number."""
    for check in "0123456789":
        digits = prefix + check
        total = 0
        for position, char in enumerate(reversed(digits)):
            digit = int(char) * (2 if position % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


CARD = _luhn_complete("453914880343646")
PEM = (
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwPemNeedle7Q\n"
    "-----END PRIVATE KEY-----"
)
GITHUB_TOKEN = "ghp_" + "ghNeedle" + "0123456789abcdefghijklmnopqr"
GCP_API_KEY = "AIza" + "SyGcpKeyNeedle" + "0123456789abcdefghijk"


@dataclass(frozen=True)
class Secret:
    """One planted secret: the field it travels in, its value and what must never leak."""

    label: str
    key: str
    value: str
    needle: str

    @property
    def text(self) -> str:
        """How the secret appears inside a message or exception text."""
        neutral = self.key in NEUTRAL_KEYS
        return self.value if neutral else f"{self.key}={self.value}"


NEUTRAL_KEYS = frozenset({"url", "callback", "download", "note", "detail", "header_line", "dsn"})

CORPUS: tuple[Secret, ...] = (
    Secret("password", "password", "Hunter2-pw-Q9x7", "Hunter2-pw-Q9x7"),
    Secret("pwd", "pwd", "pwd-needle-5501", "pwd-needle-5501"),
    Secret("passphrase", "db_passphrase", "phrase-needle-7782", "phrase-needle-7782"),
    Secret("api key", "api_key", "ak-live-7c1e9b2f44d0", "ak-live-7c1e9b2f44d0"),
    Secret("x-api-key", "x-api-key", "xak-needle-0192", "xak-needle-0192"),
    Secret("client secret", "client_secret", "cs-needle-83jd92", "cs-needle-83jd92"),
    Secret("access token", "access_token", "at-needle-ff01aa", "at-needle-ff01aa"),
    Secret("refresh token", "refresh_token", "rt-needle-91bc", "rt-needle-91bc"),
    Secret("auth header", "auth_header", "ah-needle-5521x", "ah-needle-5521x"),
    Secret("cookie", "cookie", "sessionid=ck-needle-77ab", "ck-needle-77ab"),
    Secret("private key field", "private_key", "pk-needle-4410q", "pk-needle-4410q"),
    Secret("webhook signature", "webhook_signature", "sig-needle-30c9", "sig-needle-30c9"),
    Secret(
        "JWT",
        "note",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJqd3QtbmVlZGxlIn0."
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJVadQssw5c",
        "eyJzdWIiOiJqd3QtbmVlZGxlIn0",
    ),
    Secret("AWS access key ID", "detail", "AKIAQ3EXAMPLEZX7NQ2B", "AKIAQ3EXAMPLEZX7NQ2B"),
    Secret(
        "AWS secret key",
        "detail",
        "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",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzX9kQ2vTm1",
    ),
    Secret(
        "AWS session token",
        "detail",
        "FwoGZXIvYXdzEJr//////////wEaDSessNeedleTok0123456789abcdefXYZ",
        "SessNeedleTok0123456789",
    ),
    Secret(
        "bearer",
        "header_line",
        "Authorization: Bearer bearer-needle-4f9a2c7e1b",
        "bearer-needle-4f9a2c7e1b",
    ),
    Secret(
        "basic",
        "header_line",
        "Authorization: Basic dXNlcjpiYXNpYy1uZWVkbGU=",
        "dXNlcjpiYXNpYy1uZWVkbGU=",
    ),
    Secret("bare bearer", "note", "Bearer bare-bearer-needle-66", "bare-bearer-needle-66"),
    Secret(
        "user:pass@ URL",
        "url",
        "https://alice:urlpass-needle-88@db.internal/x",
        "urlpass-needle-88",
    ),
    Secret("DSN", "dsn", "postgresql://app:pgpass-needle-61@10.0.0.5:5432/db", "pgpass-needle-61"),
    Secret(
        "?token=",
        "callback",
        "https://cb.example.com/hook?token=qtok-needle-313&x=1",
        "qtok-needle-313",
    ),
    Secret(
        "?password=",
        "url",
        "https://h.example.com/login?user=bob&password=qpw-needle-29",
        "qpw-needle-29",
    ),
    Secret(
        "X-Amz-Signature",
        "download",
        "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature="
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ),
    Secret(
        "X-Amz-Security-Token",
        "download",
        "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=qsecTokNeedle19&a=1",
        "qsecTokNeedle19",
    ),
    Secret(
        "card number",
        "note",
        f"card {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}",
        CARD[8:12] + " " + CARD[12:],
    ),
    Secret("PEM private key", "note", PEM, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwPemNeedle7Q"),
    # Evasions: names, encodings and shapes the first patterns missed.
    Secret("pw", "pw", "pw-needle-3321", "pw-needle-3321"),
    Secret("db_pw", "db_pw", "dbpw-needle-6610", "dbpw-needle-6610"),
    Secret(
        "token as the whole userinfo",
        "url",
        f"https://{GITHUB_TOKEN}@github.com/org/repo.git",
        GITHUB_TOKEN,
    ),
    Secret(
        "XML password element",
        "detail",
        "<Password>xmlpw-needle-7710</Password>",
        "xmlpw-needle-7710",
    ),
    Secret(
        "STS SessionToken element",
        "detail",
        "<Credentials><AccessKeyId>ASIA</AccessKeyId><SessionToken>stsXmlNeedle0042tok"
        "</SessionToken></Credentials>",
        "stsXmlNeedle0042tok",
    ),
    Secret("double percent-encoding", "note", "password%253Ddblenc-needle-55", "dblenc-needle-55"),
    Secret(
        "full-width name",
        "note",
        "\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44=fullwidth-needle-19",
        "fullwidth-needle-19",
    ),
    Secret(
        "OAuth code",
        "callback",
        "https://app.example.com/cb?code=oauthcode-needle-4471&state=xyz",
        "oauthcode-needle-4471",
    ),
    Secret("GCP API key", "detail", GCP_API_KEY, GCP_API_KEY[4:]),
    Secret("GCP OAuth token", "detail", "ya29.a0gcpNeedle8812tokenXYZabc", "gcpNeedle8812token"),
    Secret("Slack bot token", "detail", "xoxb-2210-slackNeedle991abc", "slackNeedle991abc"),
)
NEEDLES = tuple(secret.needle for secret in CORPUS)

_log = otelkit.get_logger("corpus")
_stdlib = logging.getLogger("corpus.stdlib")


def _nested(secret: Secret, depth: int = 7) -> dict[str, Any]:
    value: dict[str, Any] = {secret.key: secret.value}
    for level in range(depth):
        value = {f"level{level}": value}
    return value


def _raise(text: str) -> None:
    raise RuntimeError(f"request failed: {text}")


def _exception(secret: Secret) -> None:
    try:
        _raise(secret.text)
    except RuntimeError:
        _log.exception("Call failed")


def _span_api(secret: Secret) -> None:
    with otelkit.span("span api") as span:
        span.set_attribute(secret.key, secret.value)
        span.set_attribute("neutral", secret.text)
        span.set_attributes({secret.key: secret.value})
        span.add_event("event", {secret.key: secret.value, "neutral": secret.text})
        span.add_event(secret.text)
        span.set_status(Status(StatusCode.ERROR, secret.text))
        span.record_exception(RuntimeError(secret.text))
        span.update_name(f"span {secret.text}")


def _failing_span(secret: Secret) -> None:
    try:
        with otelkit.span("failing"):
            _raise(secret.text)
    except RuntimeError:
        pass


def _traced(secret: Secret) -> None:
    @otelkit.traced("traced", **{secret.key: secret.value})
    def work() -> None:
        pass

    work()


def _bind(secret: Secret) -> None:
    """bind() refuses a secret name, and a value that looks like a secret."""
    refused = (
        [{secret.key: secret.value}]
        if secret.key not in NEUTRAL_KEYS
        else [{"job_id": secret.value}]
    )
    for fields in refused:
        try:
            otelkit.bind(**fields)
        except ValueError:
            continue
        raise AssertionError(f"bind() accepted {secret.label}: {fields}")


def _span_attrs(secret: Secret) -> None:
    with otelkit.span("attrs", **{secret.key: secret.value}):
        pass


def _job(secret: Secret) -> None:
    fields: dict[str, Any] = {secret.key: secret.value}
    with otelkit.job("corpus.job", **fields):
        pass


PATHS: dict[str, Callable[[Secret], None]] = {
    "log kwargs": lambda s: _log.info("Saved", **{s.key: s.value}),
    "log nested kwargs": lambda s: _log.info("Saved", config=_nested(s)),
    "log headers as tuples": lambda s: _log.info(
        "Sent", headers=[(s.key, s.value), ("accept", "json")]
    ),
    "log headers as lists": lambda s: _log.info(
        "Sent", headers=[[s.key, s.value], ["accept", "json"]]
    ),
    "secret as a dict key": lambda s: _log.info("Owners", owners={s.text: "ann"}),
    "printed header pairs": lambda s: _log.info(f"Sent {[(s.key, s.value), ('accept', 'json')]}"),
    "log list and set": lambda s: _log.info(
        "Many", items=[{s.key: s.value}], texts={s.text}, pair=(s.text, 1)
    ),
    "stdlib extra=": lambda s: _stdlib.warning("Extra", extra={s.key: s.value}),
    "%-args": lambda s: _stdlib.info("Calling %s now", s.text),
    "message": lambda s: _log.info(f"Calling {s.text}"),
    "exception": _exception,
    "span API": _span_api,
    "span exception": _failing_span,
    "span(**attrs)": _span_attrs,
    "traced(**attrs)": _traced,
    "event()": lambda s: otelkit.event("CORPUS_EVENT", status="OK", **{s.key: s.value}),
    "event() nested": lambda s: otelkit.event("CORPUS_NESTED", detail_map=_nested(s)),
    "job()": _job,
    "bind()": _bind,
    "metric dimension": lambda s: otelkit.count(
        "CorpusCount", 1, **{s.key.replace("-", "_"): s.text}
    ),
}


def run_all_paths(secrets: Iterable[Secret] = CORPUS) -> None:
    """Push every secret through every in-process path."""
    for secret in secrets:
        for run in PATHS.values():
            run(secret)


def leaks(outputs: dict[str, str]) -> list[str]:
    """``output: secret label`` for every needle found in any output, as written or
    URL-decoded (a secret sent as a query parameter travels percent-encoded)."""
    return [
        f"{where}: {secret.label}"
        for where, text in outputs.items()
        for secret in CORPUS
        if secret.needle in text or secret.needle in unquote_plus(text)
    ]


def dump_spans(spans: Iterable[Any]) -> str:
    """Everything a finished span holds, as one text to scan."""
    parts = []
    for span in spans:
        parts.append(span.name)
        parts.append(json.dumps(dict(span.attributes or {}), default=str))
        for event in span.events:
            parts.append(event.name)
            parts.append(json.dumps(dict(event.attributes or {}), default=str))
        parts.append(str(span.status.description))
    return "\n".join(parts)
