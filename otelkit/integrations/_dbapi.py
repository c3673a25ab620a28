"""Tracing a DB-API 2 driver's ``connect`` with OpenTelemetry's dbapi instrumentation
(what the upstream sqlite3, psycopg and psycopg2 instrumentations are built on): a client
span per ``execute``, ``db.query.text`` with its placeholders and never the parameters.

Two ways, as the upstream instrumentations do it: drivers that take a ``cursor_factory``
(psycopg, psycopg2) get real connections whose cursors trace themselves, because C code
that checks a connection's type (psycopg2's ``register_type``) rejects a proxy; sqlite3
gets a traced proxy of its connection.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

try:
    from opentelemetry.instrumentation import dbapi
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the sqlite3, psycopg and psycopg2 integrations need "
        "opentelemetry-instrumentation-dbapi: pip install 'otelkit[dbapi]'"
    ) from exc

_traced: set[str] = set()

#: Where the dbapi instrumentation finds the server's name, port and database and the
#: user on a psycopg or psycopg2 connection (the upstream instrumentations read the same).
LIBPQ_CONNECTION_ATTRIBUTES = {
    "database": "info.dbname",
    "port": "info.port",
    "host": "info.host",
    "user": "info.user",
}


class _Connection(dbapi.TracedConnectionProxy[Any]):
    """A traced connection whose ``execute``/``executemany`` shortcuts (sqlite3's, which
    open a cursor inside the driver) go through a traced cursor too."""

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        return self.cursor().execute(*args, **kwargs)

    def executemany(self, *args: Any, **kwargs: Any) -> Any:
        return self.cursor().executemany(*args, **kwargs)


class _ProxyIntegration(dbapi.DatabaseApiIntegration):
    def wrapped_connection(
        self, connect_method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> _Connection:
        connection = connect_method(*args, **kwargs)
        self.get_connection_attributes(connection)
        return _Connection(connection, self)


@functools.cache
def _traced_cursor(base: type, tracer: Any) -> type:
    """``base`` (a driver's cursor class) whose statements make spans through ``tracer``."""

    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        method = functools.partial(base.execute, self)  # type: ignore[attr-defined]
        return tracer.traced_execution(self, method, *args, **kwargs)

    def executemany(self: Any, *args: Any, **kwargs: Any) -> Any:
        method = functools.partial(base.executemany, self)  # type: ignore[attr-defined]
        return tracer.traced_execution(self, method, *args, **kwargs)

    return type(base.__name__, (base,), {"execute": execute, "executemany": executemany})


class _CursorFactoryIntegration(dbapi.DatabaseApiIntegration):
    #: The driver's default cursor class, which the traced one derives from.
    default_cursor: type = object

    def wrapped_connection(
        self, connect_method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        base = kwargs.get("cursor_factory") or self.default_cursor
        tracer = self.__dict__.setdefault("_otelkit_tracer", dbapi.CursorTracer(self))
        kwargs["cursor_factory"] = _traced_cursor(base, tracer)
        connection = connect_method(*args, **kwargs)
        self.get_connection_attributes(connection)
        return connection


def trace_connect(
    driver: ModuleType,
    system: str,
    tracer_provider: Any,
    meter_provider: Any,
    connection_attributes: dict[str, str] | None = None,
    cursor: type | None = None,
) -> None:
    """Wrap ``driver.connect`` once per process: connections opened after it are traced,
    through a ``cursor_factory`` deriving from ``cursor`` when given, else a proxy."""
    if driver.__name__ in _traced:
        return
    _traced.add(driver.__name__)
    factory: type = _ProxyIntegration
    if cursor is not None:
        factory = type("Integration", (_CursorFactoryIntegration,), {"default_cursor": cursor})
    module: Any = driver  # typed upstream as the connect function's owner
    dbapi.trace_integration(
        module,
        "connect",
        system,
        connection_attributes=connection_attributes,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_parameters=False,  # parameter values are data, often personal
        db_api_integration_factory=factory,
    )


def untrace_connect(driver: ModuleType) -> None:
    """Undo ``trace_connect``."""
    if driver.__name__ in _traced:
        _traced.discard(driver.__name__)
        module: Any = driver
        dbapi.unwrap_connect(module, "connect")
