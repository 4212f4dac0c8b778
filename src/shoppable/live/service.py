"""Lives: scheduled with a product set, started, ended (then replayed as a video whose anchors are the pins);
pins, flash sales carved out of stock, live coupons, and what the room shows on connect. Every change the room
must see is published after its transaction commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate import allowances
from shoppable.catalog import service as catalog
from shoppable.catalog import stock
from shoppable.catalog.shops import can_act_for
from shoppable.content import promotable, videos
from shoppable.identity import service as identity
from shoppable.identity.rules import CallingCreator, Principal
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.db import insert_ignoring_conflicts
from shoppable.kit.errors import ShoppableError, forbidden, not_found
from shoppable.kit.ids import new_id
from shoppable.kit.pagination import newest_first
from shoppable.live.hub import Hub
from shoppable.live.models import CouponClaim, FlashSale, Live, LiveCoupon, LiveProduct, Pin
from shoppable.live.rules import MAX_LIVE_PRODUCTS, check_flash_sale

SCHEDULED, LIVE, ENDED = "scheduled", "live", "ended"
RUNNING = "running"


async def _creator_of(session: AsyncSession, principal: Principal) -> CallingCreator | None:
    if principal.user_id is None:
        return None
    found = await identity.creator_of_user(session, principal.user_id)
    return CallingCreator(principal.user_id, found.id, found.handle) if found else None


async def create_live(
    session: AsyncSession,
    principal: Principal,
    *,
    title: str,
    stream_url: str | None,
    scheduled_at: datetime | None,
    product_ids: Sequence[str],
    shop_id: str | None,
    notice: timedelta,
) -> dict[str, Any]:
    """A creator's live (products they may promote), or a shop's own (``shop_id``: its products)."""
    wanted = list(dict.fromkeys(product_ids))
    if len(wanted) > MAX_LIVE_PRODUCTS:
        raise ShoppableError("validation_error", 422, f"A live shows at most {MAX_LIVE_PRODUCTS} products.")
    creator = None
    if shop_id is not None:
        if not await can_act_for(session, principal, shop_id):
            raise forbidden("Only the shop's staff host its lives.")
        found = await catalog.product_summaries(session, wanted)
        refused = {p for p in wanted if p not in found or found[p].shop_id != shop_id or found[p].status != "active"}
    else:
        creator = await _creator_of(session, principal)
        if creator is None:
            raise ShoppableError("creator_required", 403, "Hosting a live needs a creator profile (or a shop_id).")
        refused = set(await promotable.refusals(session, creator, wanted, notice=notice))
    if refused:
        errors = [
            {"loc": ["body", "product_ids", i], "msg": "not a product you may sell here"}
            for i, p in enumerate(product_ids)
            if p in refused
        ]
        raise ShoppableError("validation_error", 422, "Some products cannot be in this live.", errors=errors)
    live = Live(
        id=new_id("live"),
        host_creator_id=creator.creator_id if creator else None,
        host_shop_id=shop_id,
        title=title,
        stream_url=stream_url,
        status=SCHEDULED,
        scheduled_at=scheduled_at,
        started_at=None,
        ended_at=None,
        pinned_product_id=None,
        replay_video_id=None,
        created_at=utcnow(),
    )
    session.add(live)
    await session.flush()
    session.add_all(LiveProduct(live_id=live.id, product_id=p, position=i) for i, p in enumerate(wanted))
    await session.flush()
    return await snapshot(session, live, viewers=0)


async def _live(session: AsyncSession, live_id: str, *, lock: bool = False) -> Live:
    query = select(Live).where(Live.id == live_id)
    found = await session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise not_found("Live")
    return found


async def is_host(session: AsyncSession, principal: Principal | None, live: Live) -> bool:
    if principal is None:
        return False
    if live.host_shop_id is not None:
        return await can_act_for(session, principal, live.host_shop_id)
    creator = await _creator_of(session, principal)
    return creator is not None and creator.creator_id == live.host_creator_id


async def hosted(session: AsyncSession, principal: Principal, live_id: str) -> Live:
    """The live, locked, if the caller hosts it (403 otherwise: lives are public)."""
    live = await _live(session, live_id, lock=True)
    if not await is_host(session, principal, live):
        raise forbidden("Only the live's host may do this.")
    return live


def _must_be(live: Live, *statuses: str) -> None:
    if live.status not in statuses:
        raise ShoppableError("invalid_transition", 409, f"A live that is {live.status} cannot do this.")


async def start(session: AsyncSession, hub: Hub, principal: Principal, live_id: str) -> dict[str, Any]:
    live = await hosted(session, principal, live_id)
    _must_be(live, SCHEDULED)
    live.status, live.started_at = LIVE, utcnow()
    await session.flush()
    body = await snapshot(session, live)
    hub.publish_after_commit(session, live.id, "live.started", {"started_at": body["started_at"]})
    return body


async def end(session: AsyncSession, hub: Hub, principal: Principal, live_id: str) -> dict[str, Any]:
    """End the live: pins close, running flash sales end (their unsold units go back), and the live becomes a
    replay video whose anchors are its pins (creator-hosted lives; a shop has no creator profile to post it)."""
    live = await hosted(session, principal, live_id)
    _must_be(live, LIVE)
    now = utcnow()
    live.status, live.ended_at, live.pinned_product_id = ENDED, now, None
    await session.execute(update(Pin).where(Pin.live_id == live.id, Pin.unpinned_at.is_(None)).values(unpinned_at=now))
    for sale in (
        await session.execute(
            select(FlashSale).where(FlashSale.live_id == live.id, FlashSale.status == RUNNING).with_for_update()
        )
    ).scalars():
        await _end_sale(session, hub, sale, reason="live_ended")
    live.replay_video_id = await _replay(session, live)
    await session.flush()
    hub.publish_after_commit(session, live.id, "live.ended", {"replay_video_id": live.replay_video_id})
    return await snapshot(session, live)


async def _replay(session: AsyncSession, live: Live) -> str | None:
    if live.host_creator_id is None or live.started_at is None or live.ended_at is None:
        return None
    duration = max(1, int((live.ended_at - live.started_at).total_seconds()))
    pins = (await session.execute(select(Pin).where(Pin.live_id == live.id).order_by(Pin.pinned_at))).scalars()
    anchors = []
    for pin in pins:
        start_s = min(duration - 1, int((pin.pinned_at - live.started_at).total_seconds()))
        end_s = min(
            duration, max(start_s + 1, int(((pin.unpinned_at or live.ended_at) - live.started_at).total_seconds()))
        )
        anchors.append({"product_id": pin.product_id, "start_s": start_s, "end_s": end_s, "label": "Pinned live"})
    return await videos.create_replay(
        session,
        creator_id=live.host_creator_id,
        title=f"{live.title} (replay)",
        media_url=live.stream_url or f"/lives/{live.id}",
        duration_s=duration,
        anchors=anchors[: videos.MAX_ANCHORS],
    )


async def pin(session: AsyncSession, hub: Hub, principal: Principal, live_id: str, product_id: str) -> dict[str, Any]:
    live = await hosted(session, principal, live_id)
    _must_be(live, LIVE)
    if await session.get(LiveProduct, (live.id, product_id)) is None:
        raise ShoppableError(
            "validation_error",
            422,
            "Only the live's products can be pinned.",
            errors=[{"loc": ["body", "product_id"], "msg": "not in this live"}],
        )
    now = utcnow()
    await session.execute(update(Pin).where(Pin.live_id == live.id, Pin.unpinned_at.is_(None)).values(unpinned_at=now))
    session.add(Pin(id=new_id("pin"), live_id=live.id, product_id=product_id, pinned_at=now, unpinned_at=None))
    live.pinned_product_id = product_id
    await session.flush()
    body = await snapshot(session, live)
    hub.publish_after_commit(session, live.id, "pinned", {"product": body["pinned_product"]})
    return body


async def unpin(session: AsyncSession, hub: Hub, principal: Principal, live_id: str) -> dict[str, Any]:
    live = await hosted(session, principal, live_id)
    _must_be(live, LIVE)
    await session.execute(
        update(Pin).where(Pin.live_id == live.id, Pin.unpinned_at.is_(None)).values(unpinned_at=utcnow())
    )
    live.pinned_product_id = None
    await session.flush()
    hub.publish_after_commit(session, live.id, "unpinned", {})
    return await snapshot(session, live)


# --- flash sales ------------------------------------------------------------------------------------------------


async def start_flash_sale(
    session: AsyncSession,
    hub: Hub,
    principal: Principal,
    live_id: str,
    *,
    variant_id: str,
    price: int,
    quantity: int,
    duration_s: int,
    per_buyer_limit: int,
    countdown_s: int,
    notice: timedelta,
) -> dict[str, Any]:
    """Announce a flash sale: ``quantity`` units carved out of the variant's stock now (409 ``out_of_stock``
    if it has fewer), sold at ``price`` from ``countdown_s`` seconds on, for ``duration_s``.

    The product's shop sets any price. The live's host (a creator) sets one only within what the shop allows
    its hosts (``affiliate.allowances``: 403 ``price_not_allowed`` beyond it); ``notice`` is the rate-cut
    notice, which decides the plan covering the host as it decides their commission."""
    live = await _live(session, live_id, lock=True)
    _must_be(live, LIVE)
    check_flash_sale(
        countdown_s=countdown_s, duration_s=duration_s, quantity=quantity, per_buyer_limit=per_buyer_limit, price=price
    )
    variant = (await stock.variants_for_sale(session, [variant_id])).get(variant_id)
    if variant is None or await session.get(LiveProduct, (live.id, variant.product_id)) is None:
        raise ShoppableError(
            "validation_error",
            422,
            "The variant is not one of this live's products.",
            errors=[{"loc": ["body", "variant_id"], "msg": "not in this live"}],
        )
    is_shop = await can_act_for(session, principal, variant.shop_id)
    if not is_shop and not await is_host(session, principal, live):
        raise forbidden("Only the product's shop, or the live's host within the shop's allowance, starts a flash sale.")
    running = await session.scalar(
        select(FlashSale.id).where(
            FlashSale.live_id == live.id, FlashSale.variant_id == variant_id, FlashSale.status == RUNNING
        )
    )
    if running is not None:
        raise ShoppableError("flash_sale_running", 409, "This variant already has a flash sale running in this live.")
    if not is_shop:
        await _authorise_host_price(session, live, variant, price, notice=notice)
    await stock.reserve_stock(
        session, {variant_id: quantity}, reason=f"flash sale in live {live.id}", actor=principal.key
    )
    now = utcnow()
    sale = FlashSale(
        id=new_id("fs"),
        live_id=live.id,
        variant_id=variant_id,
        product_id=variant.product_id,
        shop_id=variant.shop_id,
        price=price,
        currency=variant.currency,
        quantity=quantity,
        sold=0,
        per_buyer_limit=per_buyer_limit,
        opens_at=now + timedelta(seconds=countdown_s),
        ends_at=now + timedelta(seconds=countdown_s + duration_s),
        status=RUNNING,
        created_at=now,
        ended_at=None,
    )
    session.add(sale)
    await session.flush()
    body = serialize_sale(sale)
    hub.publish_after_commit(session, live.id, "flash_sale.started", body)
    return body


async def _authorise_host_price(
    session: AsyncSession, live: Live, variant: stock.VariantForSale, price: int, *, notice: timedelta
) -> None:
    if live.host_creator_id is None:  # a shop's live shows only its own products: another shop never prices them
        raise ShoppableError("price_not_allowed", 403, "Only the product's shop sets its prices in this live.")
    await allowances.authorise_host_price(
        session,
        creator_id=live.host_creator_id,
        shop_id=variant.shop_id,
        product_id=variant.product_id,
        variant_id=variant.variant_id,
        base_price=variant.price,
        price=price,
        currency=variant.currency,
        live_id=live.id,
        notice=notice,
    )


def serialize_sale(sale: FlashSale) -> dict[str, Any]:
    return {
        "id": sale.id,
        "live_id": sale.live_id,
        "variant_id": sale.variant_id,
        "product_id": sale.product_id,
        "price": sale.price,
        "currency": sale.currency,
        "quantity": sale.quantity,
        "remaining": sale.quantity - sale.sold,
        "per_buyer_limit": sale.per_buyer_limit,
        "opens_at": isoformat(sale.opens_at),
        "ends_at": isoformat(sale.ends_at),
        "status": sale.status,
    }


async def _end_sale(session: AsyncSession, hub: Hub, sale: FlashSale, *, reason: str) -> None:
    """End a locked running sale: what it did not sell goes back to the variant's stock."""
    sale.status, sale.ended_at = "ended", utcnow()
    unsold = sale.quantity - sale.sold
    if unsold:
        await stock.release_stock(
            session, {sale.variant_id: unsold}, reason=f"flash sale {sale.id} ended", actor="system"
        )
    await session.flush()
    hub.publish_after_commit(
        session, sale.live_id, "flash_sale.ended", {"id": sale.id, "reason": reason, "sold": sale.sold}
    )


