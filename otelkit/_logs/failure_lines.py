"""``auth_failure`` and ``api_error``: the two failure lines every service writes by hand.

An auth middleware logs only what goes wrong (an invalid or expired token, a missing
``Authorization`` header, a signature that does not verify), and a service logs each
failed call to an external API. Written by hand, these lines differ in every codebase and
often quote the token or the provider's whole error body; these helpers write one shape:

- ``auth_failure``: WARNING "Authentication failed: <reason>", with ``reason``,
  ``scheme``, ``client_ip`` and ``route`` (from the request's span when not given) and a
  redacted ``detail``. No parameter takes the token, and the detail is redacted even
  when redaction is off: a token never reaches a line.
- ``api_error``: ERROR "External API error" (what ``@message like /API error/`` finds),
  with ``provider``, ``status``, ``latency_ms``, ``error_type`` and a redacted ``detail``;
  bound IDs (``job_id``) are on it as on every line.
"""

from __future__ import annotations

import logging
from typing import Any

from opentelemetry import trace

from otelkit._core.pipeline import current
from otelkit._logs.event import FIELDS_ATTR
from otelkit._values.caps import cut
from otelkit._values.safe_values import safe_str

#: Loggers of the two lines; raise a level to silence them.
AUTH_LOGGER = "otelkit.auth"
API_LOGGER = "otelkit.api"
#: A detail is an error text, not a response body: longer ones are cut with a marker.
MAX_DETAIL_CHARS = 200

#: The reasons an auth middleware reports, with the words of the line's message. Another
#: snake_case reason is written as given.
AUTH_REASONS: dict[str, str] = {
    "invalid_token": "invalid token",
    "expired_token": "expired token",
    "missing_authorization": "missing authorization header",
    "verification_failed": "verification failed",
    "insufficient_scope": "insufficient scope",
}

# Attributes of the request's server span -> the line's field.
_REQUEST_ATTRIBUTES = {"client_ip": "client.address", "route": "http.route"}

_auth = logging.getLogger(AUTH_LOGGER)
_api = logging.getLogger(API_LOGGER)


def redacted_detail(detail: object) -> str:
    """``detail`` as text, its secrets replaced and cut to ``MAX_DETAIL_CHARS``."""
    text = detail if isinstance(detail, str) else safe_str(detail)
    return cut(current().redaction.text_redactor()(text), MAX_DETAIL_CHARS)


def _from_span(field: str) -> Any:
    attributes = getattr(trace.get_current_span(), "attributes", None)
    return attributes.get(_REQUEST_ATTRIBUTES[field]) if attributes else None


def auth_failure(
    reason: str,
    *,
    scheme: str | None = None,
    client_ip: str | None = None,
    route: str | None = None,
    detail: object = None,
    **fields: Any,
) -> None:
    """Write a WARNING line for a request refused by authentication.

    Args:
        reason: ``invalid_token``, ``expired_token``, ``missing_authorization``,
            ``verification_failed``, ``insufficient_scope``, or your own snake_case word.
        scheme: the authorization scheme (``Bearer``, ``Basic``), never the credential.
        client_ip: the caller; the current request span's ``client.address`` when None.
        route: the route template; the current request span's ``http.route`` when None.
        detail: why (an exception or its text): redacted and cut to 200 characters.
        **fields: more fields for the line.

    Example:
        >>> otelkit.auth_failure("expired_token", scheme="Bearer", detail=exc)
    """
    if not isinstance(reason, str) or not reason:
        raise ValueError(f"auth_failure() reason must be a non-empty string, got {reason!r}")
    if not _auth.isEnabledFor(logging.WARNING):
        return
    line: dict[str, Any] = {"reason": reason}
    if scheme is not None:
        line["scheme"] = scheme
    for field, given in (("client_ip", client_ip), ("route", route)):
        value = given if given is not None else _from_span(field)
        if value is not None:
            line[field] = value
    if detail is not None:
        line["detail"] = redacted_detail(detail)
    line.update(fields)
    words = AUTH_REASONS.get(reason, reason.replace("_", " "))
    _auth.warning("Authentication failed: %s", words, extra={FIELDS_ATTR: line}, stacklevel=2)


def api_error(
    provider: str,
    *,
    status: int | None = None,
    latency_ms: float | None = None,
    detail: object = None,
    error: BaseException | None = None,
    **fields: Any,
) -> None:
    """Write an ERROR line for a failed call to an external API.

    Args:
        provider: the API called (``kling``, ``minimax``, ``openai``).
        status: the HTTP status it answered, when it answered.
        latency_ms: how long the call took.
        detail: its error text; redacted and cut to 200 characters. Defaults to
            ``error``'s text.
        error: the exception raised, if any: its type becomes ``error_type``.
        **fields: more fields for the line (``scene=3``, ``attempt=2``).

    Example:
        >>> otelkit.api_error("kling", status=503, latency_ms=812.4, detail=response.text)
    """
    if not isinstance(provider, str) or not provider:
        raise ValueError(f"api_error() provider must be a non-empty string, got {provider!r}")
    if not _api.isEnabledFor(logging.ERROR):
        return
    line: dict[str, Any] = {"provider": provider}
    if status is not None:
        line["status"] = status
    if latency_ms is not None:
        line["latency_ms"] = round(latency_ms, 2)
    if error is not None:
        line["error_type"] = type(error).__name__
    if detail is None and error is not None:
        detail = error
    if detail is not None:
        line["detail"] = redacted_detail(detail)
    line.update(fields)
    _api.error("External API error", extra={FIELDS_ATTR: line}, stacklevel=2)
