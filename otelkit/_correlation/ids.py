"""Bound correlation IDs: ``bind``, ``ids``, ``new_id`` and ``carry``.

The IDs live in the OpenTelemetry Context under a private key, as an immutable mapping.
Everything that carries the OTel context (asyncio tasks, ``carry``, propagators) therefore
carries the IDs with it, and there is no second copy that could drift.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Callable, Mapping
from contextvars import Token
from types import MappingProxyType, TracebackType
from typing import Any, ParamSpec, TypeVar

from opentelemetry import context as otel_context

from otelkit._core.pipeline import current
from otelkit._values.context_stack import ContextStack
from otelkit._values.keys import ID_KEY_PATTERN, MAX_ID_VALUE_LENGTH, RESERVED_FIELD_NAMES

P = ParamSpec("P")
R = TypeVar("R")

#: Where the bound IDs live in a context (a hot path reads ``context.get(IDS_KEY)``).
IDS_KEY = otel_context.create_key("otelkit.ids")
_open_binds: ContextStack[Token[otel_context.Context]] = ContextStack("otelkit_binds")
_EMPTY: Mapping[str, str] = MappingProxyType({})


def current_ids(context: otel_context.Context | None = None) -> Mapping[str, str]:
    """Return the bound IDs of ``context`` (default: the current one) without copying."""
    value = otel_context.get_value(IDS_KEY, context)
    return value if value is not None else _EMPTY  # type: ignore[return-value]


def ids() -> dict[str, str]:
    """Return a copy of the IDs bound in the current context."""
    return dict(current_ids())


def new_id(prefix: str) -> str:
    """Return a fresh ID such as ``job-3f2a…``: the prefix, a dash, 32 lowercase hex chars."""
    if not isinstance(prefix, str) or not prefix or not prefix.replace("_", "").isalnum():
        raise ValueError(f"new_id() prefix must be a non-empty alphanumeric string, got {prefix!r}")
    return f"{prefix}-{uuid.uuid4().hex}"


def validate_ids(fields: Mapping[str, object]) -> dict[str, str]:
    """Check keys and values of IDs to bind, raising ``ValueError`` that names the culprit."""
    checked: dict[str, str] = {}
    redaction = current().redaction
    for key, value in fields.items():
        if not ID_KEY_PATTERN.match(key):
            raise ValueError(
                f"invalid ID key {key!r}: keys are snake_case identifiers "
                "(lowercase letters, digits and '_', starting with a letter, at most 64 chars)"
            )
        if key == "service":
            raise ValueError(
                "invalid ID key 'service': every line's `service` is the configured "
                "service_name; bind a frontend or component under its own key, e.g. "
                "bind(frontend='telegram_bot')"
            )
        if key in RESERVED_FIELD_NAMES:
            raise ValueError(f"invalid ID key {key!r}: it names a field every log line has")
        if redaction.is_secret(key):
            raise ValueError(
                f"invalid ID key {key!r}: the name looks secret, and a bound ID is stamped on "
                "every span and log line. Pass secrets to the code that needs them, never "
                "to bind()"
            )
        if not isinstance(value, str):
            raise ValueError(
                f"invalid value for ID {key!r}: expected str, got {type(value).__name__} "
                f"({value!r}); convert it explicitly, e.g. str(...)"
            )
        if not value or len(value) > MAX_ID_VALUE_LENGTH or not value.isprintable():
            raise ValueError(
                f"invalid value for ID {key!r}: must be 1-{MAX_ID_VALUE_LENGTH} printable "
                f"characters, got {value!r:.80}"
            )
        if redaction.redact_text(value) != value:
            raise ValueError(
                f"invalid value for ID {key!r}: it looks like a secret (a token, "
                "key or credential); IDs are stamped on every span and log line"
            )
        checked[key] = value
    return checked


def context_with_ids(
    fields: Mapping[str, str], context: otel_context.Context | None = None
) -> otel_context.Context:
    """Return ``context`` with ``fields`` (already validated) merged over its bound IDs."""
    merged = {**current_ids(context), **fields}
    return otel_context.set_value(IDS_KEY, MappingProxyType(merged), context)


class bind:  # noqa: N801 - reads as a function at call sites, like contextlib's helpers
    """Bind correlation IDs for a ``with`` block or for every call of a decorated function.

    Example:
        >>> with otelkit.bind(job_id="job-123"):
        ...     log.info("Rendering")          # carries job_id

    The scope's exit restores exactly the IDs that were bound before it, so scopes nest.
    Each ``with`` entry attaches its own context token, so one ``bind`` object may be
    re-entered, and the decorator form binds afresh for every call (for async functions,
    inside the coroutine, so concurrent tasks never see each other's IDs).
    """

    __slots__ = ("_fields",)

    def __init__(self, **ids: str) -> None:
        self._fields = validate_ids(ids)

    def __enter__(self) -> dict[str, str]:
        _open_binds.push(self, otel_context.attach(context_with_ids(self._fields)))
        return dict(current_ids())

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        otel_context.detach(_open_binds.pop(self))

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        fields = self._fields
        reject_generator(func, "bind")
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                token = otel_context.attach(context_with_ids(fields))
                try:
                    return await func(*args, **kwargs)
                finally:
                    otel_context.detach(token)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            token = otel_context.attach(context_with_ids(fields))
            try:
                return func(*args, **kwargs)
            finally:
                otel_context.detach(token)

        return wrapper


def reject_generator(func: Callable[..., Any], decorator: str) -> None:
    """Refuse to decorate a generator function: the wrapper would return the generator
    before its body ever ran, so the scope would open and close around nothing."""
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        raise TypeError(
            f"otelkit.{decorator} cannot decorate the generator function "
            f"{getattr(func, '__qualname__', func)!r}: its body runs after the call returns. "
            f"Use `with otelkit.{decorator}(...)` inside it, or @otelkit.traced for a span "
            "that covers the iteration."
        )


def carry(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap ``func`` so it runs in the caller's context: its IDs and its current span.

    Threads do not inherit context variables, so work handed to a thread pool would lose
    its IDs. Wrap it at submission time::

        pool.submit(otelkit.carry(render_scene), 3)

    The returned callable may be called from any thread, any number of times, even
    concurrently: each call attaches the captured context and detaches it afterwards.
    """
    captured = otel_context.get_current()

    @functools.wraps(func)
    def in_captured_context(*args: P.args, **kwargs: P.kwargs) -> R:
        token = otel_context.attach(captured)
        try:
            return func(*args, **kwargs)
        finally:
            otel_context.detach(token)

    return in_captured_context
