"""Buying from a live (``order.live_sales.LiveSales``): flash-sale prices and quotas that are never oversold nor
bought past a buyer's limit, "Ana L. is buying" banners and stock-left events, and the creator a live credits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.identity import service as identity
from shoppable.kit.clock import utcnow
from shoppable.kit.errors import ShoppableError
from shoppable.live.hub import Hub
from shoppable.live.models import FlashSale, FlashSaleBuyer, Live, LiveProduct
from shoppable.live.rules import banner_name
from shoppable.live.service import RUNNING
from shoppable.order.live_sales import LiveLine, SpecialPrice
from shoppable.order.rules import Item


def sold_out(variant_id: str) -> ShoppableError:
    return ShoppableError(
        "sold_out",
        409,
        "The flash sale is sold out.",
        errors=[{"loc": ["body", "items"], "msg": f"variant {variant_id}: sold out"}],
    )


class FlashSales:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def quote(self, session: AsyncSession, items: Sequence[Item], *, now: datetime) -> dict[str, SpecialPrice]:
        wanted = {
            item.variant_id: str(item.source["id"])
            for item in items
            if item.source and item.source.get("type") == "live"
        }
        if not wanted:
            return {}
        current = (
            await session.execute(
                select(FlashSale)
                .where(
                    FlashSale.live_id.in_(set(wanted.values())),
                    FlashSale.variant_id.in_(list(wanted)),
                    FlashSale.ends_at > now,
                )
                .order_by(FlashSale.created_at)
            )
        ).scalars()
        prices = {}
        for sale in current:
            if wanted.get(sale.variant_id) != sale.live_id:
                continue
            if sale.sold >= sale.quantity:  # sold out, and its time is not over: no more at any price here
                raise sold_out(sale.variant_id)
            if sale.status != RUNNING:  # ended early with its live: the usual price applies
                continue
            if sale.opens_at > now:
                seconds = int((sale.opens_at - now).total_seconds()) + 1
                raise ShoppableError(
                    "flash_sale_not_open",
                    409,
                    f"The flash sale opens in {seconds} s.",
                    headers={"Retry-After": str(seconds)},
                )
            prices[sale.variant_id] = SpecialPrice(sale.id, sale.variant_id, sale.price, sale.per_buyer_limit)
        return prices

    async def take(
        self,
        session: AsyncSession,
        *,
        buyer_id: str,
        prices: Mapping[str, SpecialPrice],
        units: Mapping[str, int],
        now: datetime,
    ) -> None:
        for variant_id in sorted(prices):
            offer, wanted = prices[variant_id], units[variant_id]
            if wanted > offer.per_buyer_limit:
                raise _over_limit(offer)
            insert: Any = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            statement = insert(FlashSaleBuyer).values(flash_sale_id=offer.offer_id, buyer_id=buyer_id, units=wanted)
            upsert = statement.on_conflict_do_update(
                index_elements=["flash_sale_id", "buyer_id"],
                set_={"units": FlashSaleBuyer.units + wanted},
                where=FlashSaleBuyer.units + wanted <= offer.per_buyer_limit,
            ).returning(FlashSaleBuyer.units)
            if (await session.execute(upsert)).first() is None:
                raise _over_limit(offer)
            took = await session.execute(
                update(FlashSale)
                .where(
                    FlashSale.id == offer.offer_id,
                    FlashSale.status == RUNNING,
                    FlashSale.sold + wanted <= FlashSale.quantity,
                    FlashSale.ends_at > now,
                )
                .values(sold=FlashSale.sold + wanted)
                .returning(FlashSale.sold)
                .execution_options(synchronize_session=False)
            )
            if took.first() is None:
                raise sold_out(variant_id)

    async def give_back(
        self, session: AsyncSession, *, buyer_id: str, prices: Mapping[str, SpecialPrice], units: Mapping[str, int]
    ) -> None:
        for variant_id, quantity in units.items():
            offer = prices[variant_id]
            await session.execute(
                update(FlashSale)
                .where(FlashSale.id == offer.offer_id)
                .values(sold=FlashSale.sold - quantity)
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                update(FlashSaleBuyer)
                .where(FlashSaleBuyer.flash_sale_id == offer.offer_id, FlashSaleBuyer.buyer_id == buyer_id)
                .values(units=FlashSaleBuyer.units - quantity)
            )

    async def sold(self, session: AsyncSession, *, buyer_id: str, lines: Sequence[LiveLine]) -> None:
        user = await identity.get_user(session, buyer_id)
        for line in lines:
            self.hub.publish_after_commit(
                session,
                line.live_id,
                "purchase",
                {"buyer": banner_name(user.name), "product_id": line.product_id, "quantity": line.quantity},
            )
            sale = await session.scalar(
                select(FlashSale).where(
                    FlashSale.live_id == line.live_id,
                    FlashSale.variant_id == line.variant_id,
                    FlashSale.status == RUNNING,
                )
            )
            if sale is not None:
                remaining = sale.quantity - sale.sold
                self.hub.publish_after_commit(
                    session, line.live_id, "flash_sale.stock", {"id": sale.id, "remaining": remaining}
                )
                if remaining <= 0:  # sold out: nothing to give back; the room hears it at once, once
                    ended = await session.execute(
                        update(FlashSale)
                        .where(FlashSale.id == sale.id, FlashSale.status == RUNNING)
                        .values(status="ended", ended_at=utcnow())
                        .returning(FlashSale.id)
                        .execution_options(synchronize_session=False)
                    )
                    if ended.first() is not None:
                        self.hub.publish_after_commit(
                            session,
                            line.live_id,
                            "flash_sale.ended",
                            {"id": sale.id, "reason": "sold_out", "sold": sale.sold},
                        )

    async def creator_for(self, session: AsyncSession, live_id: str, product_id: str) -> str | None:
        return await session.scalar(
            select(Live.host_creator_id)
            .join(LiveProduct, LiveProduct.live_id == Live.id)
            .where(Live.id == live_id, LiveProduct.product_id == product_id)
        )


def _over_limit(offer: SpecialPrice) -> ShoppableError:
    return ShoppableError(
        "flash_sale_limit", 409, f"This flash sale allows {offer.per_buyer_limit} per buyer; you have reached it."
    )