async def end_due_flash_sales(session: AsyncSession, hub: Hub, *, now: datetime | None = None) -> int:
    """End running sales whose time is up, or that sold out; how many ended."""
    moment = now or utcnow()
    due = (
        await session.execute(
            select(FlashSale)
            .where(FlashSale.status == RUNNING, (FlashSale.ends_at <= moment) | (FlashSale.sold >= FlashSale.quantity))
            .with_for_update()
        )
    ).scalars()
    ended = 0
    for sale in due:
        await _end_sale(session, hub, sale, reason="sold_out" if sale.sold >= sale.quantity else "time_up")
        ended += 1
    return ended


# --- live coupons -----------------------------------------------------------------------------------------------


async def create_coupon(
    session: AsyncSession,
    principal: Principal,
    live_id: str,
    *,
    code: str,
    discount_bps: int,
    total_cap: int,
    per_buyer_cap: int,
    notice: timedelta,
) -> dict[str, Any]:
    live = await hosted(session, principal, live_id)
    _must_be(live, SCHEDULED, LIVE)
    await _authorise_coupon(session, principal, live, discount_bps, notice=notice)
    coupon = LiveCoupon(
        id=new_id("lcp"), live_id=live.id, code=code.upper(), discount_bps=discount_bps, total_cap=total_cap,
        per_buyer_cap=per_buyer_cap, claimed=0, created_at=utcnow(),
    )  # fmt: skip
    session.add(coupon)
    await session.flush()
    return _coupon(coupon)


