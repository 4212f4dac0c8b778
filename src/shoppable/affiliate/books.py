"""What commissions and payouts post to the ledger (accounts in ``ledger/accounts.py``).

- ``commission.accrue``: the shop's pending payable funds the commission, the creator's pending earnings grow.
- ``commission.reverse``: a refund gives back the reversed part the same way.
- ``commission.settle``: the order completed: pending earnings become available.
- ``payout.reserve`` / ``payout.sent`` / ``payout.returned``: available → in transit → out of the clearing
  account, or back to available when the provider refuses.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.kit.money import Money
from shoppable.ledger import accounts
from shoppable.ledger import service as ledger
from shoppable.ledger.rules import Leg
from shoppable.ledger.service import Posting


def _posting(kind: str, reference: str, debit: str, credit: str, amount: Money) -> Posting:
    return Posting(kind, reference, [Leg(debit, amount), Leg(credit, Money(-amount.amount, amount.currency))])


async def _post_commissions(
    session: AsyncSession, kind: str, items: list[tuple[str, str, str, Money]], *, debit: str, credit: str
) -> None:
    """One ``kind`` posting per (reference, shop, creator, amount), between two of the accounts ``shop``,
    ``pending`` and ``available``."""
    postings = []
    for reference, shop_id, creator_id, amount in items:
        opened = await ledger.open_accounts(
            session,
            [
                accounts.shop_pending(shop_id, amount.currency),
                accounts.creator_pending(creator_id, amount.currency),
                accounts.creator_available(creator_id, amount.currency),
            ],
        )
        named = dict(zip(("shop", "pending", "available"), opened, strict=True))
        postings.append(_posting(kind, reference, named[debit], named[credit], amount))
    await ledger.post_many(session, postings)


async def accrue(session: AsyncSession, items: list[tuple[str, str, str, Money]]) -> None:
    """(commission id, shop, creator, amount) for each commission accrued."""
    await _post_commissions(session, "commission.accrue", items, debit="shop", credit="pending")


async def reverse(session: AsyncSession, items: list[tuple[str, str, str, Money]]) -> None:
    """(reference, shop, creator, amount) for each reversal."""
    await _post_commissions(session, "commission.reverse", items, debit="pending", credit="shop")


async def settle(session: AsyncSession, items: list[tuple[str, str, str, Money]]) -> None:
    """(commission id, shop, creator, amount) for each commission that became available."""
    await _post_commissions(session, "commission.settle", items, debit="pending", credit="available")


async def _payout_accounts(session: AsyncSession, creator_id: str, currency: str) -> list[str]:
    return await ledger.open_accounts(
        session,
        [
            accounts.creator_available(creator_id, currency),
            accounts.payouts_in_transit(creator_id, currency),
            accounts.clearing(currency),
        ],
    )


async def reserve_payout(session: AsyncSession, payout_id: str, creator_id: str, amount: Money) -> None:
    """Out of the creator's available earnings (409 ``insufficient_balance`` if that would go below zero)."""
    available, transit, _ = await _payout_accounts(session, creator_id, amount.currency)
    await ledger.post_many(session, [_posting("payout.reserve", payout_id, available, transit, amount)])


async def payout_sent(session: AsyncSession, payout_id: str, creator_id: str, amount: Money) -> None:
    _, transit, clear = await _payout_accounts(session, creator_id, amount.currency)
    await ledger.post_many(session, [_posting("payout.sent", payout_id, transit, clear, amount)])


async def payout_returned(session: AsyncSession, payout_id: str, creator_id: str, amount: Money) -> None:
    available, transit, _ = await _payout_accounts(session, creator_id, amount.currency)
    await ledger.post_many(session, [_posting("payout.returned", payout_id, transit, available, amount)])
