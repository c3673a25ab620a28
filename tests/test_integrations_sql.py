"""``configure(instrument=[...])`` for SQL: sqlite3 and psycopg (through the dbapi
instrumentation) and SQLAlchemy, on real databases (SQLite files, a PostgreSQL server
started for the test): each statement's span carries the bound IDs and the stable
database conventions, never a parameter value, and a secret written into the SQL text is
redacted."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import otelkit
from otelkit.testing import capture
from tests.support.integrations import turned_off_after
from tests.support.postgres import postgres_server

PARAMETER = "hunter2-parameter"
# An AWS access key ID written into a statement: redacted wherever it appears.
INLINE_KEY = "AKIAIOSFODNN7EXAMPLE"


def _statements(spans: list[Any]) -> dict[str, Any]:
    return {s.attributes["db.query.text"]: s for s in spans if "db.query.text" in s.attributes}


def _assert_clean(span: Any, job_id: str, system: str) -> None:
    assert span.attributes["job_id"] == job_id
    assert span.attributes["db.system.name"] == system
    assert "db.statement" not in span.attributes  # the stable name only
    text = str(dict(span.attributes))
    assert PARAMETER not in text
    assert INLINE_KEY not in text


def test_sqlite3_statements_carry_ids_and_never_a_value(tmp_path: Path) -> None:
    otelkit.configure(console=False, log_stdout=False, instrument=["sqlite3"])
    with capture() as cap, otelkit.bind(job_id="job-sqlite"):
        connection = sqlite3.connect(tmp_path / "app.db")
        connection.execute("CREATE TABLE secrets (owner TEXT, value TEXT)")
        connection.execute("INSERT INTO secrets VALUES (?, ?)", ("ann", PARAMETER))
        connection.execute(f"INSERT INTO secrets VALUES ('bob', '{INLINE_KEY}')")
        rows = connection.execute("SELECT value FROM secrets WHERE owner = ?", ("ann",))
        assert rows.fetchall() == [(PARAMETER,)]
        connection.close()
    statements = _statements(cap.spans)
    assert "INSERT INTO secrets VALUES (?, ?)" in statements
    assert "SELECT value FROM secrets WHERE owner = ?" in statements
    assert len(cap.spans) == 4
    for span in cap.spans:
        _assert_clean(span, "job-sqlite", "sqlite")
    assert any("[REDACTED]" in text for text in statements)


def test_sqlalchemy_statements_carry_ids_and_never_a_value(tmp_path: Path) -> None:
    import sqlalchemy

    otelkit.configure(console=False, log_stdout=False, instrument=["sqlalchemy"])
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    with capture() as cap, otelkit.bind(job_id="job-alchemy"), engine.begin() as connection:
        connection.execute(sqlalchemy.text("CREATE TABLE t (owner TEXT, value TEXT)"))
        connection.execute(
            sqlalchemy.text("INSERT INTO t VALUES (:owner, :value)"),
            {"owner": "ann", "value": PARAMETER},
        )
        connection.execute(sqlalchemy.text(f"INSERT INTO t VALUES ('bob', '{INLINE_KEY}')"))
        assert connection.execute(sqlalchemy.text("SELECT count(*) FROM t")).scalar() == 2
    engine.dispose()
    statements = _statements(cap.spans)
    assert "INSERT INTO t VALUES (?, ?)" in statements
    assert "SELECT count(*) FROM t" in statements
    for span in cap.spans:
        _assert_clean(span, "job-alchemy", "sqlite")


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """One PostgreSQL server for the module's tests (each uses tables of its own)."""
    with postgres_server() as dsn:
        yield dsn


