"""Affiliate tables: plans and their rate history, who promotes what since when, links, clicks, commissions,
payouts, and how far below its price a shop lets creators sell in their lives. Shops, products, creators and
orders are referenced by id: they belong to other domains."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from shoppable.kit.db import Base


class AffiliatePlan(Base):
    __tablename__ = "affiliate_plans"
    __table_args__ = (Index("ix_affiliate_plans_shop", "shop_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # shop, open, targeted
    name: Mapped[str] = mapped_column(String(200))
    commission_bps: Mapped[int] = mapped_column(Integer)  # the published rate now (history in plan_rates)
    # The largest discount off a variant's own price creators under this plan may run in their lives.
    host_discount_bps: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PlanRate(Base):
    """A plan's published rate from ``at`` on; the first row is its opening rate."""

    __tablename__ = "affiliate_plan_rates"

    plan_id: Mapped[str] = mapped_column(ForeignKey("affiliate_plans.id", ondelete="CASCADE"), primary_key=True)
    at: Mapped[datetime] = mapped_column(primary_key=True)
    commission_bps: Mapped[int] = mapped_column(Integer)


class PlanProduct(Base):
    __tablename__ = "affiliate_plan_products"
    __table_args__ = (Index("ix_affiliate_plan_products_product", "product_id"),)

    plan_id: Mapped[str] = mapped_column(ForeignKey("affiliate_plans.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class PlanCreator(Base):
    __tablename__ = "affiliate_plan_creators"
    __table_args__ = (Index("ix_affiliate_plan_creators_creator", "creator_id"),)

    plan_id: Mapped[str] = mapped_column(ForeignKey("affiliate_plans.id", ondelete="CASCADE"), primary_key=True)
    creator_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class Promotion(Base):
    """Since when a creator promotes a product (their first link or showcase entry for it): a rate cut reaches
    them only ``rate_cut_notice_days`` after it is made."""

    __tablename__ = "affiliate_promotions"

    creator_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    since: Mapped[datetime]


class Link(Base):
    __tablename__ = "affiliate_links"
    __table_args__ = (UniqueConstraint("creator_id", "product_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    creator_id: Mapped[str] = mapped_column(String(40))
    product_id: Mapped[str] = mapped_column(String(40))
    shop_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class Click(Base):
    """A link click, written in batches off the redirect's hot path. Bots, repeats and clicks past an address's
    rate are kept, flagged."""

    __tablename__ = "affiliate_clicks"
    __table_args__ = (Index("ix_affiliate_clicks_link", "link_id", "clicked_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    link_id: Mapped[str] = mapped_column(String(40))
    creator_id: Mapped[str] = mapped_column(String(40))
    product_id: Mapped[str] = mapped_column(String(40))
    clicked_at: Mapped[datetime]
    visitor: Mapped[str] = mapped_column(String(32))  # a keyed hash: no address or cookie is stored
    user_agent: Mapped[str | None] = mapped_column(String(512))
    referrer: Mapped[str | None] = mapped_column(String(512))
    is_bot: Mapped[bool] = mapped_column(Boolean)
    is_repeat: Mapped[bool] = mapped_column(Boolean)
    # Past its address's rate (setting ``clicks_per_ip``): redirected, but it earns no one anything.
    is_throttled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Commission(Base):
    __tablename__ = "commissions"
    __table_args__ = (
        Index("ix_commissions_creator", "creator_id", "id"),
        Index("ix_commissions_shop", "shop_id", "id"),
        Index("ix_commissions_order", "order_id"),
        Index("ix_commissions_source", "source_type", "source_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    creator_id: Mapped[str] = mapped_column(String(40))
    shop_id: Mapped[str] = mapped_column(String(40))
    order_id: Mapped[str] = mapped_column(String(40))
    line_id: Mapped[str] = mapped_column(String(40), unique=True)
    product_id: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    base: Mapped[int] = mapped_column(BigInteger)  # what the buyer paid for the line
    units: Mapped[int] = mapped_column(Integer)
    commission_bps: Mapped[int] = mapped_column(Integer)
    earned: Mapped[int] = mapped_column(BigInteger)  # round_half_even(base × bps) at accrual
    reversed_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    units_reversed: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # pending, settled, reversed
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(64))
    click_id: Mapped[str | None] = mapped_column(String(40))
    touched_at: Mapped[datetime]
    plan_id: Mapped[str] = mapped_column(String(40))
    why: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    settles_at: Mapped[datetime | None]  # when the order's return window ends (known once delivered)
    settled_at: Mapped[datetime | None]


class Payout(Base):
    __tablename__ = "payouts"
    __table_args__ = (Index("ix_payouts_creator", "creator_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    creator_id: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))  # processing, paid, failed
    provider: Mapped[str] = mapped_column(String(32))
    provider_reference: Mapped[str | None] = mapped_column(String(128))
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ProductAllowance(Base):
    """A product's own limit on creators' live discounts: it wins over the covering plan's ``host_discount_bps``."""

    __tablename__ = "affiliate_host_allowances"

    product_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(40))
    max_discount_bps: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class AllowanceUse(Base):
    """A creator selling below a variant's own price in a live, within what its shop allows: the shop's record."""

    __tablename__ = "affiliate_allowance_uses"
    __table_args__ = (Index("ix_affiliate_allowance_uses_shop", "shop_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(40))
    creator_id: Mapped[str] = mapped_column(String(40))
    live_id: Mapped[str] = mapped_column(String(40))
    product_id: Mapped[str] = mapped_column(String(40))
    variant_id: Mapped[str] = mapped_column(String(40))
    base_price: Mapped[int] = mapped_column(BigInteger)  # the variant's own price then
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    discount_bps: Mapped[int] = mapped_column(Integer)  # the discount the price amounts to, rounded up
    allowed_bps: Mapped[int] = mapped_column(Integer)  # the allowance it was checked against
    allowance: Mapped[str] = mapped_column(String(16))  # product, plan: whose setting gave it
    plan_id: Mapped[str] = mapped_column(String(40))  # the plan covering the creator for the product
    created_at: Mapped[datetime]
