"""Throttling what guesses passwords: sign-in, sign-up and changing the password. Failures are counted per
(account, address) pair and per address, never per account alone, so an attacker cannot lock a victim out: the
victim signs in from anywhere else. The limit is checked before the password is, so a throttled pair is refused
even with the right one. Settings: ``signin_failures_per_account_ip``, ``signin_failures_per_ip``,
``signups_per_ip``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItem

from shoppable.config import Settings
from shoppable.identity.rules import normalise_email
from shoppable.kit.errors import ShoppableError
from shoppable.kit.throttle import Throttle, rate, retry_after


@dataclass(frozen=True, slots=True)
class AuthLimits:
    failures_per_account_ip: RateLimitItem
    failures_per_ip: RateLimitItem
    signups_per_ip: RateLimitItem


@lru_cache(maxsize=8)
def _limits(per_account_ip: str, per_ip: str, signups: str) -> AuthLimits:
    return AuthLimits(rate(per_account_ip), rate(per_ip), rate(signups))


def limits_of(settings: Settings) -> AuthLimits:
    return _limits(settings.signin_failures_per_account_ip, settings.signin_failures_per_ip, settings.signups_per_ip)


def _account(email: str) -> str:
    # Keyed by the email asked for, known account or not (the throttle must not tell which emails exist), and
    # by digest, so the shared store holds no email in clear.
    return hashlib.blake2b(normalise_email(email).encode(), digest_size=16).hexdigest()


def _in_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def rate_limited(wait_s: float, what: str) -> ShoppableError:
    """429 ``rate_limited`` with ``Retry-After`` in whole seconds."""
    seconds = retry_after(wait_s)
    return ShoppableError(
        "rate_limited", 429, f"{what} Try again in {_in_words(seconds)}.", headers={"Retry-After": str(seconds)}
    )


@dataclass(frozen=True, slots=True)
class AuthThrottle:
    """The throttle as one request from one address sees it."""

    throttle: Throttle
    limits: AuthLimits
    address: str

    async def check_sign_in(self, email: str) -> None:
        pair = await self.throttle.over(self.limits.failures_per_account_ip, "signin", _account(email), self.address)
        if pair is not None:
            raise rate_limited(pair, "Too many wrong passwords for this account from your network.")
        anywhere = await self.throttle.over(self.limits.failures_per_ip, "signin", self.address)
        if anywhere is not None:
            raise rate_limited(anywhere, "Too many failed sign-ins from your network.")

    async def sign_in_failed(self, email: str) -> None:
        await self.throttle.hit(self.limits.failures_per_account_ip, "signin", _account(email), self.address)
        await self.throttle.hit(self.limits.failures_per_ip, "signin", self.address)

    async def signed_in(self, email: str) -> None:
        """The right password forgives this pair's failures (not the address's: a guesser holding one account
        of their own must not be able to wipe their count by signing in to it)."""
        await self.throttle.clear(self.limits.failures_per_account_ip, "signin", _account(email), self.address)

    async def count_sign_up(self) -> None:
        """Refuse a sign-up past the address's limit, else count this attempt (whatever its outcome: a
        refused email or password costs as much to answer and tells as much)."""
        wait = await self.throttle.over(self.limits.signups_per_ip, "signup", self.address)
        if wait is not None:
            raise rate_limited(wait, "Too many sign-ups from your network.")
        await self.throttle.hit(self.limits.signups_per_ip, "signup", self.address)

    async def check_password_change(self, user_id: str) -> None:
        wait = await self.throttle.over(self.limits.failures_per_account_ip, "password", user_id, self.address)
        if wait is not None:
            raise rate_limited(wait, "Too many wrong current passwords.")

    async def password_change_failed(self, user_id: str) -> None:
        await self.throttle.hit(self.limits.failures_per_account_ip, "password", user_id, self.address)


def auth_throttle(request: Request) -> AuthThrottle:
    """The dependency: the application's throttle, its settings' limits, and the client's address as uvicorn
    reports it (behind a proxy, from ``X-Forwarded-For`` when the proxy is trusted: ``--forwarded-allow-ips``)."""
    address = request.client.host if request.client else "unknown"
    return AuthThrottle(request.app.state.throttle, limits_of(request.app.state.settings), address)


RequestThrottle = Annotated[AuthThrottle, Depends(auth_throttle)]
