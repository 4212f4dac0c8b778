"""Pure affiliate rules: which plan's rate a creator earns on a product, rate changes over time, how low a
creator may price a product in their lives, who gets the credit for an order line, and commission arithmetic.
No I/O: services load the plans and touches, call these, and store the decision with its inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from shoppable.kit.errors import ShoppableError
from shoppable.kit.money import apply_bps, share_of_remaining

MIN_BPS, MAX_BPS = 100, 8000  # 1 % to 80 % (shared/PRODUCT.md)


class PlanKind(StrEnum):
    SHOP = "shop"  # every product of the shop, every creator
    OPEN = "open"  # the listed products, every creator; listed in the marketplace
    TARGETED = "targeted"  # the listed products, the listed creators only


# A targeted plan beats an open one, which beats the shop plan; the highest rate wins among equals.
_STANDING = {PlanKind.TARGETED: 3, PlanKind.OPEN: 2, PlanKind.SHOP: 1}


def check_bps(bps: int) -> int:
    if not MIN_BPS <= bps <= MAX_BPS:
        raise ShoppableError(
            "commission_bps_out_of_range",
            422,
            f"commission_bps must be {MIN_BPS} to {MAX_BPS} (1 % to 80 %); got {bps}.",
            errors=[{"loc": ["body", "commission_bps"], "msg": f"{MIN_BPS} to {MAX_BPS}"}],
        )
    return bps


@dataclass(frozen=True, slots=True)
class RateChange:
    """From ``at`` on, the plan's published rate is ``bps`` (the first change is the plan's opening rate)."""

    at: datetime
    bps: int


@dataclass(frozen=True, slots=True)
class Plan:
    id: str
    shop_id: str
    kind: PlanKind
    rates: tuple[RateChange, ...]  # in time order, at least one
    starts_at: datetime
    ends_at: datetime | None = None  # ended plans stop covering new orders from then on
    product_ids: frozenset[str] = frozenset()
    creator_ids: frozenset[str] = frozenset()
    host_discount_bps: int = 0  # the largest discount creators under this plan may run in their lives

    def covers(self, *, creator_id: str, product_id: str, shop_id: str, at: datetime) -> bool:
        if shop_id != self.shop_id or at < self.starts_at or (self.ends_at is not None and at >= self.ends_at):
            return False
        if self.kind == PlanKind.SHOP:
            return True
        if product_id not in self.product_ids:
            return False
        return self.kind == PlanKind.OPEN or creator_id in self.creator_ids

    def published_bps(self, at: datetime) -> int:
        """The rate the plan shows at ``at`` (its opening rate before its first change)."""
        current = self.rates[0].bps
        for change in self.rates:
            if change.at > at:
                break
            current = change.bps
        return current


def earned_bps(plan: Plan, *, at: datetime, promoting_since: datetime | None, notice: timedelta) -> int:
    """The rate a creator earns under ``plan`` at ``at``.

    A raise applies at once to everyone. A cut applies at once to creators who were not promoting the product
    yet, but reaches a creator already promoting it (a link or a showcase entry since ``promoting_since``)
    only ``notice`` after it was made (setting ``rate_cut_notice_days``): such a creator earns the best rate the
    plan published in the last ``notice``, counting only the time since they started promoting.
    """
    now_bps = plan.published_bps(at)
    if promoting_since is None or promoting_since > at:
        return now_bps
    window_start = max(at - notice, promoting_since)
    best = plan.published_bps(window_start)
    for change in plan.rates:
        if window_start < change.at <= at:
            best = max(best, change.bps)
    return best


@dataclass(frozen=True, slots=True)
class RateChoice:
    plan_id: str
    kind: PlanKind
    commission_bps: int
    why: str  # a sentence for the commission's explanation


def best_rate(
    plans: Iterable[Plan],
    *,
    creator_id: str,
    product_id: str,
    shop_id: str,
    at: datetime,
    promoting_since: datetime | None,
    notice: timedelta,
) -> RateChoice | None:
    """The plan whose rate the creator earns on the product at ``at``, or None when no active plan covers both.

    Standing first (targeted, then open, then shop), then the highest earned rate, then the oldest plan.
    """
    candidates = [
        (plan, earned_bps(plan, at=at, promoting_since=promoting_since, notice=notice))
        for plan in plans
        if plan.covers(creator_id=creator_id, product_id=product_id, shop_id=shop_id, at=at)
    ]
    if not candidates:
        return None
    plan, bps = min(candidates, key=lambda c: (-_STANDING[c[0].kind], -c[1], c[0].starts_at, c[0].id))
    rivals = len(candidates) - 1
    why = f"{plan.kind.value} plan at {bps} bps"
    if rivals:
        why += f", chosen over {rivals} other plan{'s' if rivals > 1 else ''} (targeted > open > shop, then the rate)"
    if bps != plan.published_bps(at):
        why += f"; the plan's cut to {plan.published_bps(at)} bps reaches this creator after the notice period"
    return RateChoice(plan.id, plan.kind, bps, why)


# --- hosts' prices ----------------------------------------------------------------------------------------------

WHOLE_BPS = 10_000  # 100 %


def check_discount_bps(bps: int, field: str) -> int:
    if not 0 <= bps <= WHOLE_BPS:
        raise ShoppableError(
            "validation_error",
            422,
            f"{field} must be 0 to {WHOLE_BPS} (0 % to 100 % off); got {bps}.",
            errors=[{"loc": ["body", field], "msg": f"0 to {WHOLE_BPS}"}],
        )
    return bps


class AllowanceSource(StrEnum):
    PRODUCT = "product"  # the product's own setting
    PLAN = "plan"  # the covering plan's host_discount_bps
    NONE = "none"  # no active plan covers the creator for the product


@dataclass(frozen=True, slots=True)
class HostAllowance:
    """How far below a variant's own price a creator may sell a product in their lives, and whose setting says so."""

    max_discount_bps: int
    source: AllowanceSource
    plan_id: str | None  # the plan covering the creator for the product


