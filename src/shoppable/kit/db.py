"""Database plumbing: declarative Base, engines (SQLite WAL or PostgreSQL), one transaction per request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import JSON, Executable, MetaData, String, Table, bindparam, event, text
from sqlalchemy.engine import Connection, CursorResult, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool
from sqlalchemy.types import DateTime, TypeDecorator

from shoppable.kit.read_cache import ReadCache

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), str: String()}


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def create_engine(url: str, *, echo: bool = False, pooled: bool = True, pool_size: int = 40) -> AsyncEngine:
    """An async engine; on SQLite, WAL mode and write transactions that take the write lock up front.

    ``pooled=False`` opens a connection per session: for callers that run each request on a new event loop.
    """
    pool: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
    json_codec = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}
    if not is_sqlite(url):
        if pooled:
            # Overflow connections are closed on return, and opening one costs several milliseconds: size the
            # pool for the expected concurrency (SHOPPABLE_DB_POOL_SIZE) and keep overflow for bursts only.
            pool = {"pool_size": pool_size, "max_overflow": 10, "pool_recycle": 3600}
        return create_async_engine(url, echo=echo, **json_codec, **pool)
    _prepare_sqlite_file(url)
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, **json_codec, **pool)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A deferred transaction that later writes can fail at once with SQLITE_BUSY when another writer
        # got there first (no busy wait on lock upgrade). Writers take the lock at BEGIN and queue instead.
        options = connection.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get("shoppable_write") else "BEGIN")

    return engine


class Database:
    """One engine and its session factories: read sessions and write sessions.

    Read sessions run each statement on its own (autocommit): a read request then costs its queries'
    round trips only, without BEGIN and COMMIT, which halves the round trips of a product read. Reads
    that need several statements to agree with each other use a write session or one statement.
    """

    def __init__(self, url: str, *, echo: bool = False, pooled: bool = True, pool_size: int = 40) -> None:
        self.url = url
        # Set by the app when reads are cached: services then evict what they change (kit/read_cache.py).
        self.read_cache: ReadCache | None = None
        self.engine = create_engine(url, echo=echo, pooled=pooled, pool_size=pool_size)
        self.is_sqlite = is_sqlite(url)
        self._reader = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False, autoflush=False
        )
        self._writer = async_sessionmaker(
            self.engine.execution_options(shoppable_write=True), expire_on_commit=False, autoflush=False
        )

    @asynccontextmanager
    async def session(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A write session in one transaction (committed when the block ends, rolled back if it raises), or
        a read session whose statements each run on their own. Rows queued with ``queue_insert`` are written
        before the commit."""
        info = {"read_cache": self.read_cache} if self.read_cache is not None else {}
        if not write:
            async with self._reader(info=info) as session:
                yield session
            return
        async with self._writer(info=info) as session, session.begin():
            yield session
            await flush_queued(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


async def core_execute(session: AsyncSession, statement: Executable, params: Any = None) -> CursorResult[Any]:
    """Run a Core statement on the session's connection and transaction, skipping the ORM's per-statement
    machinery (which costs about as much again as the database round trip for a one-row read)."""
    connection = await session.connection()
    return await connection.execute(statement, params)


# Below this many rows, plain statements beat COPY's set-up (and a staging table's, for updates).
COPY_THRESHOLD = 100


def _copy_records(table: Table, rows: list[dict[str, Any]], columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows as tuples for COPY; JSON columns serialised (asyncpg sends json as text)."""
    json_positions = [i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
    records = [[row[name] for name in columns] for row in rows]
    for record in records:
        for i in json_positions:
            if record[i] is not None:
                record[i] = _json_dumps(record[i])
    return [tuple(record) for record in records]


async def _copy(session: AsyncSession, target: str, columns: Sequence[str], records: list[tuple[Any, ...]]) -> None:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    if not driver.is_in_transaction():  # pragma: no cover - the session has always read something first
        await connection.execute(text("SELECT 1"))
    from asyncpg.exceptions import IntegrityConstraintViolationError

    try:
        await driver.copy_records_to_table(target, records=records, columns=list(columns))
    except IntegrityConstraintViolationError as error:  # raised as SQLAlchemy raises it for its own statements
        raise IntegrityError(f"COPY {target}", None, error) from error


async def bulk_insert(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows in the session's transaction: PostgreSQL's COPY where available, else executemany.

    COPY moves rows several times faster than per-row INSERTs through the protocol, which is what a bulk
    import spends most of its database time on.
    """
    if not rows:
        return
    if len(rows) < COPY_THRESHOLD or session.get_bind().dialect.name != "postgresql":
        await core_execute(session, _insert_into(table), rows)
        return
    columns = list(rows[0])
    await _copy(session, table.name, columns, _copy_records(table, rows, columns))


async def bulk_insert_records(
    session: AsyncSession, table: Table, columns: Sequence[str], records: list[tuple[Any, ...]]
) -> None:
    """``bulk_insert`` for rows already held as tuples in ``columns`` order (no JSON columns): COPY takes them
    as they are, with no dict per row."""
    if not records:
        return
    if len(records) < COPY_THRESHOLD or session.get_bind().dialect.name != "postgresql":
        await core_execute(session, _insert_into(table), [dict(zip(columns, r, strict=True)) for r in records])
        return
    await _copy(session, table.name, columns, records)


@lru_cache(maxsize=256)
def _insert_into(table: Table) -> Any:
    return table.insert()


async def bulk_update_by_id(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Update many rows by their ``id`` (every row names the same columns).

    On PostgreSQL the new values are copied into a temporary table and applied by one UPDATE ... FROM; elsewhere
    an executemany UPDATE.
    """
    if not rows:
        return
    columns = [name for name in rows[0] if name != "id"]
    if len(rows) < COPY_THRESHOLD or session.get_bind().dialect.name != "postgresql":
        statement = (
            table.update()
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in columns})
        )
        await core_execute(session, statement, [{f"b_{key}": value for key, value in row.items()} for row in rows])
        return
    staging = f"_staging_{table.name}"
    listed = ", ".join(["id", *columns])
    await core_execute(session, text(f"DROP TABLE IF EXISTS {staging}"))
    await core_execute(
        session,
        text(f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {listed} FROM {table.name} WITH NO DATA"),
    )
    await _copy(session, staging, ["id", *columns], _copy_records(table, rows, ["id", *columns]))
    assignments = ", ".join(f"{name} = {staging}.{name}" for name in columns)
    await core_execute(
        session, text(f"UPDATE {table.name} SET {assignments} FROM {staging} WHERE {table.name}.id = {staging}.id")
    )


async def insert_ignoring_conflicts(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], *, returning: Any = None
) -> list[Any]:
    """``INSERT ... ON CONFLICT DO NOTHING`` on either engine, in one round trip and without a savepoint.

    With ``returning`` (a column), the values of the rows actually inserted. A row that conflicts with one
    being written by a concurrent transaction waits for it, then is skipped if that transaction committed.
    """
    if not rows:
        return []
    statement: Any
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        statement = postgresql.insert(table).values(rows).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects import sqlite

        statement = sqlite.insert(table).values(rows).on_conflict_do_nothing()
    if returning is None:
        await core_execute(session, statement)
        return []
    return list((await core_execute(session, statement.returning(returning))).scalars())


def after_commit(session: AsyncSession, callback: Any) -> None:
    """Call ``callback()`` once the session's current transaction commits (never if it rolls back)."""

    def _run(_sync_session: Any) -> None:
        callback()

    event.listen(session.sync_session, "after_commit", _run, once=True)


# --- queued inserts: append-only rows written together ---------------------------------------------------------

_QUEUE_KEY = "queued_inserts"


def queue_insert(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Queue rows to insert with the transaction's other queued rows, in one statement on PostgreSQL.

    For append-only rows nothing reads back before they are flushed: they are written by ``flush_queued``,
    which the session's owner calls before committing (``Database.session`` does) and which code that must
    see them, or that must write something after them, calls first.
    """
    if rows:
        session.info.setdefault(_QUEUE_KEY, []).append((table, rows))


def discard_queued(session: AsyncSession) -> None:
    """Forget queued rows (their savepoint rolled back)."""
    session.info.pop(_QUEUE_KEY, None)


async def flush_queued(session: AsyncSession) -> None:
    """Write every queued row: on PostgreSQL one statement whatever the tables (each table's rows go in as
    one JSON parameter expanded by ``jsonb_populate_recordset``); elsewhere a statement per table."""
    queued: list[tuple[Table, list[dict[str, Any]]]] = session.info.pop(_QUEUE_KEY, [])
    if not queued:
        return
    if session.get_bind().dialect.name != "postgresql":
        for table, rows in queued:
            await bulk_insert(session, table, rows)
        return
    parts, params = [], []
    for number, (table, rows) in enumerate(queued, start=1):
        columns = ", ".join(f'"{name}"' for name in rows[0])
        parts.append(
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} "
            f"FROM jsonb_populate_recordset(NULL::{table.name}, ${number}::jsonb)"
        )
        params.append(orjson.dumps(rows).decode())
    sql = (
        parts[0]
        if len(parts) == 1
        else "WITH " + ", ".join(f"q{n} AS ({part})" for n, part in enumerate(parts)) + " SELECT 1"
    )
    connection = await session.connection()
    await connection.exec_driver_sql(sql, tuple(params))
