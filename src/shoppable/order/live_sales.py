"""What buying needs from live shopping, which sits above orders: flash-sale prices and quotas, purchase
banners, and the creator a live credits. The live module implements it; the application hands it to checkout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.order.rules import Item


@dataclass(frozen=True, slots=True)
class SpecialPrice:
    """A variant sold at a special price from a limited quota (a flash sale)."""

    offer_id: str
    variant_id: str
    price: int
    per_buyer_limit: int


@dataclass(frozen=True, slots=True)
class LiveLine:
    live_id: str
    product_id: str
    variant_id: str
    quantity: int


class LiveSales(Protocol):
    async def quote(self, session: AsyncSession, items: Sequence[Item], *, now: datetime) -> dict[str, SpecialPrice]:
        """Special prices by variant for items bought from a live; 409 ``sold_out`` when the quota is gone."""
        ...

    async def take(
        self,
        session: AsyncSession,
        *,
        buyer_id: str,
        prices: Mapping[str, SpecialPrice],
        units: Mapping[str, int],
        now: datetime,
    ) -> None:
        """Take units from the quotas (and the buyer's limit), or 409 ``sold_out`` / ``flash_sale_limit``."""
        ...

    async def give_back(
        self, session: AsyncSession, *, buyer_id: str, prices: Mapping[str, SpecialPrice], units: Mapping[str, int]
    ) -> None:
        """Return units taken by a purchase whose payment was refused."""
        ...

    async def sold(self, session: AsyncSession, *, buyer_id: str, lines: Sequence[LiveLine]) -> None:
        """A purchase from a live was paid: tell its room (after commit)."""
        ...

    async def creator_for(self, session: AsyncSession, live_id: str, product_id: str) -> str | None:
        """The creator who hosts the live, if it shows the product."""
        ...
