"""Idempotency keys: a retried write returns the first response and does nothing twice."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import Header
from sqlalchemy import JSON, Integer, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shoppable.kit.clock import utcnow
from shoppable.kit.db import Base
from shoppable.kit.errors import ShoppableError

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Retry-safe key: the same key and body returns the first response again.",
    ),
]


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(index=True)


def fingerprint(*parts: Any) -> str:
    """A stable hash of what makes two requests "the same" (method, path, body...)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else orjson.dumps(part, option=orjson.OPT_SORT_KEYS))
        digest.update(b"\x1f")
    return digest.hexdigest()


async def _stored(session: AsyncSession, principal: str, key: str) -> IdempotencyRecord | None:
    result = await session.execute(
        select(IdempotencyRecord).where(IdempotencyRecord.principal == principal, IdempotencyRecord.key == key)
    )
    return result.scalar_one_or_none()


def _replay(record: IdempotencyRecord, request_fingerprint: str) -> tuple[int, Any]:
    if record.fingerprint != request_fingerprint:
        raise ShoppableError(
            "idempotency_key_reused",
            422,
            "This Idempotency-Key was already used with a different request.",
        )
    return record.status_code, record.body


async def run_once(
    session: AsyncSession,
    *,
    principal: str,
    key: str | None,
    request_fingerprint: str,
    action: Callable[[], Awaitable[tuple[int, Any]]],
) -> tuple[int, Any]:
    """Run ``action`` (returning status and JSON body) at most once per principal and key.

    The key row is inserted in the caller's transaction before the action runs: a concurrent request with
    the same key waits on the unique index until the first commits, then replays its stored response.
    Failures roll the key back with everything else, so a failed request may be retried with its key.
    """
    if key is None:
        return await action()
    existing = await _stored(session, principal, key)
    if existing is not None:
        return _replay(existing, request_fingerprint)
    record = IdempotencyRecord(
        principal=principal,
        key=key,
        fingerprint=request_fingerprint,
        status_code=0,
        body=None,
        created_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(record)
            await session.flush()
    except IntegrityError:
        winner = await _stored(session, principal, key)
        if winner is None:  # pragma: no cover - the winner rolled back; let the client retry
            raise ShoppableError(
                "idempotency_conflict", 409, "A request with this Idempotency-Key is in progress; retry."
            ) from None
        return _replay(winner, request_fingerprint)
    status_code, body = await action()
    record.status_code = status_code
    record.body = body
    await session.flush()
    return status_code, body


async def purge_expired(session: AsyncSession, ttl: timedelta) -> int:
    result = await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - ttl))
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = ["IdempotencyKey", "IdempotencyRecord", "fingerprint", "purge_expired", "run_once"]
