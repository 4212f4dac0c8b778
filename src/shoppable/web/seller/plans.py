"""Seller Center: the shop's affiliate plans by kind, each with the creators promoting it, the orders it credited
and the commission earned; opening a shop, open or targeted plan (products picked from the shop's, creators by
handle); changing a rate with the notice rule spelled out before it is saved; ending a plan."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from shoppable.affiliate import plan_figures, plans
from shoppable.affiliate.rules import MAX_BPS, MIN_BPS, PlanKind
from shoppable.catalog import service as catalog
from shoppable.identity import service as identity
from shoppable.kit.clock import utcnow
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.web.forms import FieldErrors, field_errors, form_of
from shoppable.web.seller.access import Seller, SellerForm, SellerPage
from shoppable.web.templating import render, with_toast

router = APIRouter(include_in_schema=False)

PICKER_SIZE = 200
KINDS = (
    ("shop", "Shop plan", "Every product, for every creator."),
    ("open", "Open plan", "The products you pick, for every creator."),
    ("targeted", "Targeted plan", "The products you pick, for the creators you invite."),
)


def percent_to_bps(text: str) -> int | None:
    """ "15" or "12.5" (per cent, at most two decimals) as basis points; None when it is not such a number."""
    try:
        value = Decimal(text.strip().removesuffix("%").strip())
    except InvalidOperation:
        return None
    bps = value * 100
    if not value.is_finite() or bps != bps.to_integral_value():
        return None
    return int(bps)


def bps_to_percent(bps: int) -> str:
    return f"{Decimal(bps) / 100:f}".rstrip("0").rstrip(".") if bps % 100 else str(bps // 100)


def _rate_problem(bps: int | None) -> str | None:
    if bps is None:
        return "Enter the commission as a per cent, like 15 or 12.5"
    if not MIN_BPS <= bps <= MAX_BPS:
        return f"The commission must be {MIN_BPS // 100} % to {MAX_BPS // 100} %"
    return None


async def _picker_products(session: AsyncSession, seller: Seller) -> list[dict[str, Any]]:
    items, _ = await catalog.search_products(session, shop_id=seller.shop.id, limit=PICKER_SIZE)
    return [{"id": item["id"], "title": item["title"]} for item in items]


async def _plans_page(
    request: Request,
    session: AsyncSession,
    seller: Seller,
    *,
    form: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    found, _ = await plans.shop_plans(session, seller.principal, seller.shop.id, limit=200, cursor=None)
    numbers = await plan_figures.figures(session, [plan["id"] for plan in found])
    by_kind: dict[str, list[dict[str, Any]]] = {kind: [] for kind, _, _ in KINDS}
    for plan in found:
        by_kind[plan["kind"]].append(
            {**plan, "figures": numbers[plan["id"]], "percent": bps_to_percent(plan["commission_bps"])}
        )
    context = {
        "section": "plans",
        "kinds": KINDS,
        "by_kind": by_kind,
        "products": await _picker_products(session, seller),
        "form": form or {"kind": "open", "product_ids": [], "commission": ""},
        "errors": errors or {},
    }
    return render(request, "seller/plans/list.html", context, status_code=422 if errors else 200)


@router.get("/seller/{shop_slug}/plans")
async def plans_page(request: Request, session: DbSession, seller: SellerPage) -> Response:
    return await _plans_page(request, session, seller)


@router.get("/seller/{shop_slug}/plans/creators")
async def creator_search(
    request: Request, session: DbSession, seller: SellerPage, q: Annotated[str, Query(max_length=40)] = ""
) -> Response:
    """The creator picker's suggestions (an htmx fragment)."""
    found = await identity.search_creators(session, q, limit=8)
    return render(request, "seller/plans/_creators.html", {"creators": found, "q": q})


@router.post("/seller/{shop_slug}/plans")
async def create_plan(request: Request, session: DbSession, seller: SellerForm) -> Response:
    posted = await request.form()
    form: dict[str, Any] = {
        key: str(posted.get(key) or "").strip()[:2000] for key in ("kind", "name", "commission", "creators")
    }
    form["product_ids"] = [str(value)[:40] for value in posted.getlist("product_ids")][:1000]
    errors: FieldErrors = {}
    kind = form["kind"] if form["kind"] in {k for k, _, _ in KINDS} else None
    if kind is None:
        errors["kind"] = "Choose the kind of plan"
    if not form["name"]:
        errors["name"] = "Name the plan, so you know it again"
    elif len(form["name"]) > 200:
        errors["name"] = "The name must be 200 characters or fewer"
    bps = percent_to_bps(form["commission"])
    if problem := _rate_problem(bps):
        errors["commission"] = problem
    handles = [part for part in form["creators"].replace(",", " ").split() if part]
    creator_ids: list[str] = []
    if kind == PlanKind.TARGETED.value:
        known = await identity.creators_by_handle(session, handles)
        unknown = [h for h in handles if h.lstrip("@").lower() not in known]
        if not handles:
            errors["creators"] = "Invite at least one creator by handle"
        elif unknown:
            errors["creators"] = "No creator has the handle " + ", ".join("@" + h.lstrip("@") for h in unknown)
        creator_ids = [known[h.lstrip("@").lower()].id for h in handles if h.lstrip("@").lower() in known]
    if kind in (PlanKind.OPEN.value, PlanKind.TARGETED.value) and not form["product_ids"]:
        errors["product_ids"] = "Pick at least one product"
    if not errors and kind is not None and bps is not None:
        try:
            await plans.create_plan(
                session,
                seller.principal,
                seller.shop.id,
                kind=PlanKind(kind),
                name=form["name"],
                commission_bps=bps,
                product_ids=form["product_ids"] if kind != PlanKind.SHOP.value else [],
                creator_ids=list(dict.fromkeys(creator_ids)),
                starts_at=None,
                ends_at=None,
            )
        except ShoppableError as error:
            if error.status != 422:
                raise
            errors = field_errors(
                error, {"product_ids": "product_ids", "creator_ids": "creators", "commission_bps": "commission"}
            )
            errors = {("product_ids" if key.isdigit() else key): text for key, text in errors.items()}
        else:
            return with_toast(RedirectResponse(f"{seller.base}/plans", status_code=303), "plan_created")
    return await _plans_page(request, session, seller, form=form, errors=errors)


