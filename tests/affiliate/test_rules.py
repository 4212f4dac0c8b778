"""Pure affiliate rules: plan precedence, rate changes over time, attribution, commission arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoppable.affiliate.rules import (
    Credit,
    NoCredit,
    Plan,
    PlanKind,
    RateChange,
    SourceType,
    Touch,
    attribute_line,
    best_rate,
    check_bps,
    commission,
    commission_reversed,
    earned_bps,
)
from shoppable.kit.errors import ShoppableError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NOTICE = timedelta(days=30)
WINDOW = timedelta(days=7)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def plan(
    plan_id: str,
    kind: PlanKind,
    bps: int,
    *,
    products: tuple[str, ...] = ("p1",),
    creators: tuple[str, ...] = (),
    changes: tuple[tuple[float, int], ...] = (),
    ends: float | None = None,
    starts: float = 0,
) -> Plan:
    return Plan(
        id=plan_id,
        shop_id="shop",
        kind=kind,
        rates=(RateChange(day(starts), bps), *(RateChange(day(d), b) for d, b in changes)),
        starts_at=day(starts),
        ends_at=None if ends is None else day(ends),
        product_ids=frozenset(products) if kind != PlanKind.SHOP else frozenset(),
        creator_ids=frozenset(creators),
    )


def choose(plans: list[Plan], creator: str = "c1", product: str = "p1", at: float = 1) -> tuple[str, int] | None:
    choice = best_rate(
        plans, creator_id=creator, product_id=product, shop_id="shop", at=day(at), promoting_since=None, notice=NOTICE
    )
    return None if choice is None else (choice.plan_id, choice.commission_bps)


@pytest.mark.parametrize(
    ("plans", "creator", "product", "expected"),
    [
        # Targeted beats open beats shop, even at a lower rate.
        (
            [
                plan("shop", PlanKind.SHOP, 3000),
                plan("open", PlanKind.OPEN, 2000),
                plan("t", PlanKind.TARGETED, 1000, creators=("c1",)),
            ],
            "c1",
            "p1",
            ("t", 1000),
        ),
        ([plan("shop", PlanKind.SHOP, 3000), plan("open", PlanKind.OPEN, 2000)], "c1", "p1", ("open", 2000)),
        # A targeted plan for someone else does not apply; the open one does.
        (
            [plan("open", PlanKind.OPEN, 1200), plan("t", PlanKind.TARGETED, 2000, creators=("c2",))],
            "c1",
            "p1",
            ("open", 1200),
        ),
        # The highest of equals wins.
        ([plan("o1", PlanKind.OPEN, 1200), plan("o2", PlanKind.OPEN, 1500)], "c1", "p1", ("o2", 1500)),
        # A product no plan lists falls back to the shop plan, or to nothing.
        ([plan("shop", PlanKind.SHOP, 500), plan("open", PlanKind.OPEN, 2000)], "c1", "p9", ("shop", 500)),
        ([plan("open", PlanKind.OPEN, 2000)], "c1", "p9", None),
    ],
)
def test_precedence(plans: list[Plan], creator: str, product: str, expected: tuple[str, int] | None) -> None:
    assert choose(plans, creator, product) == expected


def test_plans_cover_only_their_own_time() -> None:
    later = plan("later", PlanKind.OPEN, 1500, starts=5)
    ending = plan("ending", PlanKind.OPEN, 1000, ends=3)
    assert choose([later, ending], at=1) == ("ending", 1000)
    assert choose([later, ending], at=4) is None  # ended at day 3, the other not started
    assert choose([later, ending], at=5) == ("later", 1500)


@pytest.mark.parametrize(
    ("changes", "promoting_since", "at", "expected"),
    [
        # A raise applies at once, promoting or not.
        (((10, 2000),), day(1), day(10), 2000),
        (((10, 2000),), None, day(10), 2000),
        # A cut reaches a creator already promoting only after the notice period...
        (((10, 800),), day(1), day(10), 1200),
        (((10, 800),), day(1), day(39.9), 1200),
        (((10, 800),), day(1), day(40), 800),
        # ...but applies at once to creators not promoting yet, or who started after it.
        (((10, 800),), None, day(10), 800),
        (((10, 800),), day(12), day(20), 800),
        # A raise after a cut applies at once; a later cut starts its own notice from the raised rate.
        (((10, 800), (15, 1500)), day(1), day(15), 1500),
        (((10, 800), (15, 1500), (20, 600)), day(1), day(49), 1500),
        (((10, 800), (15, 1500), (20, 600)), day(1), day(50), 600),
    ],
)
def test_rate_changes(
    changes: tuple[tuple[float, int], ...], promoting_since: datetime | None, at: datetime, expected: int
) -> None:
    subject = plan("p", PlanKind.OPEN, 1200, changes=changes)
    assert earned_bps(subject, at=at, promoting_since=promoting_since, notice=NOTICE) == expected


def test_the_explanation_names_a_delayed_cut() -> None:
    subject = plan("p", PlanKind.OPEN, 1200, changes=((10, 800),))
    choice = best_rate(
        [subject], creator_id="c1", product_id="p1", shop_id="shop", at=day(12), promoting_since=day(1), notice=NOTICE
    )
    assert choice is not None
    assert choice.commission_bps == 1200
    assert "cut to 800 bps reaches this creator after the notice period" in choice.why


@pytest.mark.parametrize("bps", [99, 8001, 0, -5])
def test_rates_outside_one_to_eighty_percent_are_refused(bps: int) -> None:
    with pytest.raises(ShoppableError) as refused:
        check_bps(bps)
    assert (refused.value.status, refused.value.code) == (422, "commission_bps_out_of_range")


def test_rates_at_the_bounds_are_accepted() -> None:
    assert (check_bps(100), check_bps(8000)) == (100, 8000)


def _attribute(
    touches: list[Touch],
    *,
    buyer: str = "buyer",
    buyer_creator: str | None = None,
    staff: frozenset[str] = frozenset(),
    plans: list[Plan] | None = None,
    at: float = 3,
) -> Credit | NoCredit:
    return attribute_line(
        touches,
        buyer_id=buyer,
        buyer_creator_id=buyer_creator,
        shop_staff_ids=staff,
        product_id="p1",
        shop_id="shop",
        ordered_at=day(at),
        plans=plans if plans is not None else [plan("open", PlanKind.OPEN, 1200)],
        promoting_since={},
        window=WINDOW,
        notice=NOTICE,
    )


def test_the_last_touch_within_the_window_wins() -> None:
    touches = [
        Touch("c1", SourceType.LINK, "lnk_1", day(1), click_id="clk_1"),
        Touch("c2", SourceType.VIDEO, "vid_2", day(2)),
    ]
    credit = _attribute(touches)
    assert isinstance(credit, Credit)
    assert (credit.creator_id, credit.source_type, credit.source_id, credit.commission_bps) == (
        "c2",
        SourceType.VIDEO,
        "vid_2",
        1200,
    )
    assert credit.plan_id == "open"
    assert "last touch: video vid_2" in credit.why


def test_an_expired_touch_earns_nothing_and_an_older_live_one_does_not_take_over() -> None:
    old_click = Touch("c1", SourceType.LINK, "lnk_1", day(0), click_id="clk_1")
    assert _attribute([old_click], at=7.5) == NoCredit(
        "no_touch", "No video, live, showcase or link led to this purchase within the window."
    )
    credit = _attribute([old_click], at=6.9)
    assert isinstance(credit, Credit)
    assert credit.click_id == "clk_1"


@pytest.mark.parametrize(
    ("buyer_creator", "staff", "reason"),
    [("c1", frozenset(), "self_purchase"), (None, frozenset({"buyer"}), "shop_staff")],
)
def test_self_and_staff_purchases_earn_nothing(buyer_creator: str | None, staff: frozenset[str], reason: str) -> None:
    touch = Touch("c1", SourceType.SHOWCASE, "sc_1", day(2))
    result = _attribute([touch], buyer_creator=buyer_creator, staff=staff)
    assert isinstance(result, NoCredit)
    assert result.reason == reason


def test_a_buyer_who_is_another_creator_still_credits_the_creator_who_led_them() -> None:
    assert isinstance(_attribute([Touch("c1", SourceType.LINK, "lnk_1", day(2))], buyer_creator="c2"), Credit)


def test_no_plan_at_order_time_earns_nothing() -> None:
    ended = plan("open", PlanKind.OPEN, 1200, ends=2.5)
    touch = Touch("c1", SourceType.LIVE, "live_1", day(2))
    assert isinstance(_attribute([touch], plans=[ended], at=2.4), Credit)
    result = _attribute([touch], plans=[ended], at=2.6)
    assert isinstance(result, NoCredit)
    assert result.reason == "no_active_plan"


def test_commission_is_half_even_on_what_was_paid() -> None:
    assert commission(1999, 1250) == 250  # 249.875
    assert commission(25, 600) == 2  # 1.5 -> 2
    assert commission(75, 600) == 4  # 4.5 -> 4


@given(
    paid=st.integers(1, 10**9),
    bps=st.integers(100, 8000),
    units=st.integers(1, 50),
    data=st.data(),
)
def test_reversals_never_exceed_the_commission_and_a_full_refund_takes_it_all(
    paid: int, bps: int, units: int, data: st.DataObject
) -> None:
    total = commission(paid, bps)
    refunded = reversed_total = 0
    while refunded < units:
        now = data.draw(st.integers(1, units - refunded))
        taken = commission_reversed(
            commission_total=total, units=units, units_refunded=refunded, reversed_so_far=reversed_total, units_now=now
        )
        assert 0 <= taken <= total - reversed_total
        refunded += now
        reversed_total += taken
    assert reversed_total == total
