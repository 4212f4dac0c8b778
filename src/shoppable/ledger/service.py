"""Ledger use cases: open accounts, post balanced transactions, read balances, verify the books."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.kit.clock import utcnow
from shoppable.kit.db import bulk_insert
from shoppable.kit.errors import ShoppableError
from shoppable.kit.ids import new_id
from shoppable.kit.money import Money, check_currency
from shoppable.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from shoppable.ledger.rules import Leg, check_postable


class LedgerError(Exception):
    """A posting the code should never have attempted (unbalanced, wrong currency): a bug, not bad input."""


@dataclass(frozen=True, slots=True)
class AccountRef:
    owner_type: str
    owner_id: str
    purpose: str
    currency: str


async def open_account(session: AsyncSession, ref: AccountRef, *, may_go_negative: bool = True) -> str:
    """The id of the account for this owner, purpose and currency, created on first use."""
    check_currency(ref.currency)
    found = await _account_id(session, ref)
    if found is not None:
        return found
    account = LedgerAccount(
        id=new_id("acct"),
        owner_type=ref.owner_type,
        owner_id=ref.owner_id,
        purpose=ref.purpose,
        currency=ref.currency,
        balance=0,
        may_go_negative=may_go_negative,
        created_at=utcnow(),
    )
    try:
        async with session.begin_nested():
            session.add(account)
    except IntegrityError:  # opened by a concurrent transaction first
        found = await _account_id(session, ref)
        assert found is not None
        return found
    return account.id


async def _account_id(session: AsyncSession, ref: AccountRef) -> str | None:
    return await session.scalar(
        select(LedgerAccount.id).where(
            LedgerAccount.owner_type == ref.owner_type,
            LedgerAccount.owner_id == ref.owner_id,
            LedgerAccount.purpose == ref.purpose,
            LedgerAccount.currency == ref.currency,
        )
    )


async def post(session: AsyncSession, *, kind: str, reference: str, legs: list[Leg], description: str = "") -> str:
    """Post one balanced transaction in the caller's database transaction; returns its id.

    Balances move by conditional updates taken in account-id order (no deadlock between two postings
    that touch the same accounts); an account that may not go negative refuses with 409
    ``insufficient_balance``, and the caller's whole transaction rolls back. The same ``kind`` and
    ``reference`` posted twice is refused with 409 ``already_posted``: a money event is booked once.
    """
    problem = check_postable(legs)
    if problem is not None:
        raise LedgerError(f"{kind} {reference}: {problem}")
    deltas: dict[str, int] = defaultdict(int)
    currencies: dict[str, str] = {}
    for leg in legs:
        deltas[leg.account_id] += leg.amount.amount
        currencies[leg.account_id] = leg.amount.currency
    rows = await session.execute(select(LedgerAccount.id, LedgerAccount.currency).where(LedgerAccount.id.in_(deltas)))
    accounts = {account_id: currency for account_id, currency in rows}
    for account_id, currency in currencies.items():
        if accounts.get(account_id) != currency:
            raise LedgerError(f"{kind} {reference}: account {account_id} is not a {currency} account")
    transaction_id = new_id("txn")
    try:
        async with session.begin_nested():
            session.add(
                LedgerTransaction(
                    id=transaction_id, kind=kind, reference=reference, description=description, created_at=utcnow()
                )
            )
    except IntegrityError:
        raise ShoppableError("already_posted", 409, f"{kind} {reference} is already on the ledger.") from None
    await bulk_insert(
        session,
        LedgerEntry.__table__,  # type: ignore[arg-type]
        [
            {
                "id": new_id("ent"),
                "transaction_id": transaction_id,
                "account_id": leg.account_id,
                "amount": leg.amount.amount,
                "currency": leg.amount.currency,
            }
            for leg in legs
        ],
    )
    for account_id in sorted(deltas):
        delta = deltas[account_id]
        if delta == 0:
            continue
        moved = await session.scalar(
            update(LedgerAccount)
            .where(
                LedgerAccount.id == account_id,
                LedgerAccount.may_go_negative | (LedgerAccount.balance + delta >= 0),
            )
            .values(balance=LedgerAccount.balance + delta)
            .returning(LedgerAccount.id)
            .execution_options(synchronize_session=False)
        )
        if moved is None:
            raise ShoppableError(
                "insufficient_balance", 409, f"Account {account_id} cannot go below zero ({kind} {reference})."
            )
    return transaction_id


async def balance(session: AsyncSession, account_id: str) -> Money:
    row = (
        await session.execute(
            select(LedgerAccount.balance, LedgerAccount.currency).where(LedgerAccount.id == account_id)
        )
    ).one()
    return Money(row.balance, row.currency)


async def verify(session: AsyncSession) -> list[str]:
    """Every way the books are wrong; an empty list when they are right.

    Each transaction's entries sum to zero per currency and number at least two; every entry is in its
    account's currency; every account's balance equals the sum of its entries.
    """
    problems: list[str] = []
    unbalanced = await session.execute(
        select(LedgerEntry.transaction_id, LedgerEntry.currency, func.sum(LedgerEntry.amount))
        .group_by(LedgerEntry.transaction_id, LedgerEntry.currency)
        .having(func.sum(LedgerEntry.amount) != 0)
    )
    problems += [f"transaction {t} does not balance: {c} off by {s}" for t, c, s in unbalanced]
    thin = await session.execute(
        select(LedgerTransaction.id, func.count(LedgerEntry.id))
        .outerjoin(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .group_by(LedgerTransaction.id)
        .having(func.count(LedgerEntry.id) < 2)
    )
    problems += [f"transaction {t} has {n} entries" for t, n in thin]
    wrong_currency = await session.execute(
        select(LedgerEntry.id, LedgerEntry.currency, LedgerAccount.currency)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerEntry.currency != LedgerAccount.currency)
    )
    problems += [f"entry {e} is in {ec} on a {ac} account" for e, ec, ac in wrong_currency]
    drift = await session.execute(
        text(
            "SELECT a.id, a.balance, COALESCE(SUM(e.amount), 0) AS total FROM ledger_accounts a "
            "LEFT JOIN ledger_entries e ON e.account_id = a.id GROUP BY a.id, a.balance "
            "HAVING a.balance != COALESCE(SUM(e.amount), 0)"
        )
    )
    problems += [f"account {a} shows {b} but its entries sum to {t}" for a, b, t in drift]
    return problems
