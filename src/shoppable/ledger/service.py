"""Ledger use cases: open accounts, post balanced transactions, read balances, verify the books."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.kit.clock import utcnow
from shoppable.kit.db import after_commit, flush_queued, insert_ignoring_conflicts, queue_insert
from shoppable.kit.errors import ShoppableError
from shoppable.kit.ids import new_id
from shoppable.kit.money import Money, check_currency
from shoppable.kit.pagination import decode_cursor, encode_cursor
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


@dataclass(frozen=True, slots=True)
class Posting:
    """One balanced transaction to post: a money event, booked once per ``(kind, reference)``."""

    kind: str
    reference: str
    legs: list[Leg]
    description: str = ""


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """An account to open: a guarded one never goes below zero on its normal side (see ``LedgerAccount``)."""

    ref: AccountRef
    guarded: bool = False
    is_credit_normal: bool = False


@dataclass(frozen=True, slots=True)
class _AccountFacts:
    currency: str
    may_go_negative: bool
    is_credit_normal: bool


# Accounts never change currency or guard and are never deleted: what a committed transaction proved
# exists is remembered per process (a process serves one database), so a posting to known accounts costs
# no lookup.
_known_accounts: dict[str, _AccountFacts] = {}


def account_id(ref: AccountRef) -> str:
    """An account's id follows from its owner, purpose and currency: opening needs no lookup."""
    key = "\x1f".join((ref.owner_type, ref.owner_id, ref.purpose, ref.currency))
    return "acct_" + hashlib.sha256(key.encode()).hexdigest()[:32]


async def open_account(
    session: AsyncSession, ref: AccountRef, *, may_go_negative: bool = True, is_credit_normal: bool = False
) -> str:
    """The id of the account for this owner, purpose and currency, created on first use."""
    (opened,) = await open_accounts(session, [AccountSpec(ref, not may_go_negative, is_credit_normal)])
    return opened


async def open_accounts(session: AsyncSession, specs: list[AccountSpec]) -> list[str]:
    """Open several accounts in one statement (those not open yet); their ids in the order given."""
    ids = [account_id(spec.ref) for spec in specs]
    rows = []
    for spec, opened in zip(specs, ids, strict=True):
        ref = spec.ref
        check_currency(ref.currency)
        if opened not in _known_accounts:
            rows.append(
                {
                    "id": opened,
                    "owner_type": ref.owner_type,
                    "owner_id": ref.owner_id,
                    "purpose": ref.purpose,
                    "currency": ref.currency,
                    "balance": 0,
                    "may_go_negative": not spec.guarded,
                    "is_credit_normal": spec.is_credit_normal,
                    "created_at": utcnow(),
                }
            )
    await insert_ignoring_conflicts(session, LedgerAccount.__table__, rows)  # type: ignore[arg-type]
    if rows:  # learn them (once committed), so that opening them again costs no statement
        await _account_facts(session, {str(row["id"]) for row in rows})
    return ids


async def _account_facts(session: AsyncSession, ids: set[str]) -> dict[str, _AccountFacts]:
    facts = {i: _known_accounts[i] for i in ids if i in _known_accounts}
    unknown = ids - facts.keys()
    if unknown:
        rows = await session.execute(
            select(
                LedgerAccount.id, LedgerAccount.currency, LedgerAccount.may_go_negative, LedgerAccount.is_credit_normal
            ).where(LedgerAccount.id.in_(unknown))
        )
        found = {row.id: _AccountFacts(row.currency, row.may_go_negative, row.is_credit_normal) for row in rows}
        facts.update(found)
        after_commit(session, lambda: _known_accounts.update(found))
    return facts


async def post(session: AsyncSession, *, kind: str, reference: str, legs: list[Leg], description: str = "") -> str:
    """Post one balanced transaction in the caller's database transaction; returns its id."""
    (posted,) = await post_many(session, [Posting(kind, reference, legs, description)])
    return posted


