"""Saved shipping addresses: a user keeps up to 20 for checkout, each in the shape of an order's
``shipping_address``. Input is validated by the caller (the API's ``ShippingAddress``); this module stores it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.identity.models import SavedAddress, User
from shoppable.kit.clock import utcnow
from shoppable.kit.db import core_execute
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id

MAX_ADDRESSES = 20
FIELDS = ("name", "line1", "line2", "city", "postal_code", "country", "region", "phone")
_OPTIONAL = frozenset({"line2", "region", "phone"})


def _as_dict(row: SavedAddress) -> dict[str, Any]:
    return {"id": row.id, **{field: getattr(row, field) for field in FIELDS}}


def _normalised(address: Mapping[str, Any]) -> dict[str, str | None]:
    """The address's fields only; an empty optional field is no field (so "" and null dedupe as one)."""
    values: dict[str, str | None] = {}
    for field in FIELDS:
        value = address.get(field)
        values[field] = None if field in _OPTIONAL and not value else value
    return values


async def list_addresses(session: AsyncSession, user_id: str) -> list[dict[str, Any]]:
    """The user's saved addresses, newest first."""
    rows = await session.scalars(
        select(SavedAddress)
        .where(SavedAddress.user_id == user_id)
        .order_by(SavedAddress.created_at.desc(), SavedAddress.id.desc())
    )
    return [_as_dict(row) for row in rows]


async def get_address(session: AsyncSession, user_id: str, address_id: str) -> dict[str, Any]:
    """One of the user's addresses; 404 for any other (another user's is not visible)."""
    row = await session.scalar(
        select(SavedAddress).where(SavedAddress.id == address_id, SavedAddress.user_id == user_id)
    )
    if row is None:
        raise not_found("Address")
    return _as_dict(row)


async def save_address(session: AsyncSession, user_id: str, address: Mapping[str, Any]) -> dict[str, Any]:
    """Keep an address for the user; the one already saved when it is identical. At most ``MAX_ADDRESSES``
    (422 ``too_many_addresses``)."""
    values = _normalised(address)
    # The user's row lock (NO KEY UPDATE: inserts referencing the user still proceed) serialises one user's
    # saves, so two at once can neither both pass the cap nor save one address twice. SQLite's writers are
    # serial already.
    await session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))
    existing = await session.scalar(
        select(SavedAddress)
        .where(
            SavedAddress.user_id == user_id,
            *(
                getattr(SavedAddress, field).is_(None) if value is None else getattr(SavedAddress, field) == value
                for field, value in values.items()
            ),
        )
        .limit(1)
    )
    if existing is not None:
        return _as_dict(existing)
    count = await session.scalar(select(func.count()).select_from(SavedAddress).where(SavedAddress.user_id == user_id))
    if (count or 0) >= MAX_ADDRESSES:
        raise ShoppableError(
            "too_many_addresses",
            422,
            f"You can keep at most {MAX_ADDRESSES} addresses; delete one to save another.",
        )
    row = SavedAddress(id=new_id("adr"), user_id=user_id, created_at=utcnow(), **values)
    session.add(row)
    await session.flush()
    return _as_dict(row)


async def delete_address(session: AsyncSession, user_id: str, address_id: str) -> None:
    """Forget one of the user's addresses; 404 for any other."""
    result = await core_execute(
        session, delete(SavedAddress).where(SavedAddress.id == address_id, SavedAddress.user_id == user_id)
    )
    if not result.rowcount:
        raise not_found("Address")
