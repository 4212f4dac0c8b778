"""Payment tables: one payment per buyer, checkout and currency, with what was captured and refunded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shoppable.kit.db import Base


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_buyer_created", "buyer_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(String(40))
    provider: Mapped[str] = mapped_column(String(32))
    # pending → captured → partially_refunded / refunded; pending → voided
    status: Mapped[str] = mapped_column(String(24))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    authorization_id: Mapped[str | None] = mapped_column(String(128))
    capture_id: Mapped[str | None] = mapped_column(String(128))
    captured_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SavedCard(Base):
    """A card a user keeps for checkout: the provider's reusable token and what a person recognises it by,
    never the card number."""

    __tablename__ = "saved_cards"
    __table_args__ = (Index("ix_saved_cards_user", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40))
    provider: Mapped[str] = mapped_column(String(32))
    token: Mapped[str] = mapped_column(String(128))
    brand: Mapped[str] = mapped_column(String(20))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int]
    exp_year: Mapped[int]
    created_at: Mapped[datetime]
