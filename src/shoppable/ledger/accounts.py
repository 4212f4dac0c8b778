"""The accounts money moves between, named once for every domain that posts to them.

Debits are positive. Credit-normal accounts hold what the platform owes (a shop's payable, a creator's earnings);
guarded ones keep a running balance that never crosses zero on their normal side.
- platform ``payments_clearing``: what the payment provider holds for us; debited by captures, credited by
  refunds and payouts.
- platform ``fee_revenue``: the referral fee (``platform_fee_bps`` of each line).
- shop ``payable_pending`` / ``payable_available``: what a shop will be paid, before and after its order
  completes (available is guarded).
- creator ``commission_pending`` / ``commission_available``: a creator's commissions before and after their
  order completes (available is guarded: payouts come only out of it).
- creator ``payouts_in_transit``: payouts handed to the payout provider and not yet confirmed.
- shop ``payouts_in_transit``: the same for a shop's withdrawals out of its available payable.
"""

from __future__ import annotations

from shoppable.ledger.service import AccountRef, AccountSpec

PLATFORM = ("platform", "platform")


def clearing(currency: str) -> AccountSpec:
    return AccountSpec(AccountRef(*PLATFORM, "payments_clearing", currency))


def fee_revenue(currency: str) -> AccountSpec:
    return AccountSpec(AccountRef(*PLATFORM, "fee_revenue", currency))


def shop_pending(shop_id: str, currency: str) -> AccountSpec:
    return AccountSpec(AccountRef("shop", shop_id, "payable_pending", currency))


def shop_available(shop_id: str, currency: str) -> AccountSpec:
    return AccountSpec(AccountRef("shop", shop_id, "payable_available", currency), guarded=True, is_credit_normal=True)


def creator_pending(creator_id: str, currency: str) -> AccountSpec:
    return AccountSpec(AccountRef("creator", creator_id, "commission_pending", currency))


def creator_available(creator_id: str, currency: str) -> AccountSpec:
    return AccountSpec(
        AccountRef("creator", creator_id, "commission_available", currency), guarded=True, is_credit_normal=True
    )


def payouts_in_transit(creator_id: str, currency: str) -> AccountSpec:
    return AccountSpec(AccountRef("creator", creator_id, "payouts_in_transit", currency))


def shop_payouts_in_transit(shop_id: str, currency: str) -> AccountSpec:
    return AccountSpec(AccountRef("shop", shop_id, "payouts_in_transit", currency))
