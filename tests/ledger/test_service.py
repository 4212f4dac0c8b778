"""Posting on a real database: balances follow entries, refusals roll back, concurrency keeps the books right."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from shoppable.kit.db import Database
from shoppable.kit.errors import ShoppableError
from shoppable.kit.money import Money
from shoppable.ledger import service as ledger
from shoppable.ledger.rules import Leg
from shoppable.ledger.service import AccountRef, LedgerError
from tests.conftest import DATABASE_URL
from tests.helpers import run_shoppable, unique


async def _accounts(database: Database, count: int, currency: str = "USD", *, guarded: bool = False) -> list[str]:
    owner = unique("owner")
    async with database.session() as session:
        return [
            await ledger.open_account(
                session, AccountRef("test", owner, f"purpose{i}", currency), may_go_negative=not guarded or i > 0
            )
            for i in range(count)
        ]


async def test_post_moves_balances_and_verifies(database: Database) -> None:
    cash, payable, fee = await _accounts(database, 3)
    async with database.session() as session:
        await ledger.post(
            session,
            kind="capture",
            reference=unique("order"),
            legs=[Leg(cash, Money(1000, "USD")), Leg(payable, Money(-940, "USD")), Leg(fee, Money(-60, "USD"))],
        )
    async with database.session(write=False) as session:
        assert [await ledger.balance(session, a) for a in (cash, payable, fee)] == [
            Money(1000, "USD"),
            Money(-940, "USD"),
            Money(-60, "USD"),
        ]
        assert await ledger.verify(session) == []


async def test_opening_an_account_twice_returns_the_same_account(database: Database) -> None:
    ref = AccountRef("shop", unique("shop"), "payable_pending", "EUR")
    async with database.session() as session:
        first = await ledger.open_account(session, ref)
        assert await ledger.open_account(session, ref) == first


async def test_unbalanced_and_wrong_currency_postings_are_bugs(database: Database) -> None:
    usd, other = await _accounts(database, 2)
    async with database.session() as session:
        with pytest.raises(LedgerError, match="unbalanced"):
            await ledger.post(
                session, kind="x", reference=unique(), legs=[Leg(usd, Money(1, "USD")), Leg(other, Money(-2, "USD"))]
            )
        with pytest.raises(LedgerError, match="not a EUR account"):
            await ledger.post(
                session, kind="x", reference=unique(), legs=[Leg(usd, Money(1, "EUR")), Leg(other, Money(-1, "EUR"))]
            )


async def test_the_same_event_is_booked_once(database: Database) -> None:
    a, b = await _accounts(database, 2)
    reference = unique("refund")
    legs = [Leg(a, Money(5, "USD")), Leg(b, Money(-5, "USD"))]
    async with database.session() as session:
        await ledger.post(session, kind="refund", reference=reference, legs=legs)
    with pytest.raises(ShoppableError) as refused:
        async with database.session() as session:
            await ledger.post(session, kind="refund", reference=reference, legs=legs)
    assert refused.value.code == "already_posted"
    async with database.session(write=False) as session:
        assert await ledger.balance(session, a) == Money(5, "USD")


async def test_a_guarded_account_never_goes_negative_and_the_refusal_rolls_back(database: Database) -> None:
    guarded, source = await _accounts(database, 2, guarded=True)
    async with database.session() as session:
        await ledger.post(
            session,
            kind="fund",
            reference=unique(),
            legs=[Leg(guarded, Money(10, "USD")), Leg(source, Money(-10, "USD"))],
        )
    with pytest.raises(ShoppableError) as refused:
        async with database.session() as session:
            await ledger.post(
                session,
                kind="payout",
                reference=unique(),
                legs=[Leg(guarded, Money(-11, "USD")), Leg(source, Money(11, "USD"))],
            )
    assert refused.value.code == "insufficient_balance"
    async with database.session(write=False) as session:
        assert await ledger.balance(session, guarded) == Money(10, "USD")
        assert await ledger.verify(session) == []


async def test_concurrent_withdrawals_from_one_balance(database: Database) -> None:
    guarded, sink = await _accounts(database, 2, guarded=True)
    async with database.session() as session:
        await ledger.post(
            session,
            kind="fund",
            reference=unique(),
            legs=[Leg(guarded, Money(25, "USD")), Leg(sink, Money(-25, "USD"))],
        )

    async def withdraw(n: int) -> str:
        try:
            async with database.session() as session:
                await ledger.post(
                    session,
                    kind="payout",
                    reference=f"{guarded}-{n}",
                    legs=[Leg(guarded, Money(-1, "USD")), Leg(sink, Money(1, "USD"))],
                )
        except ShoppableError as error:
            return error.code
        return "ok"

    results = await asyncio.gather(*(withdraw(n) for n in range(40)))
    assert results.count("ok") == 25
    assert results.count("insufficient_balance") == 15
    async with database.session(write=False) as session:
        assert await ledger.balance(session, guarded) == Money(0, "USD")
        assert await ledger.verify(session) == []


transfers = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 10_000)).filter(lambda t: t[0] != t[1]),
    min_size=1,
    max_size=25,
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(moves=transfers)
def test_any_sequence_of_postings_keeps_the_books_right(migrated: None, moves: list[tuple[int, int, int]]) -> None:
    """Random transfers between four accounts, one of them guarded: balances equal their entries' sums,
    the guarded one is never negative, and every refusal leaves no trace."""

    async def scenario() -> None:
        database = Database(DATABASE_URL, pooled=False)
        try:
            accounts = await _accounts(database, 4, guarded=True)
            expected = [0, 0, 0, 0]
            for number, (debit, credit, amount) in enumerate(moves):
                legs = [Leg(accounts[debit], Money(amount, "USD")), Leg(accounts[credit], Money(-amount, "USD"))]
                refused = credit == 0 and expected[0] - amount < 0  # account 0 may not go negative
                if refused:
                    with pytest.raises(ShoppableError, match="cannot go below zero"):
                        async with database.session() as session:
                            await ledger.post(session, kind="move", reference=f"{accounts[0]}-{number}", legs=legs)
                    continue
                async with database.session() as session:
                    await ledger.post(session, kind="move", reference=f"{accounts[0]}-{number}", legs=legs)
                expected[debit] += amount
                expected[credit] -= amount
            async with database.session(write=False) as session:
                assert [(await ledger.balance(session, a)).amount for a in accounts] == expected
                assert expected[0] >= 0
                assert await ledger.verify(session) == []
        finally:
            await database.dispose()

    asyncio.run(scenario())


async def test_verify_finds_tampering_and_the_command_exits_non_zero(database: Database) -> None:
    a, b = await _accounts(database, 2, guarded=True)
    async with database.session() as session:
        transaction = await ledger.post(
            session, kind="t", reference=unique(), legs=[Leg(a, Money(3, "USD")), Leg(b, Money(-3, "USD"))]
        )
    async with database.session() as session:
        await session.execute(
            text(
                "INSERT INTO ledger_entries (id, transaction_id, account_id, amount, currency) "
                "VALUES ('ent_bogus', :t, :a, 1, 'USD')"
            ),
            {"t": transaction, "a": a},
        )
    try:
        async with database.session(write=False) as session:
            problems = await ledger.verify(session)
        assert any(transaction in p and "does not balance" in p for p in problems)
        assert any(a in p and "shows 3 but its entries sum to 4" in p for p in problems)
        code, output = await run_shoppable("ledger", "verify")
        assert code == 1
        assert "does not verify" in output
    finally:
        async with database.session() as session:
            await session.execute(text("DELETE FROM ledger_entries WHERE id = 'ent_bogus'"))
    code, output = await run_shoppable("ledger", "verify")
    assert code == 0, output
    assert "verifies" in output
