"""Seller Center: the shop's orders (filtered by status), one order with its lines, attribution and timeline, and
the shop's steps on it (ship with carrier and tracking, deliver, refund chosen units, cancel before shipping); the
returns waiting for a decision. Handlers call the order services with the member's principal; a thing of another
shop under this shop's URL is the 404 page."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from shoppable.identity import service as identity
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.idempotency import answered, fingerprint, run_once
from shoppable.order import lifecycle, refunds
from shoppable.order.rules import Actor, OrderEvent, OrderStatus, allowed_events
from shoppable.web.checkout import country_name
from shoppable.web.forms import FieldErrors, form_of
from shoppable.web.paging import page_or_first
from shoppable.web.seller.access import Seller, SellerForm, SellerPage
from shoppable.web.templating import money, render, with_toast

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
STATUS_FILTERS = (
    ("", "All orders"),
    ("paid", "To ship"),
    ("shipped", "Shipped"),
    ("delivered", "Delivered"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
    ("pending_payment", "Awaiting payment"),
)
STATUS_LABELS = {
    "pending_payment": "Awaiting payment",
    "paid": "To ship",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
SOURCE_LABELS = {"video": "Video", "live": "Live", "showcase": "Showcase", "link": "Link", "collection": "Collection"}
CARRIERS = ("UPS", "USPS", "FedEx", "DHL", "Royal Mail", "Canada Post", "La Poste", "Australia Post", "Other")


async def _shop_order(session: AsyncSession, seller: Seller, order_id: str) -> dict[str, Any]:
    """The order, if it is this shop's: the 404 page otherwise (even for a member of the other shop)."""
    order = await lifecycle.get_order(session, seller.principal, order_id)
    if order["shop_id"] != seller.shop.id:
        raise not_found("Order")
    return order


async def _creators(session: AsyncSession, orders: list[dict[str, Any]]) -> dict[str, str]:
    ids = {line["attribution"]["creator_id"] for order in orders for line in order["lines"] if line.get("attribution")}
    return {creator_id: creator.handle for creator_id, creator in (await identity.creators_by_id(session, ids)).items()}


def _credited(order: dict[str, Any], handles: dict[str, str]) -> list[str]:
    """The creators an order's lines credit, by handle, each once."""
    found: list[str] = []
    for line in order["lines"]:
        attribution = line.get("attribution")
        if attribution and (handle := handles.get(attribution["creator_id"], "")) and handle not in found:
            found.append(handle)
    return found


def describe_event(entry: dict[str, Any], *, currency: str) -> str:
    """One timeline entry as a sentence the shop reads."""
    detail: dict[str, Any] = entry["detail"]
    event = str(entry["event"])
    by = {"system": "Shoppable"}.get(entry["actor"], "")
    if event == "created":
        return "The buyer placed the order."
    if event == "paid":
        return "The buyer's payment went through."
    if event == "shipped":
        carrier, tracking = detail.get("carrier"), detail.get("tracking_number")
        return f"Shipped with {carrier}, tracking number {tracking}." if carrier and tracking else "Shipped."
    if event == "delivered":
        return "Marked delivered: the return window opened."
    if event == "completed":
        return "Completed: the return window closed and the sale settled."
    if event == "expired":
        return "Cancelled: the payment did not go through in time."
    if event == "cancelled":
        who = "The buyer cancelled it" if entry["actor"].startswith("user:") and not by else "Cancelled"
        reason = detail.get("reason")
        return f"{who}: {reason}." if reason else f"{who}."
    if event == "refunded":
        amount = detail.get("amount")
        return f"Refunded {money(amount, currency)}." if isinstance(amount, int) else "Refunded."
    if event == "return_requested":
        return "The buyer asked to return items."
    if event == "return_approved":
        return "Return approved and refunded."
    if event == "return_rejected":
        reason = detail.get("reason")
        return f"Return declined: {reason}." if reason else "Return declined."
    return event.replace("_", " ").capitalize() + "."


