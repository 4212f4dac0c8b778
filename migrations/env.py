"""Alembic environment: async engines, URL from SHOPPABLE_DATABASE_URL, engine-specific search tables ignored."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from shoppable.config import get_settings
from shoppable.kit.db import create_engine
from shoppable.models import metadata

config = context.config
# Created in raw SQL per engine (FTS5 virtual table and its shadow tables, or a tsvector table).
ENGINE_SPECIFIC_TABLES = ("product_search",)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table" and name and name.startswith(ENGINE_SPECIFIC_TABLES):
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and str(table.name).startswith(ENGINE_SPECIFIC_TABLES))


def database_url() -> str:
    return config.attributes.get("database_url") or get_settings().database_url


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(database_url())
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=metadata, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
