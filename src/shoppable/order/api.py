"""REST endpoints of buying: cart, buy now, checkout, orders and their lifecycle, refunds and returns."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from shoppable.affiliate import tokens
from shoppable.config import app_settings
from shoppable.identity.deps import CurrentPrincipal, CurrentUser, CurrentUserOwnTransactions
from shoppable.identity.rules import Principal
from shoppable.kit.deps import DbSession, get_database
from shoppable.kit.http import PROBLEM_RESPONSES, json_response, problem_response, stored_response
from shoppable.kit.idempotency import IdempotencyKey, fingerprint, run_once
from shoppable.kit.money import Money
from shoppable.kit.pagination import DEFAULT_LIMIT, Cursor, Limit
from shoppable.order import cart, checkout, lifecycle, payouts, refunds
from shoppable.order.rules import Item, OrderStatus
from shoppable.order.schemas import (
    BuyNow,
    CancelIn,
    CartItemIn,
    CartLineUpdate,
    CartRead,
    CheckoutIn,
    OrderPage,
    OrderRead,
    PurchaseRead,
    RefundIn,
    RefundRead,
    RejectIn,
    ReturnIn,
    ReturnPage,
    ReturnRead,
    ShipIn,
    ShopFinanceRead,
    ShopPayoutCreate,
    ShopPayoutPage,
    ShopPayoutRead,
)
from shoppable.payment.payout_provider import PayoutProvider
from shoppable.payment.provider import PaymentProvider

router = APIRouter(prefix="/api/v1", tags=["orders"], responses=PROBLEM_RESPONSES)

_PAYMENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    402: problem_response("The payment was declined (`payment_declined`); no order is kept, no stock held"),
    502: problem_response("The payment provider failed (`payment_provider_error`); nothing was kept"),
}


def _provider(request: Request) -> PaymentProvider:
    provider: PaymentProvider = request.app.state.payment_provider
    return provider


# --- cart -------------------------------------------------------------------------------------------------------


@router.get("/cart", response_model=CartRead, summary="The caller's cart, at today's prices (user)")
async def get_cart(session: DbSession, user: CurrentUser) -> Response:
    assert user.user_id is not None
    return json_response(await cart.read_cart(session, user.user_id))


@router.post("/cart/items", response_model=CartRead, summary="Add a variant to the cart (user)")
async def add_cart_item(body: CartItemIn, session: DbSession, user: CurrentUser) -> Response:
    assert user.user_id is not None
    source = body.source.model_dump() if body.source else None
    await cart.add_item(session, user.user_id, variant_id=body.variant_id, quantity=body.quantity, source=source)
    return json_response(await cart.read_cart(session, user.user_id))


@router.patch("/cart/items/{line_id}", response_model=CartRead, summary="Change a cart line's quantity (user)")
async def update_cart_item(line_id: str, body: CartLineUpdate, session: DbSession, user: CurrentUser) -> Response:
    assert user.user_id is not None
    await cart.set_quantity(session, user.user_id, line_id, body.quantity)
    return json_response(await cart.read_cart(session, user.user_id))


@router.delete("/cart/items/{line_id}", response_model=CartRead, summary="Remove a cart line (user)")
async def remove_cart_item(line_id: str, session: DbSession, user: CurrentUser) -> Response:
    assert user.user_id is not None
    await cart.remove_line(session, user.user_id, line_id)
    return json_response(await cart.read_cart(session, user.user_id))


# --- buying -----------------------------------------------------------------------------------------------------


async def _purchase(
    request: Request,
    user: Principal,
    body: BuyNow | CheckoutIn,
    items: list[Item] | None,
    key: str | None,
    what: str,
) -> Response:
    settings = app_settings(request)
    cookie = request.cookies.get(tokens.COOKIE) or request.headers.get("shoppable-attribution")
    purchase = checkout.Purchase(
        buyer=user,
        clicks=checkout.attribution_clicks(cookie, settings),
        live_sales=request.app.state.live_sales,
        items=items,
        shipping_address=body.shipping_address.model_dump(exclude_none=True),
        payment_token=body.payment.token,
        coupon_code=body.coupon_code,
        idempotency_key=key,
        request_fingerprint=fingerprint(what, body.model_dump(mode="json")),
    )
    status_code, result = await checkout.place_orders(get_database(request), _provider(request), settings, purchase)
    return stored_response(status_code, result)


@router.post(
    "/orders",
    status_code=201,
    response_model=PurchaseRead,
    responses=_PAYMENT_RESPONSES,
    summary="Buy now: one order per shop, paid at once (user; Idempotency-Key)",
)
async def buy_now(
    body: BuyNow, request: Request, user: CurrentUserOwnTransactions, idempotency_key: IdempotencyKey = None
) -> Response:
    items = [Item(i.variant_id, i.quantity, i.source.model_dump() if i.source else None) for i in body.items]
    return await _purchase(request, user, body, items, idempotency_key, "buy_now")


@router.post(
    "/checkout",
    status_code=201,
    response_model=PurchaseRead,
    responses=_PAYMENT_RESPONSES,
    summary="Buy the cart: one order per shop, paid at once; empties the cart (user; Idempotency-Key)",
)
async def checkout_cart(
    body: CheckoutIn, request: Request, user: CurrentUserOwnTransactions, idempotency_key: IdempotencyKey = None
) -> Response:
    return await _purchase(request, user, body, None, idempotency_key, "checkout")


# --- orders -----------------------------------------------------------------------------------------------------


@router.get("/orders", response_model=OrderPage, summary="The caller's orders, newest first (user)")
async def list_my_orders(
    session: DbSession, user: CurrentUser, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    items, next_cursor = await lifecycle.buyer_orders(session, user, limit=limit, cursor=cursor)
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get("/orders/{order_id}", response_model=OrderRead, summary="An order (its buyer or its shop)")
async def get_order(order_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(await lifecycle.get_order(session, principal, order_id))


@router.get("/shops/{shop_id}/orders", response_model=OrderPage, summary="A shop's orders, newest first (shop)")
async def list_shop_orders(
    shop_id: str,
    session: DbSession,
    principal: CurrentPrincipal,
    status: Annotated[OrderStatus | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    items, next_cursor = await lifecycle.shop_orders(
        session, principal, shop_id, status=status.value if status else None, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.post("/orders/{order_id}/ship", response_model=OrderRead, summary="Mark an order shipped (shop)")
async def ship_order(order_id: str, body: ShipIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(
        await lifecycle.ship(session, principal, order_id, carrier=body.carrier, tracking_number=body.tracking_number)
    )


@router.post("/orders/{order_id}/deliver", response_model=OrderRead, summary="Mark an order delivered (shop)")
async def deliver_order(order_id: str, request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    days = app_settings(request).return_window_days
    return json_response(await lifecycle.deliver(session, principal, order_id, return_window_days=days))


@router.post(
    "/orders/{order_id}/cancel",
    response_model=OrderRead,
    summary="Cancel an order: payment voided or refunded, stock restored (buyer before shipping, or shop)",
)
async def cancel_order(
    order_id: str, request: Request, session: DbSession, principal: CurrentPrincipal, body: CancelIn | None = None
) -> Response:
    reason = body.reason if body else ""
    return json_response(await lifecycle.cancel(session, _provider(request), principal, order_id, reason=reason))


@router.post(
    "/orders/{order_id}/refunds",
    status_code=201,
    response_model=RefundRead,
    summary="Refund units of an order's lines, partly or fully (shop; Idempotency-Key)",
)
async def refund_order(
    order_id: str,
    body: RefundIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    async def refund() -> tuple[int, Any]:
        lines = [(line.line_id, line.quantity) for line in body.lines]
        return 201, await refunds.refund_lines(
            session, _provider(request), principal, order_id, lines, reason=body.reason
        )

    status_code, result = await run_once(
        session,
        principal=principal.key,
        key=idempotency_key,
        request_fingerprint=fingerprint("refund", order_id, body.model_dump(mode="json")),
        action=refund,
    )
    return stored_response(status_code, result)


@router.post(
    "/orders/{order_id}/returns",
    status_code=201,
    response_model=ReturnRead,
    summary="Ask to return units of a delivered order within the return window (buyer)",
)
async def request_return(order_id: str, body: ReturnIn, session: DbSession, user: CurrentUser) -> Response:
    lines = [(line.line_id, line.quantity) for line in body.lines]
    return json_response(await refunds.request_return(session, user, order_id, lines, reason=body.reason), 201)


@router.get(
    "/shops/{shop_id}/returns", response_model=ReturnPage, summary="A shop's return requests, newest first (shop)"
)
async def list_shop_returns(
    shop_id: str,
    session: DbSession,
    principal: CurrentPrincipal,
    status: Annotated[Literal["requested", "approved", "rejected"] | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    items, next_cursor = await refunds.shop_returns(
        session, principal, shop_id, status=status, limit=limit, cursor=cursor
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.post("/returns/{return_id}/approve", response_model=ReturnRead, summary="Approve a return: refunds it (shop)")
async def approve_return(return_id: str, request: Request, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(await refunds.approve_return(session, _provider(request), principal, return_id))


@router.post("/returns/{return_id}/reject", response_model=ReturnRead, summary="Reject a return with a reason (shop)")
async def reject_return(return_id: str, body: RejectIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(await refunds.reject_return(session, principal, return_id, reason=body.reason))


# --- shop money: figures and payouts ------------------------------------------------------------------------------


@router.get(
    "/shops/{shop_id}/finance",
    response_model=list[ShopFinanceRead],
    summary="The shop's money per currency from the ledger: pending, available, in transit, paid out, and the "
    "sales, refunds, referral fees and commissions behind them (shop)",
)
async def shop_finance(shop_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(await payouts.finance(session, principal, shop_id))


@router.get(
    "/shops/{shop_id}/payouts", response_model=ShopPayoutPage, summary="The shop's payouts, newest first (shop)"
)
async def list_shop_payouts(
    shop_id: str, session: DbSession, principal: CurrentPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    items, next_cursor = await payouts.shop_payouts(session, principal, shop_id, limit=limit, cursor=cursor)
    return json_response({"items": items, "next_cursor": next_cursor})


@router.post(
    "/shops/{shop_id}/payouts",
    status_code=201,
    response_model=ShopPayoutRead,
    responses={
        502: problem_response("The payout provider did not answer (`payout_provider_error`); the money is set aside")
    },
    summary="Withdraw the shop's available balance through the payout provider (shop owner; Idempotency-Key); "
    "409 `insufficient_balance` for more than is available",
)
async def request_shop_payout(
    shop_id: str,
    body: ShopPayoutCreate,
    request: Request,
    user: CurrentUserOwnTransactions,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    provider: PayoutProvider = request.app.state.payout_provider
    status_code, result = await payouts.request_payout(
        get_database(request),
        provider,
        user,
        shop_id,
        Money(body.amount, body.currency.upper()),
        idempotency_key=idempotency_key,
    )
    return stored_response(status_code, result)