async def _authorise_coupon(
    session: AsyncSession, principal: Principal, live: Live, discount_bps: int, *, notice: timedelta
) -> None:
    """A live coupon takes its discount off the live's products: a creator's may take no more off each than
    the product's shop allows its hosts (403 ``price_not_allowed``), unless the creator acts for that shop."""
    if live.host_creator_id is None:  # a shop's live shows only its own products
        return
    product_ids = list(
        (await session.execute(select(LiveProduct.product_id).where(LiveProduct.live_id == live.id))).scalars()
    )
    products = await catalog.product_summaries(session, product_ids)
    own = {shop for shop in {p.shop_id for p in products.values()} if await can_act_for(session, principal, shop)}
    limits = await allowances.host_allowances(
        session,
        creator_id=live.host_creator_id,
        products=[(p.id, p.shop_id) for p in products.values() if p.shop_id not in own],
        at=utcnow(),
        notice=notice,
    )
    refused = [p for p in product_ids if p in limits and limits[p].max_discount_bps < discount_bps]
    if refused:
        lowest = min(limits[p].max_discount_bps for p in refused)
        raise ShoppableError(
            "price_not_allowed",
            403,
            f"This coupon would take {allowances.percent(discount_bps)} off {products[refused[0]].title}, and its "
            f"shop lets hosts take at most {allowances.percent(limits[refused[0]].max_discount_bps)} off it.",
            errors=[{"loc": ["body", "discount_bps"], "msg": f"at most {lowest} for every product of this live"}],
        )


