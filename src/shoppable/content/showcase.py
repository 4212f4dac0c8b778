"""The Showcase tab of a creator's profile: the products they promote, in order, and collections of them.

Entries are never deleted when a plan ends: they are hidden while no active plan covers the creator for the
product (or it is no longer on sale), and show again when one does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate import links, plans
from shoppable.catalog import service as catalog
from shoppable.content import promotable
from shoppable.content.models import Collection, CollectionProduct, ShowcaseEntry
from shoppable.identity import service as identity
from shoppable.identity.rules import CallingCreator
from shoppable.kit.clock import isoformat, utcnow
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.ids import new_id

MAX_SHOWCASE = 200
MAX_COLLECTION = 100


def _refusal(reason: str) -> ShoppableError:
    if reason == promotable.NOT_FOUND:
        return not_found("Product")
    return ShoppableError(
        "not_affiliated", 403, "No active affiliate plan covers you for this product (or it is not your shop's)."
    )


async def add(
    session: AsyncSession, creator: CallingCreator, product_id: str, *, public_url: str, notice: timedelta
) -> tuple[bool, dict[str, Any]]:
    """Put a product in the creator's showcase (created: True the first time); its affiliate link is made too."""
    refused = await promotable.refusals(session, creator, [product_id], notice=notice)
    if product_id in refused:
        raise _refusal(refused[product_id])
    existing = await session.get(ShowcaseEntry, (creator.creator_id, product_id))
    if existing is None:
        count = await session.scalar(
            select(func.count()).select_from(ShowcaseEntry).where(ShowcaseEntry.creator_id == creator.creator_id)
        )
        if (count or 0) >= MAX_SHOWCASE:
            raise ShoppableError("showcase_full", 409, f"A showcase holds at most {MAX_SHOWCASE} products.")
        last = await session.scalar(
            select(func.max(ShowcaseEntry.position)).where(ShowcaseEntry.creator_id == creator.creator_id)
        )
        now = utcnow()
        session.add(
            ShowcaseEntry(
                creator_id=creator.creator_id, product_id=product_id, position=(last or 0) + 1, created_at=now
            )
        )
        await session.flush()
        await plans.note_promotion(session, creator_id=creator.creator_id, product_id=product_id, at=now)
    try:
        await links.get_or_create_link(session, creator, product_id, public_url=public_url, notice=notice)
    except ShoppableError as error:  # their own shop's product: shown, with no link and no commission
        if error.code != "not_affiliated":
            raise
    entries = await _entries(session, creator, [product_id], public_url=public_url, notice=notice)
    return existing is None, entries[0]


async def remove(session: AsyncSession, creator: CallingCreator, product_id: str) -> None:
    removed = await session.execute(
        delete(ShowcaseEntry)
        .where(ShowcaseEntry.creator_id == creator.creator_id, ShowcaseEntry.product_id == product_id)
        .returning(ShowcaseEntry.product_id)
    )
    if removed.first() is None:
        raise not_found("Showcase entry")


async def _calling(session: AsyncSession, handle: str) -> CallingCreator:
    profile = await identity.creator_by_handle(session, handle)
    return CallingCreator(profile.user_id, profile.id, profile.handle)


async def _entries(
    session: AsyncSession, creator: CallingCreator, product_ids: list[str], *, public_url: str, notice: timedelta
) -> list[dict[str, Any]]:
    """The products among ``product_ids`` the creator may show now, in the order given, each with the creator's
    link (None for their own shop's products, which earn no commission) and the source to buy through it."""
    refused = await promotable.refusals(session, creator, product_ids, notice=notice)
    visible = [p for p in product_ids if p not in refused]
    if not visible:
        return []
    found, _ = await catalog.search_products(
        session, scope=catalog.ProductScope(product_ids=visible), sort="newest", limit=len(visible)
    )
    by_id = {p["id"]: p for p in found}
    linked = await links.links_of(session, creator.creator_id, visible, public_url=public_url)
    return [
        {
            "product": by_id[p],
            "link": linked.get(p),
            "source": {"type": "showcase", "id": creator.creator_id},
        }
        for p in visible
        if p in by_id
    ]


