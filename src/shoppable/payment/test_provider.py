"""The built-in test provider, with Stripe's test tokens: ``tok_visa`` pays, ``tok_chargeDeclined`` is declined,
``tok_processingError`` fails at the provider.

It keeps no state of its own, so every process of a deployment agrees with every other: ids are derived from
the caller's ``reference``, and what may be captured or refunded is checked against the amounts the caller's
own payment records pass in (as a real provider checks against its records).
"""

from __future__ import annotations

import hashlib

from shoppable.kit.errors import ShoppableError
from shoppable.kit.money import Money
from shoppable.payment.provider import Authorization, Capture, ProviderRefund, payment_declined, provider_error

SUCCEEDS = "tok_visa"
DECLINED = "tok_chargeDeclined"
PROCESSING_ERROR = "tok_processingError"
KNOWN_TOKENS = frozenset({SUCCEEDS, DECLINED, PROCESSING_ERROR})


def _id(prefix: str, reference: str) -> str:
    return f"{prefix}_{hashlib.sha256(reference.encode()).hexdigest()[:24]}"


class TestPaymentProvider:
    """Deterministic and stateless: the same call with the same reference returns the same result."""

    __test__ = False  # not a pytest test class, despite its name
    name = "test"

    async def authorize(self, *, token: str, amount: Money, reference: str) -> Authorization:
        if token not in KNOWN_TOKENS:
            raise ShoppableError(
                "invalid_payment_token",
                422,
                f"Unknown payment token {token[:40]!r}; the test provider takes "
                f"{SUCCEEDS}, {DECLINED} or {PROCESSING_ERROR}.",
                errors=[{"loc": ["body", "payment", "token"], "msg": "unknown test token"}],
            )
        if amount.amount <= 0:
            raise ShoppableError("invalid_amount", 422, "A payment must be for more than zero.")
        if token == DECLINED:
            raise payment_declined("Your card was declined (test token tok_chargeDeclined).")
        if token == PROCESSING_ERROR:
            raise provider_error("The test provider simulated a processing error (tok_processingError).")
        return Authorization(id=_id("tpa", reference), amount=amount)

    async def capture(self, authorization: Authorization, *, amount: Money, reference: str) -> Capture:
        if amount.currency != authorization.amount.currency or not 0 < amount.amount <= authorization.amount.amount:
            raise ShoppableError(
                "invalid_amount", 422, "A capture must be more than zero and at most what was authorized."
            )
        return Capture(id=_id("tpc", reference), amount=amount)

    async def void(self, authorization: Authorization, *, reference: str) -> None:
        return None

    async def refund(self, capture: Capture, *, amount: Money, reference: str) -> ProviderRefund:
        if amount.currency != capture.amount.currency or not 0 < amount.amount <= capture.amount.amount:
            raise ShoppableError(
                "invalid_amount", 422, "A refund must be more than zero and at most what was captured."
            )
        return ProviderRefund(id=_id("tpr", reference), amount=amount)
