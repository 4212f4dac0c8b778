"""Payment use cases: open a payment, charge it through the provider, refund or void it, read it.

Provider calls are made outside the caller's locks where possible (charging happens between the order's
two transactions); refunds run inside the refunding transaction, guarded by a conditional update so the
sum of refunds never exceeds the capture, and retry safely because the provider dedupes by reference.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.kit.clock import utcnow
from shoppable.kit.db import core_execute, queue_insert
from shoppable.kit.errors import ShoppableError
from shoppable.kit.money import Money
from shoppable.payment.models import Payment
from shoppable.payment.provider import Authorization, Capture, PaymentProvider


@dataclass(frozen=True, slots=True)
class Charge:
    payment_id: str
    authorization: Authorization
    capture: Capture


async def open_payments(session: AsyncSession, *, buyer_id: str, provider: str, amounts: dict[str, Money]) -> None:
    """Record pending payments (payment id → amount) before the provider is asked for anything."""
    now = utcnow()
    queue_insert(
        session,
        Payment.__table__,  # type: ignore[arg-type]
        [
            {
                "id": payment_id,
                "buyer_id": buyer_id,
                "provider": provider,
                "status": "pending",
                "amount": amount.amount,
                "currency": amount.currency,
                "authorization_id": None,
                "capture_id": None,
                "captured_amount": 0,
                "refunded_amount": 0,
                "created_at": now,
                "updated_at": now,
            }
            for payment_id, amount in amounts.items()
        ],
    )


async def charge(provider: PaymentProvider, *, token: str, amounts: dict[str, Money]) -> list[Charge]:
    """Authorize and capture every payment, or none: a refusal voids those already authorized and raises.

    No database work: the caller runs this between its transactions, holding no lock.
    """
    authorized: list[tuple[str, Authorization]] = []
    try:
        for payment_id, amount in amounts.items():
            authorized.append((payment_id, await provider.authorize(token=token, amount=amount, reference=payment_id)))
        return [
            Charge(
                payment_id,
                authorization,
                await provider.capture(authorization, amount=authorization.amount, reference=payment_id),
            )
            for payment_id, authorization in authorized
        ]
    except ShoppableError:
        for payment_id, authorization in authorized:
            await provider.void(authorization, reference=payment_id)
        raise


_RECORD_CAPTURE = (
    update(Payment)
    .where(Payment.id == bindparam("payment_id"), Payment.status == "pending")
    .values(
        status="captured",
        authorization_id=bindparam("authorization_id"),
        capture_id=bindparam("capture_id"),
        captured_amount=bindparam("captured_amount"),
        updated_at=bindparam("now"),
    )
)


async def record_charges(session: AsyncSession, charges: Iterable[Charge]) -> None:
    now = utcnow()
    for done in charges:
        await core_execute(
            session,
            _RECORD_CAPTURE,
            {
                "payment_id": done.payment_id,
                "authorization_id": done.authorization.id,
                "capture_id": done.capture.id,
                "captured_amount": done.capture.amount.amount,
                "now": now,
            },
        )


async def refund(
    session: AsyncSession, provider: PaymentProvider, *, payment_id: str, amount: Money, reference: str
) -> str:
    """Refund part of a captured payment; the provider's refund id. Never more than was captured, summed
    over every refund, even when refunds race (a conditional update claims the amount first)."""
    now = utcnow()
    row = (
        await core_execute(
            session,
            update(Payment)
            .where(
                Payment.id == payment_id,
                Payment.currency == amount.currency,
                Payment.capture_id.is_not(None),
                Payment.refunded_amount + amount.amount <= Payment.captured_amount,
            )
            .values(
                refunded_amount=Payment.refunded_amount + amount.amount,
                status=case(
                    (Payment.refunded_amount + amount.amount == Payment.captured_amount, "refunded"),
                    else_="partially_refunded",
                ),
                updated_at=now,
            )
            .returning(Payment.capture_id, Payment.captured_amount),
        )
    ).first()
    if row is None:
        raise ShoppableError("refund_exceeds_payment", 409, "This refund is more than what is left on the payment.")
    capture = Capture(id=row.capture_id, amount=Money(row.captured_amount, amount.currency))
    done = await provider.refund(capture, amount=amount, reference=reference)
    return done.id


async def void(session: AsyncSession, provider: PaymentProvider, *, payment_id: str) -> None:
    """Give up a payment that was never captured (its order expired before the charge was recorded)."""
    row = (
        await core_execute(
            session,
            update(Payment)
            .where(Payment.id == payment_id, Payment.status == "pending")
            .values(status="voided", updated_at=utcnow())
            .returning(Payment.amount, Payment.currency),
        )
    ).first()
    if row is None:
        return
    # A pending payment's authorization was never recorded (it is recorded with the capture): the provider
    # finds it by the reference it was made with.
    await provider.void(Authorization(id="", amount=Money(row.amount, row.currency)), reference=payment_id)


async def statuses(session: AsyncSession, payment_ids: Iterable[str]) -> dict[str, str]:
    ids = list(set(payment_ids))
    if not ids:
        return {}
    rows = await core_execute(session, select(Payment.id, Payment.status).where(Payment.id.in_(ids)))
    return {row.id: row.status for row in rows}


async def mark_failed(session: AsyncSession, payment_ids: list[str]) -> None:
    """Payments the provider refused (kept, without their orders, as a record of the attempt)."""
    await core_execute(
        session,
        update(Payment)
        .where(Payment.id.in_(payment_ids), Payment.status == "pending")
        .values(status="failed", updated_at=utcnow()),
    )
