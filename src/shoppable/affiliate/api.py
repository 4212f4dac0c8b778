"""REST endpoints of the affiliate engine: plans and hosts' price allowances (shops), marketplace and links
(creators), commissions, balances and payouts. The link redirect itself is served below the framework
(``redirect.py``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from shoppable.affiliate import allowances, commissions, links, marketplace, payouts, plans
from shoppable.affiliate.schemas import (
    BalanceRead,
    CommissionExplanation,
    CommissionPage,
    HostAllowanceIn,
    HostAllowanceRead,
    HostDiscountPage,
    LinkCreate,
    LinkPage,
    LinkRead,
    MarketplacePage,
    PayoutCreate,
    PayoutPage,
    PayoutRead,
    PlanCreate,
    PlanPage,
    PlanRead,
    PlanUpdate,
)
from shoppable.config import app_settings
from shoppable.identity import service as identity
from shoppable.identity.deps import CurrentCreator, CurrentPrincipal, CurrentUserOwnTransactions
from shoppable.identity.rules import CallingCreator
from shoppable.kit.deps import DbSession, get_database
from shoppable.kit.errors import ShoppableError
from shoppable.kit.http import PROBLEM_RESPONSES, json_response, problem_response, stored_response
from shoppable.kit.idempotency import IdempotencyKey, fingerprint
from shoppable.kit.money import Money
from shoppable.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from shoppable.payment.payout_provider import PayoutProvider

router = APIRouter(prefix="/api/v1", tags=["affiliate"], responses=PROBLEM_RESPONSES)

CommissionStatus = Literal["pending", "settled", "reversed"]


# --- plans (shops) ----------------------------------------------------------------------------------------------


@router.post(
    "/shops/{shop_id}/affiliate-plans",
    status_code=201,
    response_model=PlanRead,
    summary="Open an affiliate plan (shop)",
)
async def create_plan(shop_id: str, body: PlanCreate, session: DbSession, principal: CurrentPrincipal) -> Response:
    plan = await plans.create_plan(
        session,
        principal,
        shop_id,
        kind=body.kind,
        name=body.name,
        commission_bps=body.commission_bps,
        product_ids=body.product_ids,
        creator_ids=body.creator_ids,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        host_discount_bps=body.host_discount_bps,
    )
    return json_response(plan, 201)


@router.get("/shops/{shop_id}/affiliate-plans", response_model=PlanPage, summary="A shop's plans, newest first (shop)")
async def list_plans(
    shop_id: str, session: DbSession, principal: CurrentPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    items, next_cursor = await plans.shop_plans(session, principal, shop_id, limit=limit, cursor=cursor)
    return json_response({"items": items, "next_cursor": next_cursor})


@router.patch(
    "/affiliate-plans/{plan_id}",
    response_model=PlanRead,
    summary="Change a plan's rate (a raise applies at once, a cut reaches creators already promoting later), "
    "name or hosts' discount allowance (shop)",
)
async def update_plan(plan_id: str, body: PlanUpdate, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(
        await plans.change_rate(
            session,
            principal,
            plan_id,
            commission_bps=body.commission_bps,
            name=body.name,
            host_discount_bps=body.host_discount_bps,
        )
    )


@router.post(
    "/affiliate-plans/{plan_id}/end",
    response_model=PlanRead,
    summary="End a plan now; orders already placed keep their rate (shop)",
)
async def end_plan(plan_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(await plans.end_plan(session, principal, plan_id))


# --- hosts' price allowances (shops) ----------------------------------------------------------------------------


@router.get(
    "/products/{product_id}/host-allowance",
    response_model=HostAllowanceRead,
    summary="The product's own limit on creators' live discounts, if it has one (the product's shop)",
)
async def get_host_allowance(product_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(await allowances.product_allowance(session, principal, product_id))


@router.put(
    "/products/{product_id}/host-allowance",
    response_model=HostAllowanceRead,
    summary="Set the largest discount creators may run on the product in their lives; it wins over the plans' "
    "(the product's shop)",
)
async def set_host_allowance(
    product_id: str, body: HostAllowanceIn, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return json_response(
        await allowances.set_product_allowance(session, principal, product_id, max_discount_bps=body.max_discount_bps)
    )


@router.delete(
    "/products/{product_id}/host-allowance",
    status_code=204,
    summary="Drop the product's own limit: the covering plan's host_discount_bps applies again (the product's shop)",
)
async def clear_host_allowance(product_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    await allowances.clear_product_allowance(session, principal, product_id)
    return Response(status_code=204)


@router.get(
    "/shops/{shop_id}/host-discounts",
    response_model=HostDiscountPage,
    summary="Flash sales creators ran below the shop's prices, within its allowances, newest first (shop)",
)
async def list_host_discounts(
    shop_id: str, session: DbSession, principal: CurrentPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    items, next_cursor = await allowances.shop_host_discounts(session, principal, shop_id, limit=limit, cursor=cursor)
    return json_response({"items": items, "next_cursor": next_cursor})


# --- marketplace and links (creators) ---------------------------------------------------------------------------


@router.get(
    "/affiliate/marketplace",
    response_model=MarketplacePage,
    summary="Products the caller may promote, with the best rate open to them (creator)",
)
async def get_marketplace(
    request: Request,
    session: DbSession,
    creator: CurrentCreator,
    q: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=255)] = None,
    min_price: Annotated[int | None, Query(ge=0, le=10**15, description="Minor units")] = None,
    max_price: Annotated[int | None, Query(ge=0, le=10**15, description="Minor units")] = None,
    sort: marketplace.Sort | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    items, next_cursor = await marketplace.marketplace(
        session,
        creator.creator_id,
        notice=app_settings(request).rate_cut_notice,
        q=q,
        category=category,
        min_price=min_price,
        max_price=max_price,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.post(
    "/affiliate/links",
    status_code=201,
    response_model=LinkRead,
    responses={200: {"model": LinkRead, "description": "The link the creator already had for this product"}},
    summary="The caller's link for a product: created once, the same one after (creator)",
)
async def create_link(body: LinkCreate, request: Request, session: DbSession, creator: CurrentCreator) -> Response:
    created, link = await links.get_or_create_link(
        session,
        creator,
        body.product_id,
        public_url=app_settings(request).public_url,
        notice=app_settings(request).rate_cut_notice,
    )
    return json_response(link, 201 if created else 200)


@router.get("/affiliate/links", response_model=LinkPage, summary="The caller's links with their results (creator)")
async def list_links(
    request: Request, session: DbSession, creator: CurrentCreator, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    items, next_cursor = await links.creator_links(
        session, creator.creator_id, public_url=app_settings(request).public_url, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


# --- commissions ------------------------------------------------------------------------------------------------


@router.get(
    "/creators/me/commissions",
    response_model=CommissionPage,
    summary="The caller's commissions, newest first (creator)",
)
async def my_commissions(
    session: DbSession,
    creator: CurrentCreator,
    status: Annotated[CommissionStatus | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    items, next_cursor = await commissions.creator_commissions(
        session, creator.creator_id, status=status, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    "/shops/{shop_id}/commissions",
    response_model=CommissionPage,
    summary="The commissions a shop funds, newest first (shop)",
)
async def shop_commissions(
    shop_id: str,
    session: DbSession,
    principal: CurrentPrincipal,
    status: Annotated[CommissionStatus | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    items, next_cursor = await commissions.shop_commissions(
        session, principal, shop_id, status=status, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get(
    "/commissions/{commission_id}/explain",
    response_model=CommissionExplanation,
    summary="Why a commission exists: click or content, order line, plan and rate, ledger (creator or shop)",
)
async def explain_commission(
    commission_id: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    creator = await identity.creator_of_user(session, principal.user_id) if principal.user_id else None
    return json_response(
        await commissions.explain(
            session, principal, creator.id if creator else None, commission_id, app_settings(request).public_url
        )
    )


# --- balance and payouts ----------------------------------------------------------------------------------------


@router.get(
    "/creators/me/balance",
    response_model=dict[str, BalanceRead],
    summary="The caller's earnings per currency: pending, available, in transit, paid out (creator)",
)
async def my_balance(session: DbSession, creator: CurrentCreator) -> Response:
    return json_response({row["currency"]: row for row in await payouts.balance(session, creator.creator_id)})


@router.get("/creators/me/payouts", response_model=PayoutPage, summary="The caller's payouts, newest first (creator)")
async def my_payouts(
    session: DbSession, creator: CurrentCreator, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    items, next_cursor = await payouts.creator_payouts(session, creator.creator_id, limit=limit, cursor=cursor)
    return json_response({"items": items, "next_cursor": next_cursor})


@router.post(
    "/creators/me/payouts",
    status_code=201,
    response_model=PayoutRead,
    responses={
        502: problem_response("The payout provider did not answer (`payout_provider_error`); the money is set aside")
    },
    summary="Pay out available earnings (creator; Idempotency-Key); 409 `insufficient_balance`",
)
async def request_payout(
    body: PayoutCreate, request: Request, user: CurrentUserOwnTransactions, idempotency_key: IdempotencyKey = None
) -> Response:
    database = get_database(request)
    assert user.user_id is not None
    async with database.session(write=False) as session:
        found = await identity.creator_of_user(session, user.user_id)
    if found is None:
        raise ShoppableError(
            "creator_required", 403, "This needs a creator profile: create one with POST /api/v1/creators."
        )
    provider: PayoutProvider = request.app.state.payout_provider
    status_code, result = await payouts.request_payout(
        database,
        provider,
        CallingCreator(user.user_id, found.id, found.handle),
        Money(body.amount, body.currency.upper()),
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint("payout", body.model_dump(mode="json")),
    )
    return stored_response(status_code, result)
