"""Order tables: carts, orders with their lines and timeline, refunds and return requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shoppable.kit.db import Base


class CartLine(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (UniqueConstraint("user_id", "variant_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))
    variant_id: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer)
    source: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_buyer_created", "buyer_id", "created_at", "id"),
        Index("ix_orders_shop_created", "shop_id", "created_at", "id"),
        Index("ix_orders_shop_status_created", "shop_id", "status", "created_at", "id"),
        # A shop's orders by payment time: the analytics rollups' recompute and check (migration 0015).
        Index(
            "ix_orders_shop_paid",
            "shop_id",
            "paid_at",
            postgresql_include=["status", "currency", "total", "shipping_total", "refunded_total", "id"],
        ),
        Index("ix_orders_status_expires", "status", "expires_at"),
        Index("ix_orders_status_window", "status", "return_window_ends_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    shop_id: Mapped[str] = mapped_column(String(40))
    buyer_id: Mapped[str] = mapped_column(String(40))
    payment_id: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(BigInteger)
    discount_total: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_total: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    fee_total: Mapped[int] = mapped_column(BigInteger)
    refunded_total: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fee_total: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_address: Mapped[dict[str, Any]] = mapped_column(JSON)
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]  # unpaid orders are cancelled then (order_unpaid_ttl_minutes)
    paid_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    return_window_ends_at: Mapped[datetime | None]  # delivered_at + return_window_days
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    variant_id: Mapped[str] = mapped_column(String(40))
    product_id: Mapped[str] = mapped_column(String(40))
    sku: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(512))
    image_url: Mapped[str | None] = mapped_column(String(2048))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    discount: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger)  # the platform's referral fee on this line
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    restocked_quantity: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attribution: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OrderTimelineEntry(Base):
    __tablename__ = "order_timeline"
    __table_args__ = (Index("ix_order_timeline_order", "order_id", "id"),)

    # A counter, not a ULID: two entries written in the same millisecond must still read in order.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    event: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    fee_reversed: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(500))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    provider_refund_id: Mapped[str] = mapped_column(String(128))
    return_id: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ReturnRequest(Base):
    __tablename__ = "return_requests"
    __table_args__ = (Index("ix_return_requests_shop_status", "shop_id", "status", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(String(40))
    shop_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # requested, approved, rejected
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    refund_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class ShopPayout(Base):
    """A shop's withdrawal of its available payable through the payout provider (order/payouts.py)."""

    __tablename__ = "shop_payouts"
    __table_args__ = (Index("ix_shop_payouts_shop", "shop_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))  # processing, paid, failed
    provider: Mapped[str] = mapped_column(String(32))
    provider_reference: Mapped[str | None] = mapped_column(String(128))
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
