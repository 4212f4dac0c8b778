"""Live tables: lives with their products and pins, flash sales and who bought how many, live coupons and their
claims, chat (every message kept for moderation review), moderation of viewers, hosts' blocked words."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shoppable.kit.db import Base


class Live(Base):
    __tablename__ = "lives"
    __table_args__ = (Index("ix_lives_status", "status", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    host_creator_id: Mapped[str | None] = mapped_column(String(40))
    host_shop_id: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    stream_url: Mapped[str | None] = mapped_column(String(2048))
    status: Mapped[str] = mapped_column(String(16))  # scheduled, live, ended
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    pinned_product_id: Mapped[str | None] = mapped_column(String(40))
    replay_video_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]


class LiveProduct(Base):
    __tablename__ = "live_products"

    live_id: Mapped[str] = mapped_column(ForeignKey("lives.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class Pin(Base):
    """A product pinned on screen from ``pinned_at`` until ``unpinned_at``: the replay's anchors."""

    __tablename__ = "live_pins"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    live_id: Mapped[str] = mapped_column(ForeignKey("lives.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(String(40))
    pinned_at: Mapped[datetime]
    unpinned_at: Mapped[datetime | None]


class FlashSale(Base):
    __tablename__ = "flash_sales"
    __table_args__ = (
        Index("ix_flash_sales_live_variant", "live_id", "variant_id"),
        Index("ix_flash_sales_due", "status", "ends_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    live_id: Mapped[str] = mapped_column(ForeignKey("lives.id"))
    variant_id: Mapped[str] = mapped_column(String(40))
    product_id: Mapped[str] = mapped_column(String(40))
    shop_id: Mapped[str] = mapped_column(String(40))
    price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    quantity: Mapped[int] = mapped_column(Integer)  # carved out of the variant's stock
    sold: Mapped[int] = mapped_column(Integer, default=0)
    per_buyer_limit: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # running, ended (sold out or over)
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class FlashSaleBuyer(Base):
    __tablename__ = "flash_sale_buyers"

    flash_sale_id: Mapped[str] = mapped_column(ForeignKey("flash_sales.id"), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    units: Mapped[int] = mapped_column(Integer)


class LiveCoupon(Base):
    __tablename__ = "live_coupons"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    live_id: Mapped[str] = mapped_column(ForeignKey("lives.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    discount_bps: Mapped[int] = mapped_column(Integer)
    total_cap: Mapped[int] = mapped_column(Integer)
    per_buyer_cap: Mapped[int] = mapped_column(Integer)
    claimed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class CouponClaim(Base):
    __tablename__ = "live_coupon_claims"

    coupon_id: Mapped[str] = mapped_column(ForeignKey("live_coupons.id"), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    claims: Mapped[int] = mapped_column(Integer)


class ChatMessage(Base):
    __tablename__ = "live_chat"
    __table_args__ = (Index("ix_live_chat_live", "live_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    live_id: Mapped[str] = mapped_column(ForeignKey("lives.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))  # shown, blocked_word, muted
    created_at: Mapped[datetime]


class Moderation(Base):
    """A viewer muted (their messages reach no one) or banned (no chat, no room) in one live."""

    __tablename__ = "live_moderation"

    live_id: Mapped[str] = mapped_column(ForeignKey("lives.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    action: Mapped[str] = mapped_column(String(8))  # mute, ban
    created_at: Mapped[datetime]


class BlockedWord(Base):
    """A word a host does not want in their lives' chat (any live they host)."""

    __tablename__ = "live_blocked_words"

    host_id: Mapped[str] = mapped_column(String(40), primary_key=True)  # a creator or shop id
    word: Mapped[str] = mapped_column(String(64), primary_key=True)


class SocketTicket(Base):
    """A single-use, short-lived pass into a live room's socket for a signed-in user: the URL then carries this
    instead of a 30-day bearer token. Only its SHA-256 is kept."""

    __tablename__ = "live_socket_tickets"
    __table_args__ = (Index("ix_live_socket_tickets_expires_at", "expires_at"),)

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    live_id: Mapped[str] = mapped_column(ForeignKey("lives.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
