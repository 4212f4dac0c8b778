"""Bulk writes behave the same on both engines, whichever path (COPY or statements) they take."""

from __future__ import annotations

from typing import Any, cast

import pytest
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError

from shoppable.catalog.models import Shop
from shoppable.kit.clock import utcnow
from shoppable.kit.db import COPY_THRESHOLD, Database, bulk_insert, bulk_update_by_id
from shoppable.kit.ids import new_id

SHOPS = cast(Table, Shop.__table__)


def _shops(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": new_id("shop"),
            "slug": new_id("slug").lower(),
            "name": f"Bulk {n}",
            "currency": "USD",
            "status": "active",
            "created_at": utcnow(),
        }
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [3, COPY_THRESHOLD + 5])
async def test_bulk_insert_and_update_round_trip(database: Database, count: int) -> None:
    rows = _shops(count)
    async with database.session() as session:
        await bulk_insert(session, SHOPS, rows)
        await bulk_update_by_id(session, SHOPS, [{"id": r["id"], "name": r["name"] + " renamed"} for r in rows])
    async with database.session(write=False) as session:
        names = dict(
            (await session.execute(select(Shop.id, Shop.name).where(Shop.id.in_([r["id"] for r in rows])))).all()
        )
    assert names == {r["id"]: r["name"] + " renamed" for r in rows}


@pytest.mark.parametrize("count", [3, COPY_THRESHOLD + 5])
async def test_bulk_insert_duplicates_raise_integrity_error(database: Database, count: int) -> None:
    rows = _shops(count)
    rows[-1]["slug"] = rows[0]["slug"]
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            await bulk_insert(session, SHOPS, rows)
    async with database.session(write=False) as session:
        assert await session.scalar(select(Shop.id).where(Shop.id == rows[0]["id"])) is None
