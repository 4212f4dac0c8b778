"""The payout provider protocol (sending earnings to a creator's bank or wallet) and the built-in test provider."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from shoppable.kit.money import Money


class PayoutRefused(Exception):
    """The provider said no for good (closed account, limits): the money goes back to the creator's balance."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PayoutProvider(Protocol):
    """Sends money out. ``send`` is retry-safe with the same ``reference`` (the payout id) and returns the
    provider's reference; it raises ``PayoutRefused`` for a definite refusal. Any other exception means the
    outcome is unknown: the payout stays ``processing`` with its money in transit until reconciled."""

    name: str

    async def send(self, *, reference: str, creator_id: str, amount: Money) -> str: ...


@dataclass
class TestPayoutProvider:
    """Pays every payout at once, except to creators listed in ``refuse`` (for tests of the refusal path).
    Stateless like the test payment provider: the provider's reference is derived from ours."""

    __test__ = False  # not a pytest test class, whatever its name

    name: str = "test"
    refuse: set[str] = field(default_factory=set)

    async def send(self, *, reference: str, creator_id: str, amount: Money) -> str:
        if creator_id in self.refuse:
            raise PayoutRefused("The test provider refuses payouts to this creator.")
        return f"tpo_{hashlib.sha256(reference.encode()).hexdigest()[:24]}"