def refundable_units(line: dict[str, Any]) -> int:
    return max(0, int(line["quantity"]) - int(line["refunded_quantity"]))


# --- the list ---------------------------------------------------------------------------------------------------


@router.get("/seller/{shop_slug}/orders")
async def orders_page(
    request: Request,
    session: DbSession,
    seller: SellerPage,
    status: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    status = status if status in STATUS_LABELS else ""
    orders, next_cursor, cursor = await page_or_first(
        lambda at: lifecycle.shop_orders(
            session, seller.principal, seller.shop.id, status=status or None, limit=PAGE_SIZE, cursor=at
        ),
        cursor,
    )
    handles = await _creators(session, orders)
    context = {
        "section": "orders",
        "orders": [
            {**order, "units": sum(line["quantity"] for line in order["lines"]), "creators": _credited(order, handles)}
            for order in orders
        ],
        "status": status,
        "filters": STATUS_FILTERS,
        "labels": STATUS_LABELS,
        "next_cursor": next_cursor,
        "is_first_page": cursor is None,
    }
    return render(request, "seller/orders/list.html", context)


# --- one order --------------------------------------------------------------------------------------------------


async def _order_page(
    request: Request,
    session: AsyncSession,
    seller: Seller,
    order_id: str,
    *,
    errors: FieldErrors | None = None,
    posted: dict[str, str] | None = None,
) -> Response:
    order = await _shop_order(session, seller, order_id)
    handles = await _creators(session, [order])
    status = OrderStatus(order["status"])
    events = allowed_events(status, Actor.SHOP)
    lines = [
        {
            **line,
            "refundable": refundable_units(line),
            "creator": handles.get(line["attribution"]["creator_id"]) if line.get("attribution") else None,
            "source_label": SOURCE_LABELS.get((line.get("attribution") or {}).get("source_type") or "", "Link"),
        }
        for line in order["lines"]
    ]
    context = {
        "section": "orders",
        "order": order,
        "lines": lines,
        "label": STATUS_LABELS.get(order["status"], order["status"]),
        "timeline": [
            {"at": entry["at"], "text": describe_event(entry, currency=order["currency"])}
            for entry in order["timeline"]
        ],
        "country": country_name(order["shipping_address"].get("country", "")),
        "can_ship": OrderEvent.SHIP in events,
        "can_deliver": OrderEvent.DELIVER in events,
        "can_cancel": OrderEvent.CANCEL in events,
        "can_refund": status is not OrderStatus.PENDING_PAYMENT
        and status is not OrderStatus.CANCELLED
        and any(line["refundable"] for line in lines),
        "carriers": CARRIERS,
        "errors": errors or {},
        "posted": posted or {},
        "refund_key": secrets.token_urlsafe(18),
        "commission_total": sum(int((line.get("attribution") or {}).get("commission") or 0) for line in order["lines"]),
    }
    return render(request, "seller/orders/detail.html", context, status_code=422 if errors else 200)


@router.get("/seller/{shop_slug}/orders/{order_id}")
async def order_page(request: Request, order_id: str, session: DbSession, seller: SellerPage) -> Response:
    return await _order_page(request, session, seller, order_id)


def _back(seller: Seller, order_id: str) -> RedirectResponse:
    return RedirectResponse(f"{seller.base}/orders/{order_id}", status_code=303)


def _moved_on(error: ShoppableError) -> bool:
    """The order moved on in another tab or by the buyer (cancelled, shipped) since the page was opened."""
    return error.code == "invalid_transition"


@router.post("/seller/{shop_slug}/orders/{order_id}/ship")
async def ship(request: Request, order_id: str, session: DbSession, seller: SellerForm) -> Response:
    form = await form_of(request)
    carrier, tracking = form.get("carrier", "").strip(), form.get("tracking_number", "").strip()
    await _shop_order(session, seller, order_id)
    errors: FieldErrors = {}
    if not carrier:
        errors["carrier"] = "Choose the carrier"
    elif len(carrier) > 100:
        errors["carrier"] = "The carrier's name must be 100 characters or fewer"
    if not tracking:
        errors["tracking_number"] = "Enter the tracking number the carrier gave you"
    elif len(tracking) > 100:
        errors["tracking_number"] = "The tracking number must be 100 characters or fewer"
    if not errors:
        try:
            await lifecycle.ship(session, seller.principal, order_id, carrier=carrier, tracking_number=tracking)
        except ShoppableError as error:
            if not _moved_on(error):
                raise
            errors["_ship"] = "This order can't be shipped now: it was cancelled or already shipped."
        else:
            return with_toast(_back(seller, order_id), "order_shipped")
    return await _order_page(request, session, seller, order_id, errors=errors, posted=form)


@router.post("/seller/{shop_slug}/orders/{order_id}/deliver")
async def deliver(request: Request, order_id: str, session: DbSession, seller: SellerForm) -> Response:
    await _shop_order(session, seller, order_id)
    try:
        days = request.app.state.settings.return_window_days
        await lifecycle.deliver(session, seller.principal, order_id, return_window_days=days)
    except ShoppableError as error:
        if not _moved_on(error):
            raise
        return await _order_page(
            request, session, seller, order_id, errors={"_deliver": "This order isn't out for delivery."}
        )
    return with_toast(_back(seller, order_id), "order_delivered")


@router.post("/seller/{shop_slug}/orders/{order_id}/cancel")
async def cancel(request: Request, order_id: str, session: DbSession, seller: SellerForm) -> Response:
    form = await form_of(request)
    await _shop_order(session, seller, order_id)
    reason = form.get("reason", "").strip()[:500] or "Cancelled by the shop"
    try:
        await lifecycle.cancel(session, request.app.state.payment_provider, seller.principal, order_id, reason=reason)
    except ShoppableError as error:
        if not _moved_on(error):
            raise
        return await _order_page(
            request, session, seller, order_id, errors={"_cancel": "This order has shipped: refund it instead."}
        )
    return with_toast(_back(seller, order_id), "order_cancelled_by_shop")


def _refund_request(form: dict[str, str], order: dict[str, Any]) -> tuple[list[tuple[str, int]], FieldErrors]:
    """The units to refund per line from the form's ``refund-{line id}`` fields, and what is wrong with them."""
    chosen: list[tuple[str, int]] = []
    errors: FieldErrors = {}
    for line in order["lines"]:
        raw = form.get(f"refund-{line['id']}", "").strip() or "0"
        try:
            units = int(raw)
        except ValueError:
            errors[f"refund-{line['id']}"] = "Enter a whole number of units"
            continue
        left = refundable_units(line)
        if units < 0:
            errors[f"refund-{line['id']}"] = "Enter 0 or more units"
        elif units > left:
            errors[f"refund-{line['id']}"] = f"At most {left} of this item can still be refunded"
        elif units:
            chosen.append((line["id"], units))
    if not chosen and not errors:
        errors["_refund"] = "Choose how many units of which items to refund"
    return chosen, errors


@router.post("/seller/{shop_slug}/orders/{order_id}/refunds")
async def refund(request: Request, order_id: str, session: DbSession, seller: SellerForm) -> Response:
    form = await form_of(request)
    order = await _shop_order(session, seller, order_id)
    key = form.get("idempotency_key", "").strip()[:255] or None
    reason = form.get("reason", "").strip()[:500]
    provider = request.app.state.payment_provider
    # A form submitted twice carries the same key: the second finds the first's refund and repeats nothing.
    if key is None or not await answered(session, principal=seller.principal.key, key=key):
        chosen, errors = _refund_request(form, order)
        if errors:
            return await _order_page(request, session, seller, order_id, errors=errors, posted=form)

        async def act() -> tuple[int, Any]:
            return 201, await refunds.refund_lines(session, provider, seller.principal, order_id, chosen, reason=reason)

        try:
            async with session.begin_nested():  # a refused refund keeps no claim on the key
                await run_once(
                    session,
                    principal=seller.principal.key,
                    key=key,
                    request_fingerprint=fingerprint("page-refund", order_id),
                    action=act,
                )
        except ShoppableError as error:
            if error.status not in (409, 422):
                raise
            return await _order_page(request, session, seller, order_id, errors={"_refund": error.detail}, posted=form)
    return with_toast(_back(seller, order_id), "order_refunded")


# --- returns ----------------------------------------------------------------------------------------------------


@router.get("/seller/{shop_slug}/returns")
async def returns_page(
    request: Request,
    session: DbSession,
    seller: SellerPage,
    status: Annotated[str, Query(max_length=20)] = "requested",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    return await _returns_page(request, session, seller, status=status, cursor=cursor)


async def _returns_page(
    request: Request,
    session: AsyncSession,
    seller: Seller,
    *,
    status: str = "requested",
    cursor: str | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    status = status if status in ("requested", "approved", "rejected", "all") else "requested"
    wanted = None if status == "all" else status
    items, next_cursor, cursor = await page_or_first(
        lambda at: refunds.shop_returns(
            session, seller.principal, seller.shop.id, status=wanted, limit=PAGE_SIZE, cursor=at
        ),
        cursor,
    )
    orders = {}
    for order_id in dict.fromkeys(item["order_id"] for item in items):
        orders[order_id] = await lifecycle.get_order(session, seller.principal, order_id)
    returns = []
    for item in items:
        order = orders[item["order_id"]]
        titles = {line["id"]: line for line in order["lines"]}
        refund_value = sum(
            titles[entry["line_id"]]["total"] * int(entry["quantity"]) // max(1, titles[entry["line_id"]]["quantity"])
            for entry in item["lines"]
            if entry["line_id"] in titles
        )
        returns.append(
            {
                **item,
                "order": order,
                "units": [
                    (
                        int(entry["quantity"]),
                        titles[entry["line_id"]]["title"] if entry["line_id"] in titles else "an item",
                    )
                    for entry in item["lines"]
                ],
                "about": refund_value,
            }
        )
    context = {
        "section": "returns",
        "returns": returns,
        "status": status,
        "next_cursor": next_cursor,
        "is_first_page": cursor is None,
        "errors": errors or {},
    }
    return render(request, "seller/returns.html", context, status_code=422 if errors else 200)


async def _shop_return(session: AsyncSession, seller: Seller, return_id: str) -> None:
    if await refunds.shop_of_return(session, return_id) != seller.shop.id:
        raise not_found("Return")


@router.post("/seller/{shop_slug}/returns/{return_id}/approve")
async def approve(request: Request, return_id: str, session: DbSession, seller: SellerForm) -> Response:
    await _shop_return(session, seller, return_id)
    try:
        await refunds.approve_return(session, request.app.state.payment_provider, seller.principal, return_id)
    except ShoppableError as error:
        if error.code != "invalid_transition":
            raise
        return await _returns_page(request, session, seller, errors={return_id: error.detail})
    return with_toast(RedirectResponse(f"{seller.base}/returns", status_code=303), "return_approved")


@router.post("/seller/{shop_slug}/returns/{return_id}/reject")
async def reject(request: Request, return_id: str, session: DbSession, seller: SellerForm) -> Response:
    form = await form_of(request)
    await _shop_return(session, seller, return_id)
    reason = form.get("reason", "").strip()
    if not reason:
        return await _returns_page(
            request, session, seller, errors={return_id: "Tell the buyer why you are declining the return"}
        )
    try:
        await refunds.reject_return(session, seller.principal, return_id, reason=reason[:500])
    except ShoppableError as error:
        if error.code != "invalid_transition":
            raise
        return await _returns_page(request, session, seller, errors={return_id: error.detail})
    return with_toast(RedirectResponse(f"{seller.base}/returns", status_code=303), "return_rejected")
