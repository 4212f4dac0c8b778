"""What orders post to the ledger: payments captured, referral fees, refunds, and shops' settlement
(the accounts are described in ``ledger/accounts.py``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.kit.money import Money
from shoppable.ledger import accounts
from shoppable.ledger import service as ledger
from shoppable.ledger.rules import Leg
from shoppable.ledger.service import Posting
from shoppable.order.models import Order


async def _open(session: AsyncSession, shop_id: str, currency: str) -> tuple[str, str, str, str]:
    clear, fees, pending, available = await ledger.open_accounts(
        session,
        [
            accounts.clearing(currency),
            accounts.fee_revenue(currency),
            accounts.shop_pending(shop_id, currency),
            accounts.shop_available(shop_id, currency),
        ],
    )
    return clear, fees, pending, available


def _legs(pairs: list[tuple[str, int]], currency: str) -> list[Leg]:
    return [Leg(account, Money(amount, currency)) for account, amount in pairs if amount != 0]


async def book_paid_orders(session: AsyncSession, orders: list[Order]) -> None:
    """For each paid order: the capture (clearing to the shop's pending payable) and the referral fee."""
    postings = []
    for order in orders:
        clear, fees, pending, _ = await _open(session, order.shop_id, order.currency)
        postings.append(
            Posting("order.capture", order.id, _legs([(clear, order.total), (pending, -order.total)], order.currency))
        )
        if order.fee_total:
            postings.append(
                Posting(
                    "order.fee", order.id, _legs([(pending, order.fee_total), (fees, -order.fee_total)], order.currency)
                )
            )
    await ledger.post_many(session, postings)


async def book_refund(
    session: AsyncSession, order: Order, *, reference: str, amount: int, fee_returned: int, completed: bool
) -> None:
    """A refund out of the shop's payable (available once the order completed), and the part of the referral
    fee the platform gives back with it."""
    clear, fees, pending, available = await _open(session, order.shop_id, order.currency)
    payable = available if completed else pending
    postings = [Posting("order.refund", reference, _legs([(payable, amount), (clear, -amount)], order.currency))]
    if fee_returned:
        postings.append(
            Posting(
                "order.fee_refund", reference, _legs([(fees, fee_returned), (payable, -fee_returned)], order.currency)
            )
        )
    await ledger.post_many(session, postings)


async def book_settlement(session: AsyncSession, order: Order, *, commission_kept: int) -> None:
    """A completed order's net from pending to available: what the buyer kept, less the fee and the creators'
    commissions kept (both were taken out of the pending payable when booked)."""
    net = (order.total - order.refunded_total) - (order.fee_total - order.refunded_fee_total) - commission_kept
    if net == 0:
        return
    _, _, pending, available = await _open(session, order.shop_id, order.currency)
    await ledger.post(
        session,
        kind="order.settlement",
        reference=order.id,
        legs=_legs([(pending, net), (available, -net)], order.currency),
    )