def _coupon(coupon: LiveCoupon) -> dict[str, Any]:
    return {
        "id": coupon.id,
        "code": coupon.code,
        "discount_bps": coupon.discount_bps,
        "total_cap": coupon.total_cap,
        "per_buyer_cap": coupon.per_buyer_cap,
        "claimed": coupon.claimed,
        "remaining": coupon.total_cap - coupon.claimed,
    }


async def claim_coupon(session: AsyncSession, user_id: str, live_id: str, code: str) -> dict[str, Any]:
    """Claim a live coupon while the live is on air: never past its total cap nor its per-buyer cap, whoever
    claims at the same moment (two conditional updates)."""
    live = await _live(session, live_id)
    if live.status != LIVE:
        raise ShoppableError("live_not_on_air", 409, "Live coupons are claimed only while the live is on air.")
    coupon = await session.scalar(
        select(LiveCoupon).where(LiveCoupon.live_id == live.id, LiveCoupon.code == code.upper())
    )
    if coupon is None:
        raise not_found("Coupon")
    await insert_ignoring_conflicts(
        session,
        CouponClaim.__table__,  # type: ignore[arg-type]
        [{"coupon_id": coupon.id, "buyer_id": user_id, "claims": 0}],
    )
    per_buyer = await session.execute(
        update(CouponClaim)
        .where(
            CouponClaim.coupon_id == coupon.id,
            CouponClaim.buyer_id == user_id,
            CouponClaim.claims < coupon.per_buyer_cap,
        )
        .values(claims=CouponClaim.claims + 1)
        .returning(CouponClaim.claims)
    )
    claims = per_buyer.scalar()
    if claims is None:
        raise ShoppableError("coupon_limit_reached", 409, "You have claimed this coupon as many times as it allows.")
    total = await session.execute(
        update(LiveCoupon)
        .where(LiveCoupon.id == coupon.id, LiveCoupon.claimed < LiveCoupon.total_cap)
        .values(claimed=LiveCoupon.claimed + 1)
        .returning(LiveCoupon.claimed)
        .execution_options(synchronize_session=False)
    )
    if total.scalar() is None:
        raise ShoppableError("coupon_exhausted", 409, "All of this coupon's claims are taken.")
    return {"coupon": coupon.code, "discount_bps": coupon.discount_bps, "your_claims": claims}


