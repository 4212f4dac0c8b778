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
