"""Shop pages: the catalog with search and filters, product pages with the videos that feature them, the video
feed and creator pages. They read through the domains' services."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from shoppable.catalog import service
from shoppable.content import profiles, showcase, videos
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError
from shoppable.kit.money import Money
from shoppable.live import service as live_service

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _price(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


templates.env.filters["price"] = lambda variant: _price(variant["price"], variant["currency"])
templates.env.globals["money"] = _price


def _price_range(product: dict[str, Any]) -> str:
    prices = sorted(v["price"] for v in product["variants"])
    currency = product["variants"][0]["currency"]
    if prices[0] == prices[-1]:
        return _price(prices[0], currency)
    return f"{_price(prices[0], currency)} – {_price(prices[-1], currency)}"


templates.env.filters["price_range"] = _price_range


@router.get("/", response_class=HTMLResponse)
async def catalog_page(
    request: Request,
    session: DbSession,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: service.Sort | None = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> HTMLResponse:
    try:
        items, next_cursor = await service.search_products(session, q=q, sort=sort, limit=24, cursor=cursor)
    except ShoppableError:
        items, next_cursor = [], None
    return templates.TemplateResponse(
        request, "catalog.html", {"products": items, "q": q or "", "sort": sort or "", "next_cursor": next_cursor}
    )


@router.get("/products/{product_id}", response_class=HTMLResponse)
async def product_page(request: Request, product_id: str, session: DbSession) -> HTMLResponse:
    try:
        product = await service.view_product(session, None, product_id)
    except ShoppableError as error:
        return templates.TemplateResponse(request, "not_found.html", {"detail": error.detail}, status_code=error.status)
    featured, _ = await videos.product_videos(session, product_id, limit=6, cursor=None)
    return templates.TemplateResponse(request, "product.html", {"product": product, "videos": featured})


@router.get("/feed", response_class=HTMLResponse)
async def feed_page(
    request: Request, session: DbSession, cursor: Annotated[str | None, Query(max_length=512)] = None
) -> HTMLResponse:
    try:
        items, next_cursor = await videos.feed(session, limit=12, cursor=cursor)
    except ShoppableError:
        items, next_cursor = [], None
    return templates.TemplateResponse(request, "feed.html", {"videos": items, "next_cursor": next_cursor})


@router.get("/creators/{handle}", response_class=HTMLResponse)
async def creator_page(request: Request, handle: str, session: DbSession) -> HTMLResponse:
    settings = request.app.state.settings
    notice = settings.rate_cut_notice
    try:
        creator = await profiles.public_profile(session, handle)
    except ShoppableError as error:
        return templates.TemplateResponse(request, "not_found.html", {"detail": error.detail}, status_code=error.status)
    items = (await showcase.read(session, handle, public_url=settings.public_url, notice=notice))["items"]
    made, _ = await videos.creator_videos(session, creator["id"], limit=12, cursor=None)
    return templates.TemplateResponse(request, "creator.html", {"creator": creator, "showcase": items, "videos": made})


@router.get("/lives", response_class=HTMLResponse)
async def lives_page(request: Request, session: DbSession) -> HTMLResponse:
    on_air, _ = await live_service.list_lives(session, status="live", limit=50, cursor=None)
    return templates.TemplateResponse(request, "lives.html", {"lives": on_air})


@router.get("/lives/{live_id}", response_class=HTMLResponse)
async def live_page(request: Request, live_id: str, session: DbSession) -> HTMLResponse:
    try:
        viewers = await request.app.state.hub.broker.total(live_id)
        live = await live_service.get_live(session, live_id, viewers=viewers)
    except ShoppableError as error:
        return templates.TemplateResponse(request, "not_found.html", {"detail": error.detail}, status_code=error.status)
    return templates.TemplateResponse(request, "live.html", {"live": live})