NO_ALLOWANCE = HostAllowance(0, AllowanceSource.NONE, None)


def host_allowance(
    plans: Iterable[Plan],
    *,
    creator_id: str,
    product_id: str,
    shop_id: str,
    at: datetime,
    promoting_since: datetime | None,
    notice: timedelta,
    product_bps: int | None,
) -> HostAllowance:
    """The discount a creator may run on a product in their lives: the product's own setting (``product_bps``)
    if the shop made one, else that of the plan that would pay the creator's commission on it (``best_rate``);
    none when no active plan covers the creator for the product."""
    candidates = list(plans)
    choice = best_rate(
        candidates,
        creator_id=creator_id,
        product_id=product_id,
        shop_id=shop_id,
        at=at,
        promoting_since=promoting_since,
        notice=notice,
    )
    if choice is None:
        return NO_ALLOWANCE
    if product_bps is not None:
        return HostAllowance(product_bps, AllowanceSource.PRODUCT, choice.plan_id)
    plan = next(p for p in candidates if p.id == choice.plan_id)
    return HostAllowance(plan.host_discount_bps, AllowanceSource.PLAN, plan.id)


def lowest_host_price(base_price: int, allowance_bps: int) -> int:
    """The lowest price an allowance admits: base × (10,000 − bps) / 10,000, rounded up to the minor unit
    (in the shop's favour)."""
    return -(-base_price * (WHOLE_BPS - allowance_bps) // WHOLE_BPS)


def is_host_price_allowed(*, base_price: int, price: int, allowance_bps: int) -> bool:
    return price >= lowest_host_price(base_price, allowance_bps)


def discount_bps(base_price: int, price: int) -> int:
    """The discount ``price`` amounts to off ``base_price``, rounded up to a whole basis point (the smallest
    allowance that admits it); 0 at or above the base price."""
    if price >= base_price:
        return 0
    return -(-(base_price - price) * WHOLE_BPS // base_price)


# --- attribution ------------------------------------------------------------------------------------------------


class SourceType(StrEnum):
    VIDEO = "video"
    LIVE = "live"
    SHOWCASE = "showcase"
    LINK = "link"


@dataclass(frozen=True, slots=True)
class Touch:
    """Something that pointed the buyer at the product: an in-app tap (at order time) or a link click (from the
    signed attribution token), already resolved to the creator behind it."""

    creator_id: str
    source_type: SourceType
    source_id: str
    at: datetime
    click_id: str | None = None


@dataclass(frozen=True, slots=True)
class Credit:
    creator_id: str
    source_type: SourceType
    source_id: str
    touched_at: datetime
    click_id: str | None
    plan_id: str
    commission_bps: int
    why: str


@dataclass(frozen=True, slots=True)
class NoCredit:
    reason: str  # no_touch, self_purchase, shop_staff, no_active_plan
    why: str


def attribute_line(
    touches: Sequence[Touch],
    *,
    buyer_id: str,
    buyer_creator_id: str | None,
    shop_staff_ids: frozenset[str],
    product_id: str,
    shop_id: str,
    ordered_at: datetime,
    plans: Iterable[Plan],
    promoting_since: Mapping[str, datetime],
    window: timedelta,
    notice: timedelta,
) -> Credit | NoCredit:
    """Who earns on an order line: the last touch within ``window`` before the order (setting
    ``attribution_window_days``) wins, unless the buyer is that creator (``buyer_creator_id`` is the buyer's own
    creator profile) or staff of the shop, or no active plan
    covers the creator and the product when the order is placed."""
    live = [t for t in touches if ordered_at - window <= t.at <= ordered_at]
    if not live:
        return NoCredit("no_touch", "No video, live, showcase or link led to this purchase within the window.")
    last = max(live, key=lambda t: t.at)
    if buyer_creator_id is not None and last.creator_id == buyer_creator_id:
        return NoCredit("self_purchase", "Creators earn nothing on their own purchases.")
    if buyer_id in shop_staff_ids:
        return NoCredit("shop_staff", "The buyer works for the shop; staff purchases earn no commission.")
    choice = best_rate(
        plans,
        creator_id=last.creator_id,
        product_id=product_id,
        shop_id=shop_id,
        at=ordered_at,
        promoting_since=promoting_since.get(last.creator_id),
        notice=notice,
    )
    if choice is None:
        return NoCredit("no_active_plan", "No active affiliate plan covered this creator and product at order time.")
    why = f"last touch: {last.source_type.value} {last.source_id} at {last.at.isoformat()}; {choice.why}"
    return Credit(
        creator_id=last.creator_id,
        source_type=last.source_type,
        source_id=last.source_id,
        touched_at=last.at,
        click_id=last.click_id,
        plan_id=choice.plan_id,
        commission_bps=choice.commission_bps,
        why=why,
    )


# --- commission arithmetic --------------------------------------------------------------------------------------


def commission(paid: int, bps: int) -> int:
    """The commission on what the buyer paid for a line (after discounts, without shipping and tax)."""
    return apply_bps(paid, bps)


def commission_reversed(
    *, commission_total: int, units: int, units_refunded: int, reversed_so_far: int, units_now: int
) -> int:
    """What refunding ``units_now`` more units of a line takes back from its commission: pro rata, and all of
    what is left when the last units go (a cancelled line earns nothing)."""
    return share_of_remaining(
        total=commission_total,
        units=units,
        units_done=units_refunded,
        amount_done=reversed_so_far,
        units_now=units_now,
    )
