"""Request-scoped dependencies: the database session whose transaction spans the request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.kit.db import Database

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    # Committed when the endpoint returns, before the response is sent (scope="function"), so a failed
    # commit is the client's error response rather than a lost write behind a 2xx.
    async with get_database(request).session(write=request.method not in _SAFE_METHODS) as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
