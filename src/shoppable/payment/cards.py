"""Saved cards: a user keeps up to 10 for checkout, each as the provider's reusable token and what a person
recognises it by (brand, last four digits, expiry). The card number is never stored nor logged.

This build's provider is the test provider, so a card number is turned into its token here, by Stripe's
published test card numbers; a real provider tokenises the number in the buyer's browser instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.kit.clock import utcnow
from shoppable.kit.db import core_execute
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id
from shoppable.payment import test_provider
from shoppable.payment.models import SavedCard

MAX_CARDS = 10

# Stripe's test card numbers (https://docs.stripe.com/testing) → (test provider token, brand).
TEST_CARDS: dict[str, tuple[str, str]] = {
    "4242424242424242": (test_provider.SUCCEEDS, "visa"),
    "5555555555554444": (test_provider.SUCCEEDS, "mastercard"),
    "4000000000000002": (test_provider.DECLINED, "visa"),
    "4000000000000119": (test_provider.PROCESSING_ERROR, "visa"),
}


@dataclass(frozen=True, slots=True)
class CardDetails:
    """What is kept of a card: never its number."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


def _refusal(code: str, detail: str, field: str, msg: str) -> ShoppableError:
    return ShoppableError(code, 422, detail, errors=[{"loc": ["body", field], "msg": msg}])


def passes_luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_from_number(number: str, exp_month: int, exp_year: int, *, today: date) -> CardDetails:
    """The test provider's token and the card's recognisable details for a card number (spaces and dashes
    allowed). 422 ``invalid_card_number`` for a number no card has, ``unsupported_card`` for a real-looking
    number that is not one of Stripe's test cards, ``validation_error`` for a month out of 1..12 and
    ``card_expired`` for an expiry before ``today``'s month (a card is good through its expiry month)."""
    digits = number.replace(" ", "").replace("-", "")
    if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19 and passes_luhn(digits)):
        raise _refusal("invalid_card_number", "This is not a valid card number.", "number", "not a valid card number")
    known = TEST_CARDS.get(digits)
    if known is None:
        raise _refusal(
            "unsupported_card",
            "This test build takes Stripe's test cards, e.g. 4242 4242 4242 4242.",
            "number",
            "not a Stripe test card",
        )
    if not 1 <= exp_month <= 12:
        raise _refusal("validation_error", "The expiry month must be 1 to 12.", "exp_month", "must be 1 to 12")
    if (exp_year, exp_month) < (today.year, today.month):
        field = "exp_year" if exp_year < today.year else "exp_month"
        raise _refusal("card_expired", "This card has expired.", field, "the card has expired")
    token, brand = known
    return CardDetails(token=token, brand=brand, last4=digits[-4:], exp_month=exp_month, exp_year=exp_year)


def _as_dict(row: SavedCard) -> dict[str, Any]:
    return {
        "id": row.id,
        "brand": row.brand,
        "last4": row.last4,
        "exp_month": row.exp_month,
        "exp_year": row.exp_year,
        "token": row.token,
    }


async def list_cards(session: AsyncSession, user_id: str) -> list[dict[str, Any]]:
    """The user's saved cards, newest first."""
    rows = await session.scalars(
        select(SavedCard).where(SavedCard.user_id == user_id).order_by(SavedCard.created_at.desc(), SavedCard.id.desc())
    )
    return [_as_dict(row) for row in rows]


async def get_card(session: AsyncSession, user_id: str, card_id: str) -> dict[str, Any]:
    """One of the user's cards; 404 for any other (another user's is not visible)."""
    row = await session.scalar(select(SavedCard).where(SavedCard.id == card_id, SavedCard.user_id == user_id))
    if row is None:
        raise not_found("Card")
    return _as_dict(row)


async def _serialise_saves(session: AsyncSession, user_id: str) -> None:
    """One user's card saves one at a time, so two at once can neither both pass the cap nor save one card
    twice: a transaction-scoped advisory lock on PostgreSQL (payment owns no row per user to lock); SQLite's
    writers are serial already."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"saved_cards:{user_id}"))))


async def save_card(
    session: AsyncSession,
    user_id: str,
    number: str,
    exp_month: int,
    exp_year: int,
    provider_name: str = "test",
) -> dict[str, Any]:
    """Keep a card for the user; the one already saved when it has the same token, last four and expiry.
    At most ``MAX_CARDS`` (422 ``too_many_cards``)."""
    if provider_name != test_provider.TestPaymentProvider.name:
        raise ShoppableError(
            "card_entry_unsupported", 422, f"Cards are entered through the {provider_name} provider, not here."
        )
    card = card_from_number(number, exp_month, exp_year, today=utcnow().date())
    await _serialise_saves(session, user_id)
    existing = await session.scalar(
        select(SavedCard)
        .where(
            SavedCard.user_id == user_id,
            SavedCard.provider == provider_name,
            SavedCard.token == card.token,
            SavedCard.last4 == card.last4,
            SavedCard.exp_month == card.exp_month,
            SavedCard.exp_year == card.exp_year,
        )
        .limit(1)
    )
    if existing is not None:
        return _as_dict(existing)
    count = await session.scalar(select(func.count()).select_from(SavedCard).where(SavedCard.user_id == user_id))
    if (count or 0) >= MAX_CARDS:
        raise ShoppableError(
            "too_many_cards", 422, f"You can keep at most {MAX_CARDS} cards; delete one to save another."
        )
    row = SavedCard(
        id=new_id("card"),
        user_id=user_id,
        provider=provider_name,
        token=card.token,
        brand=card.brand,
        last4=card.last4,
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return _as_dict(row)


async def delete_card(session: AsyncSession, user_id: str, card_id: str) -> None:
    """Forget one of the user's cards; 404 for any other."""
    result = await core_execute(session, delete(SavedCard).where(SavedCard.id == card_id, SavedCard.user_id == user_id))
    if not result.rowcount:
        raise not_found("Card")
