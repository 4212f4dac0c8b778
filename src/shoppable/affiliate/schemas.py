"""API shapes of plans, the marketplace, links, commissions, balances and payouts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shoppable.affiliate.rules import MAX_BPS, MIN_BPS, PlanKind

Bps = Field(description=f"Basis points, {MIN_BPS} to {MAX_BPS} (1 % to 80 %)", examples=[1200])


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


class PlanUpdate(_In):
    commission_bps: int = Bps
    name: str | None = Field(None, min_length=1, max_length=200)


class RateAt(BaseModel):
    at: str
    commission_bps: int


class PlanRead(BaseModel):
    id: str
    shop_id: str
    kind: PlanKind
    name: str
    commission_bps: int
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
