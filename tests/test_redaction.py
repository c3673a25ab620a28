"""The redaction policy itself: names, value patterns, containers, and what it leaves alone."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import otelkit
from otelkit._core.pipeline import current
from otelkit._redaction.scrub import REDACTED
from otelkit._values.log_formats import pretty_renderer, render_text
from tests.support.secrets_corpus import CORPUS


# The active pipeline's policy, as every caller in otelkit reads it.
def is_secret(name: str) -> bool:
    return current().redaction.is_secret(name)


def redact_text(text: str) -> str:
    return current().redaction.redact_text(text)


def redact_value(value: Any) -> Any:
    return current().redaction.redact_value(value)


def scrub_in_place(fields: dict[str, Any]) -> None:
    current().redaction.scrub_in_place(fields)


@pytest.mark.parametrize("secret", CORPUS, ids=lambda s: s.label)
def test_every_corpus_secret_is_redacted_in_a_text(secret: object) -> None:
    text = f"before {secret.text} after"  # type: ignore[attr-defined]
    redacted = redact_text(text)
    assert secret.needle not in redacted  # type: ignore[attr-defined]
    assert redacted.startswith("before ")
    assert REDACTED in redacted


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "PWD",
        "db_passphrase",
        "auth_header",
        "X-Api-Key",
        "client_secret",
        "Authorization",
        "proxy-authorization",
        "set-cookie",
        "aws_secret_access_key",
        "X-Amz-Security-Token",
        "card_number",
        "http.request.header.authorization",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret(name)


@pytest.mark.parametrize(
    "name",
    [
        "author",
        "api_key_id",
        "secret_arn",
        "token_count",
        "prompt_tokens",
        "auth_method",
        "aws.secretsmanager.rotation_step",
        "aws.secretsmanager.secret.arn",
        "job_id",
        "url",
    ],
)
def test_names_about_secrets_are_kept(name: str) -> None:
    assert not is_secret(name)


@pytest.mark.parametrize(
    "text",
    [
        otelkit.new_id("job"),
        str(uuid.uuid4()),
        "1-5759e988-bd862e3fe1be46a994272793",
        "0123456789abcdef0123456789abcdef01234567",  # a git SHA-1
        "ts 1732712345678 took 4111 ms",
        "s3://videos/2026/11/scene-3.mp4",
        "https://api.example.com/v1/jobs?page=2&size=20",
        "tokens=512 prompt_tokens=100",
        "4111 1111 1111 1112",  # fails the Luhn check
    ],
)
def test_ordinary_values_are_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_containers_of_every_kind_at_any_depth() -> None:
    deep: dict[str, object] = {"password": "p-deep-1"}
    for level in range(9):
        deep = {f"l{level}": deep}
    fields: dict[str, object] = {
        "headers": [("Authorization", "Bearer abcdefgh123"), ("Accept", "json")],
        "deep": deep,
        "items": {"url=https://u:p-set-2@h/"},
        "raw": b"token=p-bytes-3",
        "number": 4539148803436467,
        "flag_token": True,
    }
    scrub_in_place(fields)
    text = repr(fields)
    for needle in ("abcdefgh123", "p-deep-1", "p-set-2", "p-bytes-3", "4539148803436467"):
        assert needle not in text
    assert fields["flag_token"] is True
    assert fields["headers"][1] == ("Accept", "json")  # type: ignore[index]


def test_nesting_past_the_bound_is_dropped_not_passed() -> None:
    deep: dict[str, object] = {"note": "AKIAQ3EXAMPLEZX7NQ2B"}
    for _level in range(40):
        deep = {"x": deep}
    assert "AKIA" not in repr(redact_value(deep))


def test_a_cycle_is_marked() -> None:
    loop: dict[str, object] = {"name": "loop"}
    loop["self"] = loop
    assert redact_value(loop) == {"name": "loop", "self": "<cycle>"}


def test_bind_refuses_secret_names_and_values() -> None:
    with pytest.raises(ValueError, match="looks secret"):
        otelkit.bind(password="hunter2")
    with pytest.raises(ValueError, match="looks like a secret"):
        otelkit.bind(job_id="Bearer abcdefgh12345")
    with otelkit.bind(job_id="job-1", auth_method="sso"):
        assert otelkit.ids()["auth_method"] == "sso"


def test_redact_keys_extends_the_names(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(redact_keys="ssn", console=False, log_format="json")
    otelkit.get_logger("app").info("Customer ssn=078-05-1120", customer_ssn="078-05-1120")
    assert "078-05-1120" not in capsys.readouterr().out
    otelkit.configure(console=False, log_format="json")
    assert not is_secret("customer_ssn")


_SECRETS = st.sampled_from(CORPUS)
_AROUND = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(secret=_SECRETS, before=_AROUND, after=_AROUND)
def test_a_secret_in_any_surrounding_text_is_redacted(
    secret: object, before: str, after: str
) -> None:
    text = f"{before} {secret.text} {after}"  # type: ignore[attr-defined]
    assert secret.needle not in redact_text(text)  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_redaction_never_raises_and_is_stable(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


_FIELD_TEXT = st.text(max_size=30)


@settings(max_examples=200, deadline=None)
@given(message=_FIELD_TEXT, logger=_FIELD_TEXT, key=_FIELD_TEXT, value=_FIELD_TEXT)
def test_text_formats_write_one_line_without_raw_control_characters(
    message: str, logger: str, key: str, value: str
) -> None:
    event = {
        "timestamp": "2026-11-27T10:00:00.000Z",
        "level": "INFO",
        "message": message,
        "logger": logger,
        "service": "s",
        "environment": "dev",
        f"f_{key}": value,
        "source": "app.py:1",
    }
    for render in (render_text, pretty_renderer(colour=False)):
        line = render(event)
        assert "\n" not in line
        assert "\r" not in line
        assert "\x1b" not in line
        assert "\u2028" not in line
        assert "\x85" not in line


# Texts an attacker can put in a logged URL, header or body that made the search
# quadratic: 8 KB of them took 0.3-0.4 s, 64 KB about 25 s.
_ADVERSARIAL = {
    "secret words in one run": "token" * 800,
    "a name run with separators": "pwd_" * 1000,
    "JWT-like segments": "eyJa-" * 800,
    "scheme-like runs": "a.a" * 1300 + ":/",
}


def _seconds(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        redact_text(text)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("text", list(_ADVERSARIAL.values()), ids=list(_ADVERSARIAL))
def test_redaction_time_grows_linearly_with_hostile_text(text: str) -> None:
    # Eight times the text may cost about eight times as much (linear), never 64 times.
    small, large = _seconds(text), _seconds(text * 8)
    assert large < small * 24, f"{small * 1e3:.2f} ms -> {large * 1e3:.2f} ms"


def test_secrets_in_hostile_text_are_still_redacted() -> None:
    secret = "hunter2hunter2"
    text = "token" * 800 + f" password={secret} " + 'pwd="aa ' * 200 + f'api_key="{secret}"'
    redacted = redact_text(text)
    assert secret not in redacted
    assert f"password={REDACTED} " in redacted
    assert redacted.endswith(f'api_key="{REDACTED}"')


@pytest.mark.parametrize(
    "text",
    [
        "status_code=500 error_code=E42 country_code=FR",
        "pwned=false pwa=1",
        "<Name>orders</Name><Code>NoSuchKey</Code>",
        "https://github.com/org/repo@v1.2",
        "git@github.com:org/repo.git",
        "code review by ann",
        "[('accept', 'json'), ('author', 'ann'), ('tokens', '12')]",
    ],
)
def test_the_evasion_patterns_leave_ordinary_text_alone(text: str) -> None:
    assert redact_text(text) == text


def test_a_secret_used_as_a_key_or_sent_as_list_pairs_is_redacted() -> None:
    token = "ghp_" + "k" * 36
    redacted = redact_value({"owners": {token: "ann"}, "headers": [["Authorization", "x y z"]]})
    assert token not in str(redacted)
    assert redacted["headers"] == [["Authorization", REDACTED]]


def test_a_huge_exception_keeps_its_end_and_the_count_of_what_was_cut(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    otelkit.configure(log_format="json", console=False)
    value = "1" * 100_000 + "x"
    try:
        float(value)
    except ValueError as exc:
        message = str(exc)
        otelkit.get_logger("api").exception("bad amount")
    (line,) = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert line["error"].endswith(f"…[{len(message) - 16_384} more chars]")
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].endswith("1x'"), "the line that says what failed is kept"
    assert " chars cut]…" in line["exception"]


def test_a_full_width_field_name_is_read_as_ascii() -> None:
    name = "\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44"  # full-width "password"
    assert is_secret(name)
    assert redact_value({"user": {name: "fw-needle-1"}}) == {"user": {name: REDACTED}}


@pytest.mark.parametrize(
    "text",
    [
        "BEARER Bearer bare-bearer-needle-66 ",
        "Authorization: Bearer Bearer bare-bearer-needle-66",
        "token basic  Bearer\tbare-bearer-needle-66",
        "x-api-key=Token Bearer bare-bearer-needle-66",
    ],
)
def test_a_scheme_word_before_the_scheme_word_hides_no_credential(text: str) -> None:
    assert "bare-bearer-needle-66" not in redact_text(text)
