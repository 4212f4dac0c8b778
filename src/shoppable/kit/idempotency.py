"""Idempotency keys: a retried write returns the first response and does nothing twice."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import Header
from sqlalchemy import JSON, Integer, String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from shoppable.kit.clock import utcnow
from shoppable.kit.db import Base, core_execute, insert_ignoring_conflicts
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
        select(IdempotencyRecord)
        .where(IdempotencyRecord.principal == principal, IdempotencyRecord.key == key)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


def _replay(record: IdempotencyRecord, request_fingerprint: str) -> tuple[int, Any]:
    if record.fingerprint != request_fingerprint:
        raise ShoppableError(
            "idempotency_key_reused",
            422,
            "This Idempotency-Key was already used with a different request.",
        )
    if record.status_code == IN_PROGRESS:
        raise ShoppableError(
            "idempotency_in_progress",
            409,
            "A request with this Idempotency-Key is still in progress; retry shortly.",
            headers={"Retry-After": "1"},
        )
    return record.status_code, record.body


IN_PROGRESS = 0


async def answered(session: AsyncSession, *, principal: str, key: str) -> bool:
    """Whether a request with this key already ran to its end (a form submitted twice asks before it validates
    against a state its first submission changed)."""
    record = await _stored(session, principal, key)
    return record is not None and record.status_code != IN_PROGRESS


async def claim(session: AsyncSession, *, principal: str, key: str, request_fingerprint: str) -> tuple[int, Any] | None:
    """Claim ``key`` for this request in the caller's transaction: None when the request should run, else the
    stored response of the first request to send again.

    The claim is one ``INSERT ... ON CONFLICT DO NOTHING``: a concurrent request with the same key waits on
    the unique index until the first commits (then replays it) or rolls back (then runs itself). A first
    request that spans several transactions commits its claim before it finishes: meanwhile the same key gets
    409 ``idempotency_in_progress``.
    """
    row = {
        "principal": principal,
        "key": key,
        "fingerprint": request_fingerprint,
        "status_code": IN_PROGRESS,
        "body": None,
        "created_at": utcnow(),
    }
    table = IdempotencyRecord.__table__
    if await insert_ignoring_conflicts(session, table, [row], returning=IdempotencyRecord.key):  # type: ignore[arg-type]
        return None
    existing = await _stored(session, principal, key)
    if existing is None:  # pragma: no cover - purged between the two statements
        raise ShoppableError("idempotency_in_progress", 409, "Retry this request.", headers={"Retry-After": "1"})
    return _replay(existing, request_fingerprint)


async def complete(session: AsyncSession, *, principal: str, key: str, status_code: int, body: Any) -> None:
    """Store the response of a claimed request, to be sent again for every retry with the key."""
    await core_execute(
        session,
        update(IdempotencyRecord)
        .where(IdempotencyRecord.principal == principal, IdempotencyRecord.key == key)
        .values(status_code=status_code, body=body),
    )


async def release(session: AsyncSession, *, principal: str, key: str) -> None:
    """Give a claimed key back, so a retry runs again (after a failure that changed nothing)."""
    await core_execute(
        session,
        delete(IdempotencyRecord).where(IdempotencyRecord.principal == principal, IdempotencyRecord.key == key),
    )


async def run_once(
    session: AsyncSession,
    *,
    principal: str,
    key: str | None,
    request_fingerprint: str,
    action: Callable[[], Awaitable[tuple[int, Any]]],
) -> tuple[int, Any]:
    """Run ``action`` (returning status and JSON body) at most once per principal and key, all in the caller's
    transaction. Failures roll the claim back with everything else, so a failed request may be retried."""
    if key is None:
        return await action()
    stored = await claim(session, principal=principal, key=key, request_fingerprint=request_fingerprint)
    if stored is not None:
        return stored
    status_code, body = await action()
    await complete(session, principal=principal, key=key, status_code=status_code, body=body)
    return status_code, body


async def purge_expired(session: AsyncSession, ttl: timedelta) -> int:
    result = await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - ttl))
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_abandoned(session: AsyncSession, older_than: datetime) -> int:
    """Drop claims whose request never finished (its process died mid-way), so their key can be used again."""
    result = await session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.status_code == IN_PROGRESS, IdempotencyRecord.created_at < older_than
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = [
    "IdempotencyKey",
    "IdempotencyRecord",
    "claim",
    "complete",
    "fingerprint",
    "purge_abandoned",
    "purge_expired",
    "release",
    "run_once",
]