# --- reading ------------------------------------------------------------------------------------------------------


async def get_live(session: AsyncSession, live_id: str, *, viewers: int) -> dict[str, Any]:
    return await snapshot(session, await _live(session, live_id), viewers=viewers)


async def list_lives(
    session: AsyncSession, *, status: str | None, limit: int, cursor: str | None, shop_id: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Lives newest first; ``shop_id``: only the shop's own (hosted by its staff)."""
    query = select(Live)
    if shop_id is not None:
        query = query.where(Live.host_shop_id == shop_id)
    if status is not None:
        query = query.where(Live.status == status)
    page, next_cursor = await newest_first(session, query, Live.id, limit=limit, cursor=cursor)
    return [await snapshot(session, live) for live in page], next_cursor


async def snapshot(session: AsyncSession, live: Live, *, viewers: int | None = None) -> dict[str, Any]:
    """What a viewer needs to draw the room: host, products, the pinned product, the running flash sale."""
    product_ids = list(
        (
            await session.execute(
                select(LiveProduct.product_id).where(LiveProduct.live_id == live.id).order_by(LiveProduct.position)
            )
        ).scalars()
    )
    products = await catalog.product_summaries(session, product_ids)
    sale = await session.scalar(
        select(FlashSale)
        .where(FlashSale.live_id == live.id, FlashSale.status == RUNNING)
        .order_by(FlashSale.created_at.desc())
        .limit(1)
    )
    host: dict[str, Any]
    if live.host_creator_id is not None:
        creators = await identity.creators_by_id(session, [live.host_creator_id])
        found = creators.get(live.host_creator_id)
        host = {"type": "creator", "id": live.host_creator_id, "handle": found.handle if found else None}
    else:
        host = {"type": "shop", "id": live.host_shop_id}

    def summary(product_id: str | None) -> dict[str, Any] | None:
        found = products.get(product_id) if product_id else None
        return {"id": found.id, "title": found.title, "image_url": found.image_url} if found else None

    return {
        "id": live.id,
        "status": live.status,
        "host": host,
        "title": live.title,
        "stream_url": live.stream_url,
        "products": [summary(p) for p in product_ids if p in products],
        "pinned_product": summary(live.pinned_product_id),
        "flash_sale": serialize_sale(sale) if sale else None,
        "viewers": viewers if viewers is not None else 0,
        "scheduled_at": isoformat(live.scheduled_at),
        "started_at": isoformat(live.started_at),
        "ended_at": isoformat(live.ended_at),
        "replay_video_id": live.replay_video_id,
    }


async def lives_featuring(session: AsyncSession, product_id: str, *, limit: int = 6) -> list[dict[str, Any]]:
    """Lives on air now whose product set holds the product (a product page shows them)."""
    lives = (
        await session.execute(
            select(Live)
            .join(LiveProduct, LiveProduct.live_id == Live.id)
            .where(LiveProduct.product_id == product_id, Live.status == "live")
            .order_by(Live.started_at.desc(), Live.id)
            .limit(limit)
        )
    ).scalars()
    return [await snapshot(session, live) for live in lives]
