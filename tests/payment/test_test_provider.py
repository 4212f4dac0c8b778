"""The built-in test provider behaves like Stripe's test mode for the tokens orders use."""

from __future__ import annotations

import pytest

from shoppable.kit.errors import ShoppableError
from shoppable.kit.money import Money
from shoppable.payment.provider import PaymentProvider
from shoppable.payment.test_provider import TestPaymentProvider

USD_10 = Money(1000, "USD")


@pytest.fixture
def provider() -> PaymentProvider:
    return TestPaymentProvider()


async def test_visa_authorizes_captures_and_refunds(provider: PaymentProvider) -> None:
    authorization = await provider.authorize(token="tok_visa", amount=USD_10, reference="order-1")
    assert authorization.amount == USD_10
    assert authorization == await provider.authorize(token="tok_visa", amount=USD_10, reference="order-1")  # retry
    capture = await provider.capture(authorization, amount=USD_10, reference="order-1")
    refund = await provider.refund(capture, amount=Money(400, "USD"), reference="refund-1")
    assert refund.amount == Money(400, "USD")
    assert len({authorization.id, capture.id, refund.id}) == 3


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [
        ("tok_chargeDeclined", 402, "payment_declined"),
        ("tok_processingError", 502, "payment_provider_error"),
        ("tok_madeUp", 422, "invalid_payment_token"),
    ],
)
async def test_refusals(provider: PaymentProvider, token: str, status: int, code: str) -> None:
    with pytest.raises(ShoppableError) as refused:
        await provider.authorize(token=token, amount=USD_10, reference="order-2")
    assert (refused.value.status, refused.value.code) == (status, code)


async def test_never_more_than_authorized_or_captured(provider: PaymentProvider) -> None:
    authorization = await provider.authorize(token="tok_visa", amount=USD_10, reference="order-3")
    with pytest.raises(ShoppableError, match="at most what was authorized"):
        await provider.capture(authorization, amount=Money(1001, "USD"), reference="order-3")
    with pytest.raises(ShoppableError, match="at most what was authorized"):
        await provider.capture(authorization, amount=Money(1000, "EUR"), reference="order-3")
    capture = await provider.capture(authorization, amount=Money(900, "USD"), reference="order-3")
    with pytest.raises(ShoppableError, match="at most what was captured"):
        await provider.refund(capture, amount=USD_10, reference="refund-3")
    with pytest.raises(ShoppableError, match="more than zero"):
        await provider.authorize(token="tok_visa", amount=Money(0, "USD"), reference="order-4")