async def read(session: AsyncSession, handle: str, *, public_url: str, notice: timedelta) -> dict[str, Any]:
    creator = await _calling(session, handle)
    ordered = list(
        (
            await session.execute(
                select(ShowcaseEntry.product_id)
                .where(ShowcaseEntry.creator_id == creator.creator_id)
                .order_by(ShowcaseEntry.position)
            )
        ).scalars()
    )
    entries = await _entries(session, creator, ordered, public_url=public_url, notice=notice)
    return {"creator_id": creator.creator_id, "handle": creator.handle, "items": entries}


async def shows(session: AsyncSession, creator_id: str, product_id: str) -> bool:
    """Whether the product is in the creator's showcase (visible or not: the sale is judged by the plans)."""
    return await session.get(ShowcaseEntry, (creator_id, product_id)) is not None


# --- collections ------------------------------------------------------------------------------------------------


async def create_collection(
    session: AsyncSession,
    creator: CallingCreator,
    *,
    title: str,
    description: str,
    product_ids: list[str],
    public_url: str,
    notice: timedelta,
) -> dict[str, Any]:
    wanted = list(dict.fromkeys(product_ids))
    if not 1 <= len(wanted) <= MAX_COLLECTION:
        raise ShoppableError(
            "validation_error",
            422,
            f"A collection holds 1 to {MAX_COLLECTION} products.",
            errors=[{"loc": ["body", "product_ids"], "msg": f"1 to {MAX_COLLECTION} products"}],
        )
    refused = await promotable.refusals(session, creator, wanted, notice=notice)
    if refused:
        errors = [
            {"loc": ["body", "product_ids", i], "msg": refused[p].replace("_", " ")}
            for i, p in enumerate(product_ids)
            if p in refused
        ]
        raise ShoppableError("validation_error", 422, "Some products cannot be in your collection.", errors=errors)
    collection = Collection(
        id=new_id("col"), creator_id=creator.creator_id, title=title, description=description, created_at=utcnow()
    )
    session.add(collection)
    await session.flush()
    session.add_all(
        CollectionProduct(collection_id=collection.id, product_id=p, position=i) for i, p in enumerate(wanted)
    )
    await session.flush()
    return await _read_collection(session, collection, creator, public_url=public_url, notice=notice)


async def creator_collections(session: AsyncSession, creator_id: str) -> list[dict[str, Any]]:
    """A creator's collections, newest first, each with how many products it holds."""
    counted = (
        select(Collection, func.count(CollectionProduct.product_id).label("size"))
        .outerjoin(CollectionProduct, CollectionProduct.collection_id == Collection.id)
        .where(Collection.creator_id == creator_id)
        .group_by(Collection.id)
        .order_by(Collection.id.desc())
    )
    return [
        {"id": c.id, "title": c.title, "description": c.description, "product_count": int(size)}
        for c, size in (await session.execute(counted)).all()
    ]


async def get_collection(
    session: AsyncSession, collection_id: str, *, public_url: str, notice: timedelta
) -> dict[str, Any]:
    collection = await session.get(Collection, collection_id)
    if collection is None:
        raise not_found("Collection")
    profile = (await identity.creators_by_id(session, [collection.creator_id]))[collection.creator_id]
    creator = CallingCreator(profile.user_id, profile.id, profile.handle)
    return await _read_collection(session, collection, creator, public_url=public_url, notice=notice)


async def _read_collection(
    session: AsyncSession, collection: Collection, creator: CallingCreator, *, public_url: str, notice: timedelta
) -> dict[str, Any]:
    ordered = list(
        (
            await session.execute(
                select(CollectionProduct.product_id)
                .where(CollectionProduct.collection_id == collection.id)
                .order_by(CollectionProduct.position)
            )
        ).scalars()
    )
    return {
        "id": collection.id,
        "creator": {"id": creator.creator_id, "handle": creator.handle},
        "title": collection.title,
        "description": collection.description,
        "share_url": f"{public_url}/collections/{collection.id}",
        "items": await _entries(session, creator, ordered, public_url=public_url, notice=notice),
        "created_at": isoformat(collection.created_at),
    }