async def post_many(session: AsyncSession, postings: list[Posting]) -> list[str]:
    """Post balanced transactions in the caller's database transaction, in three statements whatever
    their number; returns their ids.

    The same ``kind`` and ``reference`` posted twice is refused with 409 ``already_posted``: a money event
    is booked once. Guarded accounts keep a running balance, moved by conditional updates
    in account-id order (no deadlock between postings touching the same accounts); one that would go
    negative refuses with 409 ``insufficient_balance`` and the caller's whole transaction rolls back.
    Other accounts' balances are the sum of their entries: every checkout credits the platform's fee
    account, and a running balance there would make all checkouts queue on one row.
    """
    if not postings:
        return []
    facts = await _account_facts(session, {leg.account_id for p in postings for leg in p.legs})
    for p in postings:
        problem = check_postable(p.legs)
        if problem is not None:
            raise LedgerError(f"{p.kind} {p.reference}: {problem}")
        for leg in p.legs:
            known = facts.get(leg.account_id)
            if known is None or known.currency != leg.amount.currency:
                raise LedgerError(
                    f"{p.kind} {p.reference}: account {leg.account_id} is not a {leg.amount.currency} account"
                )
    now = utcnow()
    ids = [new_id("txn") for _ in postings]
    inserted = await insert_ignoring_conflicts(
        session,
        LedgerTransaction.__table__,  # type: ignore[arg-type]
        [
            {"id": i, "kind": p.kind, "reference": p.reference, "description": p.description, "created_at": now}
            for i, p in zip(ids, postings, strict=True)
        ],
        returning=LedgerTransaction.id,
    )
    if len(inserted) != len(postings):
        twice = [f"{p.kind} {p.reference}" for i, p in zip(ids, postings, strict=True) if i not in set(inserted)]
        raise ShoppableError("already_posted", 409, f"{', '.join(twice)} is already on the ledger.")
    queue_insert(
        session,
        LedgerEntry.__table__,  # type: ignore[arg-type]
        [
            {
                "id": new_id("ent"),
                "transaction_id": i,
                "account_id": leg.account_id,
                "amount": leg.amount.amount,
                "currency": leg.amount.currency,
            }
            for i, p in zip(ids, postings, strict=True)
            for leg in p.legs
        ],
    )
    deltas: dict[str, int] = defaultdict(int)
    for p in postings:
        for leg in p.legs:
            if not facts[leg.account_id].may_go_negative:
                deltas[leg.account_id] += leg.amount.amount
    for guarded in sorted(deltas):
        await _move_guarded_balance(session, guarded, deltas[guarded], facts[guarded].is_credit_normal, postings)
    return ids


async def _move_guarded_balance(
    session: AsyncSession, account: str, delta: int, is_credit_normal: bool, postings: list[Posting]
) -> None:
    if delta == 0:
        return
    after = LedgerAccount.balance + delta
    moved = await session.scalar(
        update(LedgerAccount)
        .where(LedgerAccount.id == account, after <= 0 if is_credit_normal else after >= 0)
        .values(balance=LedgerAccount.balance + delta)
        .returning(LedgerAccount.id)
        .execution_options(synchronize_session=False)
    )
    if moved is None:
        events = ", ".join(f"{p.kind} {p.reference}" for p in postings)
        raise ShoppableError("insufficient_balance", 409, f"Account {account} cannot go below zero ({events}).")


async def balance(session: AsyncSession, account: str) -> Money:
    """An account's balance: its running balance if guarded, else the sum of its entries."""
    await flush_queued(session)
    row = (
        await session.execute(
            select(LedgerAccount.balance, LedgerAccount.currency, LedgerAccount.may_go_negative).where(
                LedgerAccount.id == account
            )
        )
    ).one()
    if not row.may_go_negative:
        return Money(row.balance, row.currency)
    total = await session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.account_id == account)
    )
    return Money(int(total or 0), row.currency)


async def balances(session: AsyncSession, refs: list[AccountRef]) -> dict[AccountRef, Money]:
    """Balances of several accounts by reference (zero for accounts never opened)."""
    await flush_queued(session)
    by_id = {account_id(ref): ref for ref in refs}
    found = {
        row.id: row
        for row in await session.execute(
            select(LedgerAccount.id, LedgerAccount.balance, LedgerAccount.may_go_negative).where(
                LedgerAccount.id.in_(by_id)
            )
        )
    }
    summed_ids = [i for i, row in found.items() if row.may_go_negative]
    sums: dict[str, int] = {}
    if summed_ids:
        result = await session.execute(
            select(LedgerEntry.account_id, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.account_id.in_(summed_ids))
            .group_by(LedgerEntry.account_id)
        )
        sums = {account: int(total) for account, total in result}
    out: dict[AccountRef, Money] = {}
    for i, ref in by_id.items():
        row = found.get(i)
        amount = 0 if row is None else (sums.get(i, 0) if row.may_go_negative else row.balance)
        out[ref] = Money(amount, ref.currency)
    return out


async def verify(session: AsyncSession) -> list[str]:
    """Every way the books are wrong; an empty list when they are right.

    Each transaction's entries sum to zero per currency and number at least two; every entry is in its
    account's currency; every guarded account's running balance equals the sum of its entries.
    """
    await flush_queued(session)
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
            "LEFT JOIN ledger_entries e ON e.account_id = a.id WHERE NOT a.may_go_negative "
            "GROUP BY a.id, a.balance "
            "HAVING a.balance != COALESCE(SUM(e.amount), 0)"
        )
    )
    problems += [f"account {a} shows {b} but its entries sum to {t}" for a, b, t in drift]
    return problems


