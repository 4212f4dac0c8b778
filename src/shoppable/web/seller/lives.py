"""Seller Center: the shop's own lives (hosted by its staff), scheduling one with products from the shop, and the
host console of one (going live and ending it here; pinning and flash sales are the live room's host controls)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from shoppable.catalog import service as catalog
from shoppable.kit.clock import utcnow
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.live import service as lives
from shoppable.web.forms import FieldErrors, field_errors
from shoppable.web.paging import page_or_first
from shoppable.web.seller.access import Seller, SellerForm, SellerPage
from shoppable.web.templating import render, with_toast

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
STATUS_LABELS = {"scheduled": "Scheduled", "live": "On air", "ended": "Ended"}


def shop_zone(seller: Seller) -> ZoneInfo:
    try:
        return ZoneInfo(seller.shop.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_moment(text: str, zone: ZoneInfo) -> datetime | None:
    """A ``datetime-local`` field's value (``2027-01-03T19:30``) read in the shop's time zone; None if malformed."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else None


async def _lives_page(
    request: Request,
    session: AsyncSession,
    seller: Seller,
    *,
    cursor: str | None = None,
    form: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    found, next_cursor, cursor = await page_or_first(
        lambda at: lives.list_lives(session, status=None, limit=PAGE_SIZE, cursor=at, shop_id=seller.shop.id), cursor
    )
    products, _ = await catalog.search_products(session, shop_id=seller.shop.id, limit=200)
    context = {
        "section": "lives",
        "lives": found,
        "labels": STATUS_LABELS,
        "next_cursor": next_cursor,
        "products": [{"id": p["id"], "title": p["title"]} for p in products],
        "form": form or {"product_ids": []},
        "errors": errors or {},
        "zone": seller.shop.time_zone or "UTC",
    }
    return render(request, "seller/lives/list.html", context, status_code=422 if errors else 200)


@router.get("/seller/{shop_slug}/lives")
async def lives_page(
    request: Request,
    session: DbSession,
    seller: SellerPage,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    return await _lives_page(request, session, seller, cursor=cursor)


@router.post("/seller/{shop_slug}/lives")
async def schedule_live(request: Request, session: DbSession, seller: SellerForm) -> Response:
    posted = await request.form()
    form: dict[str, Any] = {key: str(posted.get(key) or "").strip()[:500] for key in ("title", "scheduled_at")}
    form["product_ids"] = [str(value)[:40] for value in posted.getlist("product_ids")][:100]
    errors: FieldErrors = {}
    if not form["title"]:
        errors["title"] = "Give the live a title viewers will see"
    elif len(form["title"]) > 200:
        errors["title"] = "The title must be 200 characters or fewer"
    scheduled_at = None
    if form["scheduled_at"]:
        scheduled_at = local_moment(form["scheduled_at"], shop_zone(seller))
        if scheduled_at is None:
            errors["scheduled_at"] = "Enter a date and time, like 2027-01-03 19:30"
        elif scheduled_at <= utcnow():
            errors["scheduled_at"] = "Pick a time in the future (or leave it empty to go live whenever you are ready)"
    if not form["product_ids"]:
        errors["product_ids"] = "Pick the products you will show"
    if not errors:
        try:
            live = await lives.create_live(
                session,
                seller.principal,
                title=form["title"],
                stream_url=None,
                scheduled_at=scheduled_at,
                product_ids=form["product_ids"],
                shop_id=seller.shop.id,
                notice=request.app.state.settings.rate_cut_notice,
            )
        except ShoppableError as error:
            if error.status != 422:
                raise
            errors = {"product_ids": next(iter(field_errors(error).values()))}
        else:
            return with_toast(RedirectResponse(f"{seller.base}/lives/{live['id']}", status_code=303), "live_scheduled")
    return await _lives_page(request, session, seller, form=form, errors=errors)


async def _shop_live(request: Request, session: AsyncSession, seller: Seller, live_id: str) -> dict[str, Any]:
    try:
        live = await lives.get_live(session, live_id, viewers=await request.app.state.hub.broker.total(live_id))
    except ShoppableError as error:
        if error.status != 404:
            raise
        raise not_found("Live") from None
    if live["host"] != {"type": "shop", "id": seller.shop.id}:
        raise not_found("Live")
    return live


@router.get("/seller/{shop_slug}/lives/{live_id}")
async def host_console(request: Request, live_id: str, session: DbSession, seller: SellerPage) -> Response:
    live = await _shop_live(request, session, seller, live_id)
    context = {"section": "lives", "live": live, "label": STATUS_LABELS.get(live["status"], live["status"])}
    return render(request, "seller/lives/console.html", context)


_STEPS = {"start": (lives.start, "live_started"), "end": (lives.end, "live_ended")}


@router.post("/seller/{shop_slug}/lives/{live_id}/{step}")
async def host_step(request: Request, live_id: str, step: str, session: DbSession, seller: SellerForm) -> Response:
    """Go live ("start") or end the live ("end")."""
    if step not in _STEPS:
        raise not_found("Page")
    await _shop_live(request, session, seller, live_id)
    act, toast = _STEPS[step]
    back = RedirectResponse(f"{seller.base}/lives/{live_id}", status_code=303)
    try:
        await act(session, request.app.state.hub, seller.principal, live_id)
    except ShoppableError as error:
        if error.code != "invalid_transition":
            raise
        return back  # done in another tab, or a second click
    return with_toast(back, toast)
