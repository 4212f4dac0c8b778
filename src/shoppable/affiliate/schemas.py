"""API shapes of plans, the marketplace, links, commissions, balances, payouts and hosts' price allowances."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shoppable.affiliate.rules import MAX_BPS, MIN_BPS, WHOLE_BPS, PlanKind

Bps = Field(description=f"Basis points, {MIN_BPS} to {MAX_BPS} (1 % to 80 %)", examples=[1200])
_HOST_DISCOUNT = (
    "The largest discount off a variant's own price that creators covered by this plan may run in their lives' "
    f"flash sales, in basis points, 0 to {WHOLE_BPS} (0: none)"
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PlanCreate(_In):
    kind: PlanKind
    name: str = Field(min_length=1, max_length=200)
    commission_bps: int = Bps
    product_ids: list[str] = Field(default_factory=list, max_length=1000, description="open and targeted plans")
    creator_ids: list[str] = Field(default_factory=list, max_length=1000, description="targeted plans")
    starts_at: datetime | None = Field(None, description="Default now; a time in the past means now")
    ends_at: datetime | None = None
    host_discount_bps: int = Field(0, ge=0, le=WHOLE_BPS, description=_HOST_DISCOUNT, examples=[3000])


class PlanUpdate(_In):
    commission_bps: int | None = Field(
        None, description=f"Basis points, {MIN_BPS} to {MAX_BPS} (1 % to 80 %); absent keeps the rate", examples=[1200]
    )
    name: str | None = Field(None, min_length=1, max_length=200)
    host_discount_bps: int | None = Field(
        None, ge=0, le=WHOLE_BPS, description=f"{_HOST_DISCOUNT}; absent keeps it", examples=[3000]
    )


class RateAt(BaseModel):
    at: str
    commission_bps: int


class PlanRead(BaseModel):
    id: str
    shop_id: str
    kind: PlanKind
    name: str
    commission_bps: int
    host_discount_bps: int = Field(description=_HOST_DISCOUNT)
    status: Literal["scheduled", "active", "ended"]
    product_ids: list[str]
    creator_ids: list[str]
    rate_history: list[RateAt]
    starts_at: str
    ends_at: str | None
    created_at: str
    updated_at: str


class PlanPage(BaseModel):
    items: list[PlanRead]
    next_cursor: str | None


class MarketplaceProduct(BaseModel):
    model_config = ConfigDict(extra="allow")  # the catalog's product, as GET /products/{id} gives it

    id: str
    shop_id: str
    title: str
    commission_bps: int = Field(description="The best rate open to the caller on this product now")


class MarketplacePage(BaseModel):
    items: list[MarketplaceProduct]
    next_cursor: str | None


class LinkCreate(_In):
    product_id: str = Field(min_length=1, max_length=40)


class LinkRead(BaseModel):
    id: str
    code: str
    url: str
    product_id: str
    shop_id: str
    commission_bps: int | None = None
    created_at: str


class LinkStats(LinkRead):
    clicks: int = Field(description="Clicks counted: obvious bots and repeats within a minute are not")
    orders: int
    gmv: int = Field(description="What buyers paid for the lines this link sold (cancelled lines excluded)")
    commission: int = Field(description="Commission earned, after reversals")
    currency: str | None


class LinkPage(BaseModel):
    items: list[LinkStats]
    next_cursor: str | None


class CommissionRead(BaseModel):
    id: str
    order_id: str
    line_id: str
    product_id: str
    amount: int = Field(description="What the creator earns now: earned less reversed")
    currency: str
    status: Literal["pending", "settled", "reversed"]
    commission_bps: int
    base: int = Field(description="What the buyer paid for the line (after discounts, without shipping and tax)")
    earned: int
    reversed_amount: int
    source_type: str
    source_id: str
    created_at: str
    settles_at: str | None
    settled_at: str | None
    creator_id: str | None = Field(None, description="In a shop's list")


class CommissionPage(BaseModel):
    items: list[CommissionRead]
    next_cursor: str | None


class CommissionExplanation(BaseModel):
    commission: CommissionRead
    source: dict[str, Any]
    order_line: dict[str, Any]
    plan: dict[str, Any]
    why: str
    calculation: str
    ledger: list[dict[str, Any]]


class BalanceRead(BaseModel):
    currency: str
    pending: int
    available: int
    in_transit: int
    paid_out: int


class PayoutCreate(_In):
    amount: int = Field(gt=0, le=10**15)
    currency: str = Field(min_length=3, max_length=3)


class PayoutRead(BaseModel):
    id: str
    amount: int
    currency: str
    status: Literal["processing", "paid", "failed"]
    provider: str
    provider_reference: str | None
    failure_reason: str | None
    created_at: str
    updated_at: str


class PayoutPage(BaseModel):
    items: list[PayoutRead]
    next_cursor: str | None


class HostAllowanceIn(_In):
    max_discount_bps: int = Field(
        ge=0,
        le=WHOLE_BPS,
        description="The largest discount off a variant's own price creators may run on this product in their "
        f"lives, in basis points, 0 to {WHOLE_BPS}; it wins over the covering plan's host_discount_bps",
        examples=[2000],
    )


class HostAllowanceRead(BaseModel):
    product_id: str
    shop_id: str
    max_discount_bps: int | None = Field(
        description="The product's own setting; null when it has none (each plan's host_discount_bps applies)"
    )
    updated_at: str | None


class HostDiscountRead(BaseModel):
    id: str
    creator_id: str
    live_id: str
    product_id: str
    variant_id: str
    base_price: int = Field(description="The variant's own price when the sale started")
    price: int = Field(description="The price the creator set")
    currency: str
    discount_bps: int = Field(description="The discount the price amounts to, rounded up to a whole basis point")
    allowed_bps: int = Field(description="The allowance it was within")
    allowance: Literal["product", "plan"] = Field(
        description="Whose setting gave the allowance: the product's or the plan's"
    )
    plan_id: str = Field(description="The plan covering the creator for the product")
    created_at: str


class HostDiscountPage(BaseModel):
    items: list[HostDiscountRead]
    next_cursor: str | None
