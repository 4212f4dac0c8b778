"""Pure rules of hosts' prices: the lowest price an allowance admits (rounded in the shop's favour), the discount
a price amounts to, and whose allowance applies (the product's own, else the plan paying the commission)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoppable.affiliate.rules import (
    WHOLE_BPS,
    AllowanceSource,
    HostAllowance,
    Plan,
    PlanKind,
    RateChange,
    check_discount_bps,
    discount_bps,
    host_allowance,
    is_host_price_allowed,
    lowest_host_price,
)
from shoppable.kit.errors import ShoppableError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOTICE = timedelta(days=30)

prices = st.integers(min_value=0, max_value=10**12)
allowances = st.integers(min_value=0, max_value=WHOLE_BPS)


@pytest.mark.parametrize(
    ("base", "bps", "lowest"),
    [
        (3000, 3000, 2100),
        (3000, 0, 3000),
        (1999, 5000, 1000),  # 999.5 rounds up: the shop's favour
        (1, 9999, 1),
        (1, 10000, 0),
    ],
)
def test_the_lowest_price_an_allowance_admits(base: int, bps: int, lowest: int) -> None:
    assert lowest_host_price(base, bps) == lowest
    assert is_host_price_allowed(base_price=base, price=lowest, allowance_bps=bps)
    if lowest > 0:
        assert not is_host_price_allowed(base_price=base, price=lowest - 1, allowance_bps=bps)


def test_a_fraction_of_a_minor_unit_goes_to_the_shop() -> None:
    assert lowest_host_price(150, 3333) == 101  # 150 × 6,667 / 10,000 = 100.005
    assert discount_bps(150, 101) == 3267  # 49 / 150 = 32.67 %
    assert discount_bps(3, 2) == 3334  # 33.33… % rounds up: the smallest allowance that admits it
    assert discount_bps(3000, 3000) == discount_bps(3000, 4000) == discount_bps(0, 1) == 0


@given(base=prices, price=prices, bps=allowances)
def test_allowed_exactly_when_the_discount_is_within_the_allowance(base: int, price: int, bps: int) -> None:
    allowed = is_host_price_allowed(base_price=base, price=price, allowance_bps=bps)
    assert allowed == (discount_bps(base, price) <= bps)
    assert allowed == (price * WHOLE_BPS >= base * (WHOLE_BPS - bps))  # the exact rational bound


@given(base=prices, bps=allowances)
def test_the_lowest_price_never_undercuts_the_exact_bound(base: int, bps: int) -> None:
    lowest = lowest_host_price(base, bps)
    assert lowest * WHOLE_BPS >= base * (WHOLE_BPS - bps)
    assert (lowest - 1) * WHOLE_BPS < base * (WHOLE_BPS - bps) or lowest == 0
    assert 0 <= lowest <= base


def _plan(
    plan_id: str, kind: PlanKind, host_bps: int, *, creators: tuple[str, ...] = (), ends: int | None = None
) -> Plan:
    return Plan(
        id=plan_id,
        shop_id="shop",
        kind=kind,
        rates=(RateChange(T0, 1000),),
        starts_at=T0,
        ends_at=None if ends is None else T0 + timedelta(days=ends),
        product_ids=frozenset() if kind == PlanKind.SHOP else frozenset({"p1"}),
        creator_ids=frozenset(creators),
        host_discount_bps=host_bps,
    )


def _allowance(plans: list[Plan], product_bps: int | None, *, days: int = 1) -> HostAllowance:
    return host_allowance(
        plans,
        creator_id="c1",
        product_id="p1",
        shop_id="shop",
        at=T0 + timedelta(days=days),
        promoting_since=None,
        notice=NOTICE,
        product_bps=product_bps,
    )


def test_the_products_own_setting_wins_over_the_plans_both_ways() -> None:
    shop_plan = [_plan("shop", PlanKind.SHOP, 3000)]
    assert _allowance(shop_plan, None) == HostAllowance(3000, AllowanceSource.PLAN, "shop")
    assert _allowance(shop_plan, 1000) == HostAllowance(1000, AllowanceSource.PRODUCT, "shop")
    assert _allowance(shop_plan, 5000) == HostAllowance(5000, AllowanceSource.PRODUCT, "shop")


def test_the_plan_that_pays_the_commission_gives_the_allowance() -> None:
    plans = [_plan("shop", PlanKind.SHOP, 5000), _plan("t", PlanKind.TARGETED, 0, creators=("c1",))]
    assert _allowance(plans, None) == HostAllowance(0, AllowanceSource.PLAN, "t")  # targeted beats shop
    other_creator = [_plan("shop", PlanKind.SHOP, 5000), _plan("t", PlanKind.TARGETED, 0, creators=("c2",))]
    assert _allowance(other_creator, None) == HostAllowance(5000, AllowanceSource.PLAN, "shop")


def test_no_covering_plan_means_no_allowance_whatever_the_product_says() -> None:
    assert _allowance([], 5000).max_discount_bps == 0
    ended = [_plan("shop", PlanKind.SHOP, 5000, ends=2)]
    assert _allowance(ended, 5000, days=1).max_discount_bps == 5000
    assert _allowance(ended, 5000, days=3) == HostAllowance(0, AllowanceSource.NONE, None)


@pytest.mark.parametrize("bps", [-1, WHOLE_BPS + 1])
def test_allowances_outside_nothing_to_everything_are_refused(bps: int) -> None:
    with pytest.raises(ShoppableError) as refused:
        check_discount_bps(bps, "max_discount_bps")
    assert refused.value.status == 422
    assert refused.value.errors == [{"loc": ["body", "max_discount_bps"], "msg": "0 to 10000"}]
    assert check_discount_bps(0, "x") == 0
    assert check_discount_bps(WHOLE_BPS, "x") == WHOLE_BPS
