"""The shop front: home (what is live, the feed, new products), search, and product pages with a variant picker
that adds to the cart or buys now."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from shoppable.catalog import service as catalog
from shoppable.content import videos
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError
from shoppable.live import service as lives
from shoppable.web.sources import parse_source, source_text
from shoppable.web.templating import render
from shoppable.web.visitor import PageVisitor

router = APIRouter(include_in_schema=False)

SORTS: list[tuple[str, str]] = [
    ("relevance", "Best match"),
    ("newest", "Newest"),
    ("price_asc", "Price: low to high"),
    ("price_desc", "Price: high to low"),
    ("best_selling", "Best selling"),
]
_SORT_VALUES = frozenset(get_args(catalog.Sort))


@router.get("/")
async def home(request: Request, session: DbSession, visitor: PageVisitor) -> Response:
    on_air, _ = await lives.list_lives(session, status="live", limit=8, cursor=None)
    clips, _ = await videos.feed(session, limit=10, cursor=None)
    products, more = await catalog.search_products(session, sort="best_selling", limit=12)
    context = {"lives": on_air, "videos": clips, "products": products, "has_more": more is not None}
    return render(request, "home.html", context)


@router.get("/search")
async def search(
    request: Request,
    session: DbSession,
    visitor: PageVisitor,
    q: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    q = q.strip()
    chosen: Any = sort if sort in _SORT_VALUES else ("relevance" if q else "newest")
    if chosen == "relevance" and not q:
        chosen = "newest"
    try:
        items, next_cursor = await catalog.search_products(session, q=q or None, sort=chosen, limit=24, cursor=cursor)
    except ShoppableError:  # a cursor from another query or a tampered one: start over
        items, next_cursor = await catalog.search_products(session, q=q or None, sort=chosen, limit=24)
    sorts = [(value, label) for value, label in SORTS if q or value != "relevance"]
    context = {"products": items, "q": q, "sort": chosen, "sorts": sorts, "next_cursor": next_cursor}
    return render(request, "search.html", context)


def default_variant(product: dict[str, Any], wanted: str | None) -> dict[str, Any]:
    """The variant a product page opens on: the one asked for, else the first in stock, else the first."""
    variants = product["variants"]
    for variant in variants:
        if variant["id"] == wanted:
            return dict(variant)
    return dict(next((v for v in variants if v["inventory_quantity"] > 0), variants[0]))


def option_choices(product: dict[str, Any]) -> list[dict[str, Any]]:
    """Each option with its values, and whether any variant with that value is in stock."""
    choices = []
    for option in product["options"]:
        values = []
        for value in option["values"]:
            matching = [v for v in product["variants"] if v["options"].get(option["name"]) == value]
            values.append({"value": value, "in_stock": any(v["inventory_quantity"] > 0 for v in matching)})
        choices.append({"name": option["name"], "values": values})
    return choices


@router.get("/products/{product_id}")
async def product_page(
    request: Request,
    product_id: str,
    session: DbSession,
    visitor: PageVisitor,
    source: Annotated[str | None, Query(max_length=80)] = None,
    variant: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    product = await catalog.view_product(session, None, product_id)
    featured, _ = await videos.product_videos(session, product_id, limit=6, cursor=None)
    on_air = await lives.lives_featuring(session, product_id)
    variants = [
        {
            k: v[k]
            for k in ("id", "sku", "title", "options", "price", "compare_at_price", "currency", "inventory_quantity")
        }
        for v in product["variants"]
    ]
    context = {
        "product": product,
        "variants": variants,
        "selected": default_variant(product, variant),
        "choices": option_choices(product),
        "source": source_text(parse_source(source)),
        "videos": featured,
        "lives": on_air,
    }
    return render(request, "product.html", context)
