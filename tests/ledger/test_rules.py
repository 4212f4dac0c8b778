"""Pure ledger rules: a transaction is postable only when it balances per currency."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shoppable.kit.money import Money
from shoppable.ledger.rules import Leg, check_postable, imbalances


def test_balanced_per_currency() -> None:
    legs = [
        Leg("a", Money(500, "USD")),
        Leg("b", Money(-500, "USD")),
        Leg("c", Money(7, "JPY")),
        Leg("d", Money(-7, "JPY")),
    ]
    assert check_postable(legs) is None


def test_refusals() -> None:
    assert check_postable([Leg("a", Money(1, "USD"))]) == "a transaction needs at least two legs"
    assert check_postable([Leg("a", Money(0, "USD")), Leg("b", Money(0, "USD"))]) == "a leg of zero moves nothing"
    assert check_postable([Leg("a", Money(5, "USD")), Leg("b", Money(-4, "USD"))]) == "unbalanced: USD off by 1"
    # Currencies never net against each other.
    assert check_postable([Leg("a", Money(5, "USD")), Leg("b", Money(-5, "EUR"))]) == (
        "unbalanced: EUR off by -5, USD off by 5"
    )


@given(st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=10))
def test_any_split_of_a_total_balances(parts: list[int]) -> None:
    legs = [Leg(f"a{i}", Money(p, "EUR")) for i, p in enumerate(parts)]
    legs.append(Leg("total", Money(-sum(parts), "EUR")))
    assert imbalances(legs) == {}
    assert check_postable(legs) is None
