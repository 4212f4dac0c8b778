"""Pure ledger rules: what makes a transaction postable."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from shoppable.kit.money import Money


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of a transaction: ``amount`` debits the account when positive, credits it when negative."""

    account_id: str
    amount: Money


def imbalances(legs: Iterable[Leg]) -> dict[str, int]:
    """Per currency, how far the legs are from summing to zero (empty when the transaction balances)."""
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        totals[leg.amount.currency] += leg.amount.amount
    return {currency: total for currency, total in totals.items() if total != 0}


def check_postable(legs: list[Leg]) -> str | None:
    """Why these legs cannot be posted, or None: at least two legs, no zero legs, balanced per currency."""
    if len(legs) < 2:
        return "a transaction needs at least two legs"
    if any(leg.amount.amount == 0 for leg in legs):
        return "a leg of zero moves nothing"
    off = imbalances(legs)
    if off:
        return "unbalanced: " + ", ".join(f"{currency} off by {total}" for currency, total in sorted(off.items()))
    return None
