"""Ledger tables: accounts with their running balance, transactions, and the entries that make them up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from shoppable.kit.db import Base


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("owner_type", "owner_id", "purpose", "currency"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_type: Mapped[str] = mapped_column(String(32))  # platform, shop, creator, buyer...
    owner_id: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(64))  # payable_pending, fee_revenue, clearing...
    currency: Mapped[str] = mapped_column(String(3))
    # Guarded accounts (may_go_negative false) keep the sum of their entries here, moved by the posting itself
    # (verified by `ledger verify`); other accounts' balances are summed from their entries when read.
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    # A guarded account (may_go_negative false) never goes below zero on its normal side: a debit-normal one
    # (an asset: money we hold) never below 0, a credit-normal one (a liability: money we owe) never above 0.
    may_go_negative: Mapped[bool] = mapped_column(default=True)
    is_credit_normal: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime]


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"
    # One transaction per money event: posting the same event twice is refused by the database.
    __table_args__ = (UniqueConstraint("kind", "reference"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime]


class LedgerEntry(Base):
    """One leg of a transaction: positive amounts debit the account, negative ones credit it."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_account", "account_id", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