async def transactions_about(session: AsyncSession, references: list[str]) -> list[dict[str, object]]:
    """Every transaction whose reference is one of ``references`` or starts with one followed by ``:``, with
    its entries and their accounts, oldest first: how a commission or an order explains its money."""
    await flush_queued(session)
    if not references:
        return []
    matches: list[ColumnElement[bool]] = [LedgerTransaction.reference.in_(references)]
    matches += [LedgerTransaction.reference.startswith(f"{r}:", autoescape=True) for r in references]
    rows = await session.execute(
        select(
            LedgerTransaction.id,
            LedgerTransaction.kind,
            LedgerTransaction.reference,
            LedgerTransaction.created_at,
            LedgerEntry.amount,
            LedgerEntry.currency,
            LedgerAccount.owner_type,
            LedgerAccount.owner_id,
            LedgerAccount.purpose,
        )
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(or_(*matches))
        .order_by(LedgerTransaction.id, LedgerEntry.id)
    )
    out: dict[str, dict[str, object]] = {}
    for row in rows:
        txn = out.setdefault(
            row.id,
            {"id": row.id, "kind": row.kind, "reference": row.reference, "at": row.created_at, "entries": []},
        )
        entries = txn["entries"]
        assert isinstance(entries, list)
        entries.append(
            {
                "account": f"{row.owner_type}:{row.owner_id}:{row.purpose}",
                "amount": row.amount,
                "currency": row.currency,
            }
        )
    return list(out.values())


async def accounts_of(session: AsyncSession, owner_type: str, owner_id: str) -> list[AccountRef]:
    """Every account opened for an owner (all purposes and currencies)."""
    rows = await session.execute(
        select(LedgerAccount.purpose, LedgerAccount.currency).where(
            LedgerAccount.owner_type == owner_type, LedgerAccount.owner_id == owner_id
        )
    )
    return [AccountRef(owner_type, owner_id, purpose, currency) for purpose, currency in rows]


async def sums_by_kind(session: AsyncSession, refs: list[AccountRef]) -> dict[tuple[AccountRef, str], int]:
    """What each kind of transaction added up to on each of these accounts (debits positive): how a balance
    came to be, e.g. the referral fees taken out of a shop's payable."""
    await flush_queued(session)
    by_id = {account_id(ref): ref for ref in refs}
    if not by_id:
        return {}
    rows = await session.execute(
        select(LedgerEntry.account_id, LedgerTransaction.kind, func.sum(LedgerEntry.amount))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.account_id.in_(by_id))
        .group_by(LedgerEntry.account_id, LedgerTransaction.kind)
    )
    return {(by_id[account], kind): int(total) for account, kind, total in rows}


async def transactions_touching(
    session: AsyncSession,
    refs: list[AccountRef],
    *,
    kinds: list[str] | None = None,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[dict[str, object]], str | None]:
    """The transactions that moved any of these accounts (only those of ``kinds`` if given), newest first, a
    page at a time, each with all its entries and their accounts; the cursor of the next page (None on the
    last)."""
    await flush_queued(session)
    ids = [account_id(ref) for ref in refs]
    if not ids:
        return [], None
    query = (
        select(LedgerEntry.transaction_id)
        .distinct()
        .where(LedgerEntry.account_id.in_(ids))
        .order_by(LedgerEntry.transaction_id.desc())
        .limit(limit + 1)
    )
    if kinds is not None:
        query = query.join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id).where(
            LedgerTransaction.kind.in_(kinds)
        )
    if cursor is not None:
        (after,) = decode_cursor(cursor, 1)
        query = query.where(LedgerEntry.transaction_id < str(after))
    found = list((await session.execute(query)).scalars())
    page = found[:limit]
    next_cursor = encode_cursor([page[-1]]) if len(found) > limit else None
    if not page:
        return [], None
    rows = await session.execute(
        select(
            LedgerTransaction.id,
            LedgerTransaction.kind,
            LedgerTransaction.reference,
            LedgerTransaction.description,
            LedgerTransaction.created_at,
            LedgerEntry.account_id,
            LedgerEntry.amount,
            LedgerEntry.currency,
            LedgerAccount.owner_type,
            LedgerAccount.owner_id,
            LedgerAccount.purpose,
        )
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerTransaction.id.in_(page))
        .order_by(LedgerTransaction.id.desc(), LedgerEntry.id)
    )
    out: dict[str, dict[str, object]] = {}
    for row in rows:
        txn = out.setdefault(
            row.id,
            {
                "id": row.id,
                "kind": row.kind,
                "reference": row.reference,
                "description": row.description,
                "at": row.created_at,
                "entries": [],
            },
        )
        entries = txn["entries"]
        assert isinstance(entries, list)
        entries.append(
            {
                "account": AccountRef(row.owner_type, row.owner_id, row.purpose, row.currency),
                "amount": int(row.amount),
                "currency": row.currency,
            }
        )
    return list(out.values()), next_cursor
