"""Argon2id password hashing, run off the event loop (a hash costs tens of milliseconds by design)."""

from __future__ import annotations

from functools import lru_cache

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shoppable.config import get_settings


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher().hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher().verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(verify)


_DUMMY_HASH: list[str] = []


async def burn_verify(password: str) -> None:
    """Spend the time of a real verification, so a login for an unknown email is not faster."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(await hash_password("not-a-real-password"))
    await verify_password(_DUMMY_HASH[0], password)
