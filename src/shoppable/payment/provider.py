"""The payment provider protocol: authorize, capture, void, refund. Orders depend on this, never on a vendor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from shoppable.kit.errors import ShoppableError
from shoppable.kit.money import Money


@dataclass(frozen=True, slots=True)
class Authorization:
    id: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Capture:
    id: str
    amount: Money


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    id: str
    amount: Money


def payment_declined(detail: str = "The card was declined.") -> ShoppableError:
    return ShoppableError("payment_declined", 402, detail)


def provider_error(detail: str = "The payment provider failed; nothing was charged. Try again.") -> ShoppableError:
    return ShoppableError("payment_provider_error", 502, detail)


class PaymentProvider(Protocol):
    """What checkout needs from a payment provider. Every call is retry-safe with the same ``reference``.

    Implementations raise ``payment_declined`` (402) when the payer's bank says no and ``provider_error``
    (502) when the provider cannot answer; other refusals are 422s.
    """

    name: str

    async def authorize(self, *, token: str, amount: Money, reference: str) -> Authorization: ...

    async def capture(self, authorization: Authorization, *, amount: Money, reference: str) -> Capture: ...

    async def void(self, authorization: Authorization, *, reference: str) -> None: ...

    async def refund(self, capture: Capture, *, amount: Money, reference: str) -> ProviderRefund: ...
