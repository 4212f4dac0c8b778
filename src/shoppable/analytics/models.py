"""analytics' own tables: the dashboard's rollups, a shop's sales summed per quarter hour of payment (UTC).

A quarter hour is the finest step any time zone's midnight takes today (Nepal is UTC+5:45), so a shop's local
days are whole runs of quarter hours whatever its zone; 30 days are at most 2,880 rows of a shop's sales however
many orders it took. They are derived, never the record: `analytics.rollup` rebuilds a quarter hour from the
orders, lines and commissions whenever an order event says it changed, so replaying events is harmless."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from shoppable.kit.db import Base


class ShopSales(Base):
    """One shop's counted orders (paid, not cancelled) of one currency paid in one quarter hour."""

    __tablename__ = "analytics_shop_sales"

    shop_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(primary_key=True)  # the quarter hour's start, UTC
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    gmv: Mapped[int] = mapped_column(BigInteger)  # what buyers paid for the lines
    refunded: Mapped[int] = mapped_column(BigInteger)  # what was refunded of those orders so far
    units: Mapped[int] = mapped_column(Integer)


class ShopCredits(Base):
    """The credited lines of those orders, per creator and the content that drove them (``source_type`` and
    ``source_id`` empty: all of the creator's, its orders counted once), per quarter hour (span ``q``) and summed
    per UTC day (span ``d``, recomputed from the day's quarter hours): 30 days of a shop with many links read
    mostly day rows, and quarter hours only for the local days' edges."""

    __tablename__ = "analytics_shop_credits"
    __table_args__ = (
        # The dashboard's two top-five lists, each from its own rows alone (index-only on PostgreSQL).
        Index(
            "ix_analytics_shop_credits_creators",
            "shop_id",
            "span",
            "bucket",
            postgresql_include=["currency", "creator_id", "gmv", "orders"],
            postgresql_where=text("source_type = ''"),
            sqlite_where=text("source_type = ''"),
        ),
        Index(
            "ix_analytics_shop_credits_content",
            "shop_id",
            "span",
            "bucket",
            postgresql_include=["currency", "creator_id", "source_type", "source_id", "gmv", "orders"],
            postgresql_where=text("source_type <> ''"),
            sqlite_where=text("source_type <> ''"),
        ),
    )

    shop_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    span: Mapped[str] = mapped_column(String(1), primary_key=True)  # q: a quarter hour, d: a UTC day
    bucket: Mapped[datetime] = mapped_column(primary_key=True)  # its start, UTC
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    creator_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    gmv: Mapped[int] = mapped_column(BigInteger)  # what buyers paid for the credited lines
    orders: Mapped[int] = mapped_column(Integer)  # distinct orders (an order lies in one quarter hour, one day)
