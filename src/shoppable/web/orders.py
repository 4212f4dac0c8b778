"""The buyer's orders in the browser: the list, one order with its lines, timeline and tracking, cancelling it
before it ships and asking to return lines after delivery. Handlers parse the form, call the order services,
and render or redirect; what the page offers follows the services' own rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from shoppable.catalog import shops
from shoppable.identity.rules import Principal
from shoppable.kit.clock import utcnow
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.order import lifecycle, refunds
from shoppable.order.rules import Actor, OrderEvent, OrderStatus, allowed_events
from shoppable.web.checkout import country_name
from shoppable.web.forms import form_of
from shoppable.web.paging import page_or_first
from shoppable.web.templating import money, render, with_toast
from shoppable.web.visitor import FormShopper, Shopper, Visitor

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
RETURN_REASONS = (
    "It doesn't fit",
    "It isn't as described",
    "It arrived damaged",
    "I changed my mind",
    "Something else",
)
CANCEL_REASONS = ("I ordered by mistake", "I found it cheaper elsewhere", "It would arrive too late", "Something else")
SHIPPED_NOTICE = "This order has already shipped: request a return instead."
_LEFT_THE_SHOP = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED})


def _principal(visitor: Visitor) -> Principal:
    return Principal(user_id=visitor.user_id)


async def _own_order(session: AsyncSession, visitor: Visitor, order_id: str) -> dict[str, Any]:
    """The visitor's order as its buyer; the 404 page for anyone else's (a shop's staff too: this is the buyer's
    page, the Seller Center is theirs)."""
    order = await lifecycle.get_order(session, _principal(visitor), order_id)
    if order["buyer_id"] != visitor.user_id:
        raise not_found("Order")
    return order


# --- what a page shows --------------------------------------------------------------------------------------------


def _when(moment: str | None) -> datetime | None:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")) if moment else None


def can_cancel(order: dict[str, Any]) -> bool:
    """The buyer may cancel (the lifecycle's rule: until the order ships)."""
    return OrderEvent.CANCEL in allowed_events(OrderStatus(order["status"]), Actor.BUYER)


def return_window_open(order: dict[str, Any], now: datetime) -> bool:
    """Returns are taken (``refunds.request_return``'s rule): delivered, and the window
    (``return_window_days`` after delivery) not yet closed."""
    ends_at = _when(order.get("return_window_ends_at"))
    return order["status"] == OrderStatus.DELIVERED and ends_at is not None and now < ends_at


def waiting_units(returns: list[dict[str, Any]]) -> dict[str, int]:
    """Units each line already has in a return request waiting for the shop."""
    asked: dict[str, int] = {}
    for item in returns:
        if item["status"] == "requested":
            for entry in item["lines"]:
                asked[entry["line_id"]] = asked.get(entry["line_id"], 0) + int(entry["quantity"])
    return asked


def describe_event(entry: dict[str, Any], *, currency: str, buyer_key: str) -> str:
    """One timeline entry as a sentence a buyer reads."""
    detail: dict[str, Any] = entry["detail"]
    event = str(entry["event"])
    by_you = entry["actor"] == buyer_key
    if event == "created":
        return "You placed the order."
    if event == "paid":
        return "Your payment went through."
    if event == "shipped":
        carrier, tracking = detail.get("carrier"), detail.get("tracking_number")
        if carrier and tracking:
            return f"The shop shipped it with {carrier}, tracking number {tracking}."
        return "The shop shipped it."
    if event == "delivered":
        return "It was delivered."
    if event == "completed":
        return "The order is complete: its return window has closed."
    if event == "expired":
        return "It was cancelled: the payment did not go through in time."
    if event == "cancelled":
        who = "You cancelled the order" if by_you else "The shop cancelled the order"
        if entry["actor"] == "system":
            who = "The order was cancelled"
        reason = detail.get("reason")
        return f"{who}: {reason}." if reason else f"{who}."
    if event == "refunded":
        amount = detail.get("amount")
        if isinstance(amount, int):
            return f"{money(amount, currency)} was refunded to your card."
        return "A refund was made to your card."
    if event == "return_requested":
        return "You asked to return items."
    if event == "return_approved":
        return "The shop approved your return."
    if event == "return_rejected":
        reason = detail.get("reason")
        return f"The shop declined your return: {reason}." if reason else "The shop declined your return."
    return event.replace("_", " ").capitalize() + "."


def returnable_units(line: dict[str, Any], waiting: int = 0) -> int:
    """Units of a line not yet refunded nor in a request still waiting for the shop: the most a return may
    ask for (``refunds.request_return``'s rule)."""
    return max(0, int(line["quantity"]) - int(line["refunded_quantity"]) - waiting)


async def _order_page(
    request: Request,
    session: AsyncSession,
    visitor: Visitor,
    order_id: str,
    *,
    cancel_notice: str | None = None,
    return_errors: dict[str, str] | None = None,
    posted: dict[str, str] | None = None,
) -> Response:
    order = await _own_order(session, visitor, order_id)
    shop = (await shops.shops_by_id(session, [order["shop_id"]])).get(order["shop_id"])
    buyer_key = _principal(visitor).key
    timeline = [
        {"at": entry["at"], "text": describe_event(entry, currency=order["currency"], buyer_key=buyer_key)}
        for entry in order["timeline"]
    ]
    accepts_returns = return_window_open(order, utcnow())
    returns = await refunds.order_returns(session, _principal(visitor), order_id)
    waiting = waiting_units(returns)
    returnable = {line["id"]: returnable_units(line, waiting.get(line["id"], 0)) for line in order["lines"]}
    titles = {line["id"]: line["title"] for line in order["lines"]}
    errors = return_errors or {}
    context = {
        "order": order,
        "shop_name": shop.name if shop else "A shop",
        "timeline": timeline,
        "country": country_name(order["shipping_address"].get("country", "")),
        "can_cancel": can_cancel(order),
        "cancel_reasons": CANCEL_REASONS,
        "cancel_notice": cancel_notice,
        "accepts_returns": accepts_returns,
        "returnable": returnable,
        "return_reasons": RETURN_REASONS,
        "return_errors": errors,
        "return_notice": next((text for key, text in errors.items() if key not in returnable), None),
        "returns": returns,
        "line_titles": titles,
        "posted": posted or {},
    }
    return render(request, "orders/detail.html", context)


# --- pages --------------------------------------------------------------------------------------------------------


@router.get("/orders")
async def orders_page(
    request: Request,
    session: DbSession,
    visitor: Shopper,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    principal = _principal(visitor)
    orders, next_cursor, cursor = await page_or_first(
        lambda at: lifecycle.buyer_orders(session, principal, limit=PAGE_SIZE, cursor=at), cursor
    )
    names = await shops.shops_by_id(session, sorted({order["shop_id"] for order in orders}))
    context = {
        "orders": orders,
        "shop_names": {shop_id: shop.name for shop_id, shop in names.items()},
        "next_cursor": next_cursor,
        "is_first_page": cursor is None,
    }
    return render(request, "orders/list.html", context)


@router.get("/orders/{order_id}")
async def order_page(request: Request, order_id: str, session: DbSession, visitor: Shopper) -> Response:
    return await _order_page(request, session, visitor, order_id)


@router.post("/orders/{order_id}/cancel")
async def cancel_order(request: Request, order_id: str, session: DbSession, visitor: FormShopper) -> Response:
    form = await form_of(request)
    reason = form.get("reason", "").strip()
    await _own_order(session, visitor, order_id)
    try:
        await lifecycle.cancel(
            session, request.app.state.payment_provider, _principal(visitor), order_id, reason=reason[:500]
        )
    except ShoppableError as error:
        if error.code != "invalid_transition":
            raise
        # Opened before the shop shipped it, or cancelled in another tab meanwhile: the page as it is now.
        order = await _own_order(session, visitor, order_id)
        status = OrderStatus(order["status"])
        notice = SHIPPED_NOTICE if status in _LEFT_THE_SHOP else "This order is already cancelled."
        return await _order_page(request, session, visitor, order_id, cancel_notice=notice)
    return with_toast(RedirectResponse(f"/orders/{order_id}", status_code=303), "order_cancelled")


def _return_form(form: dict[str, str]) -> tuple[str, int | None, str, str | None]:
    """(line id, quantity, reason, problem) from a line's return form."""
    line_id = form.get("line_id", "").strip()[:40]
    reason = form.get("reason", "").strip()
    try:
        quantity = int(form.get("quantity", "").strip())
    except ValueError:
        return line_id, None, reason, "Enter how many units to return, as a whole number."
    if quantity < 1:
        return line_id, quantity, reason, "Return at least 1 unit."
    if not reason:
        return line_id, quantity, reason, "Choose why you are returning it."
    if len(reason) > 500:
        return line_id, quantity, reason, "Tell us why in 500 characters or fewer."
    return line_id, quantity, reason, None


@router.post("/orders/{order_id}/returns")
async def request_return(request: Request, order_id: str, session: DbSession, visitor: FormShopper) -> Response:
    form = await form_of(request)
    line_id, quantity, reason, problem = _return_form(form)
    await _own_order(session, visitor, order_id)
    if problem is None and quantity is not None:
        try:
            await refunds.request_return(session, _principal(visitor), order_id, [(line_id, quantity)], reason=reason)
        except ShoppableError as error:
            if error.status not in (409, 422):
                raise
            problem = _return_problem(error)
        else:
            return with_toast(RedirectResponse(f"/orders/{order_id}", status_code=303), "return_requested")
    return await _order_page(request, session, visitor, order_id, return_errors={line_id: problem or ""}, posted=form)


def _return_problem(error: ShoppableError) -> str:
    if error.code == "return_exceeds_line":
        left = next((str(item.get("msg", "")) for item in error.errors or []), "").removeprefix("at most ")
        if left == "0":
            return "Every unit of this item is already refunded or asked to return."
        return f"You can return at most {left} of this item: the others are refunded or already asked to return."
    if error.code == "return_window_closed":
        return "The return window of this order has closed."
    if error.code == "line_not_found":
        return "This item is not on the order."
    return error.detail