# --- one plan ---------------------------------------------------------------------------------------------------


async def _shop_plan(session: AsyncSession, seller: Seller, plan_id: str) -> dict[str, Any]:
    try:
        plan = await plans.get_plan(session, seller.principal, plan_id)
    except ShoppableError as error:
        if error.status != 404:
            raise
        raise not_found("Plan") from None
    if plan["shop_id"] != seller.shop.id:
        raise not_found("Plan")
    return plan


async def _plan_page(
    request: Request,
    session: AsyncSession,
    seller: Seller,
    plan_id: str,
    *,
    errors: FieldErrors | None = None,
    posted: dict[str, str] | None = None,
    confirm_bps: int | None = None,
) -> Response:
    plan = await _shop_plan(session, seller, plan_id)
    notice = request.app.state.settings.rate_cut_notice
    reach = await plan_figures.cut_reach(session, plan_id, now=utcnow(), notice=notice)
    products = await catalog.product_summaries(session, plan["product_ids"])
    creators = await identity.creators_by_id(session, plan["creator_ids"])
    context = {
        "section": "plans",
        "plan": plan,
        "percent": bps_to_percent(plan["commission_bps"]),
        "figures": (await plan_figures.figures(session, [plan_id]))[plan_id],
        "reach": reach,
        "notice_days": notice.days,
        "products": [products[p] for p in plan["product_ids"] if p in products],
        "creators": [creators[c] for c in plan["creator_ids"] if c in creators],
        "history": [{**entry, "percent": bps_to_percent(entry["commission_bps"])} for entry in plan["rate_history"]],
        "kind_name": {k: name for k, name, _ in KINDS}[plan["kind"]],
        "errors": errors or {},
        "posted": posted or {},
        "confirm_bps": confirm_bps,
        "confirm_percent": bps_to_percent(confirm_bps) if confirm_bps is not None else None,
    }
    return render(request, "seller/plans/detail.html", context, status_code=422 if errors else 200)


@router.get("/seller/{shop_slug}/plans/{plan_id}")
async def plan_page(request: Request, plan_id: str, session: DbSession, seller: SellerPage) -> Response:
    return await _plan_page(request, session, seller, plan_id)


@router.post("/seller/{shop_slug}/plans/{plan_id}/rate")
async def change_rate(request: Request, plan_id: str, session: DbSession, seller: SellerForm) -> Response:
    form = await form_of(request)
    plan = await _shop_plan(session, seller, plan_id)
    bps = percent_to_bps(form.get("commission", ""))
    if problem := _rate_problem(bps):
        return await _plan_page(request, session, seller, plan_id, errors={"commission": problem}, posted=form)
    assert bps is not None
    if plan["status"] == "ended":
        return await _plan_page(
            request, session, seller, plan_id, errors={"_form": "This plan has ended: open a new one."}
        )
    is_cut = bps < plan["commission_bps"]
    if is_cut and form.get("confirm") != "1":
        reach = await plan_figures.cut_reach(
            session, plan_id, now=utcnow(), notice=request.app.state.settings.rate_cut_notice
        )
        if reach.creators:  # say who keeps the old rate until when, and save only once the seller confirms
            return await _plan_page(request, session, seller, plan_id, posted=form, confirm_bps=bps)
    await plans.change_rate(session, seller.principal, plan_id, commission_bps=bps, name=None, host_discount_bps=None)
    return with_toast(RedirectResponse(f"{seller.base}/plans/{plan_id}", status_code=303), "plan_rate_changed")


@router.post("/seller/{shop_slug}/plans/{plan_id}/end")
async def end_plan(request: Request, plan_id: str, session: DbSession, seller: SellerForm) -> Response:
    await _shop_plan(session, seller, plan_id)
    await plans.end_plan(session, seller.principal, plan_id)
    return with_toast(RedirectResponse(f"{seller.base}/plans/{plan_id}", status_code=303), "plan_ended")