@pytest.mark.slow
def test_psycopg_statements_carry_ids_and_the_server_address(postgres: str) -> None:
    import psycopg

    dsn = postgres
    with turned_off_after("psycopg"):
        otelkit.configure(console=False, log_stdout=False, instrument=["psycopg"])
        with (
            capture() as cap,
            otelkit.bind(job_id="job-pg"),
            psycopg.connect(dsn) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute("CREATE TABLE t (owner text, value text)")
            cursor.execute("INSERT INTO t VALUES (%s, %s)", ("ann", PARAMETER))
            cursor.execute(f"INSERT INTO t VALUES ('bob', '{INLINE_KEY}')")
            cursor.execute("SELECT value FROM t WHERE owner = %s", ("ann",))
            assert cursor.fetchall() == [(PARAMETER,)]
            # a real connection (not a proxy), whose own shortcut is traced too
            assert type(connection) is psycopg.Connection
            assert connection.execute("SELECT count(*) FROM t").fetchone() == (2,)
    statements = _statements(cap.spans)
    assert "INSERT INTO t VALUES (%s, %s)" in statements
    assert "SELECT count(*) FROM t" in statements
    select = statements["SELECT value FROM t WHERE owner = %s"]
    assert select.attributes["server.address"] == "127.0.0.1"
    assert select.attributes["db.namespace"] == "postgres"
    for span in cap.spans:
        _assert_clean(span, "job-pg", "postgresql")


@pytest.mark.slow
def test_psycopg2_connections_stay_real_and_their_statements_carry_ids(postgres: str) -> None:
    import psycopg2  # type: ignore[import-untyped]
    import psycopg2.extras  # type: ignore[import-untyped]

    with turned_off_after("psycopg2"):
        otelkit.configure(console=False, log_stdout=False, instrument=["psycopg2"])
        with capture() as cap, otelkit.bind(job_id="job-pg2"):
            # the application's own cursor class is kept (the traced one derives from it)
            connection = psycopg2.connect(postgres, cursor_factory=psycopg2.extras.DictCursor)
            # C code that checks the connection's type: a proxy would be refused
            psycopg2.extras.register_uuid(conn_or_curs=connection)
            with connection, connection.cursor() as cur:
                cur.execute("CREATE TABLE t2 (owner text, value text)")
                cur.execute("INSERT INTO t2 VALUES (%s, %s)", ("ann", PARAMETER))
                cur.execute("SELECT value FROM t2 WHERE owner = %s", ("ann",))
                assert cur.fetchone()["value"] == PARAMETER
            connection.close()
    statements = _statements(cap.spans)
    assert set(statements) == {
        "CREATE TABLE t2 (owner text, value text)",
        "INSERT INTO t2 VALUES (%s, %s)",
        "SELECT value FROM t2 WHERE owner = %s",
    }
    assert statements["INSERT INTO t2 VALUES (%s, %s)"].attributes["server.port"] > 0
    for span in cap.spans:
        _assert_clean(span, "job-pg2", "postgresql")


@pytest.mark.slow
def test_asyncpg_queries_carry_ids_and_never_a_value(postgres: str) -> None:
    import asyncio

    import asyncpg  # type: ignore[import-untyped]

    settings = dict(part.split("=", 1) for part in postgres.split())

    async def work() -> None:
        connection = await asyncpg.connect(
            host=settings["host"],
            port=int(settings["port"]),
            user=settings["user"],
            database=settings["dbname"],
        )
        try:
            await connection.execute("CREATE TABLE t3 (owner text, value text)")
            await connection.execute("INSERT INTO t3 VALUES ($1, $2)", "ann", PARAMETER)
            await connection.execute(f"INSERT INTO t3 VALUES ('bob', '{INLINE_KEY}')")
            value = await connection.fetchval("SELECT value FROM t3 WHERE owner = $1", "ann")
            assert value == PARAMETER
        finally:
            await connection.close()

    with turned_off_after("asyncpg"):
        otelkit.configure(console=False, log_stdout=False, instrument=["asyncpg"])
        with capture() as cap, otelkit.bind(job_id="job-asyncpg"):
            asyncio.run(work())
    statements = _statements(cap.spans)
    assert "INSERT INTO t3 VALUES ($1, $2)" in statements
    assert any("[REDACTED]" in text for text in statements)
    select = statements["SELECT value FROM t3 WHERE owner = $1"]
    assert select.name == "SELECT"
    assert select.attributes["server.address"] == "127.0.0.1"
    assert select.attributes["db.namespace"] == "postgres"
    for span in cap.spans:
        _assert_clean(span, "job-asyncpg", "postgresql")
