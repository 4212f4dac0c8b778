"""Argon2id password hashing and the strength check, run off the event loop (a hash costs tens of milliseconds
by design, judging a password up to a few hundred)."""

from __future__ import annotations

from functools import lru_cache, partial

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shoppable.config import get_settings
from shoppable.identity.rules import check_password

# One password judged at a time (zxcvbn is not thread-safe), waiting here rather than in a worker thread, so a
# queue of sign-ups never takes the threads the hashes need. One limiter per event loop, as anyio keeps its own.
_JUDGE: RunVar[anyio.CapacityLimiter] = RunVar("shoppable_password_judge")


def _judge() -> anyio.CapacityLimiter:
    try:
        return _JUDGE.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(1)
        _JUDGE.set(limiter)
        return limiter


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


async def check_strength(password: str, *, email: str, name: str, field: str = "password") -> None:
    """422 ``weak_password`` for a password too easy to guess (``rules.check_password``)."""
    await anyio.to_thread.run_sync(
        partial(check_password, password, email=email, name=name, field=field), limiter=_judge()
    )
