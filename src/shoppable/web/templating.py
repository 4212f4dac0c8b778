"""The page templates and the one way money and time are shown on every page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from shoppable.kit.clock import isoformat
from shoppable.kit.money import Money
from shoppable.kit.urls import web_url_or_none

LOCALE = "en_US"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def money(amount: int, currency: str) -> str:
    return Money(amount, currency).format(LOCALE)


def price_range(product: dict[str, Any]) -> str:
    prices = sorted(v["price"] for v in product["variants"])
    if not prices:
        return ""
    currency = product["variants"][0]["currency"]
    if prices[0] == prices[-1]:
        return money(prices[0], currency)
    return f"{money(prices[0], currency)} – {money(prices[-1], currency)}"


def when(moment: datetime | str | None) -> str:
    """A time as people read it (UTC on the server; the page's time.js shows it in the viewer's zone)."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.strftime("%-d %b %Y, %H:%M UTC")


def iso(moment: datetime | str | None) -> str:
    if isinstance(moment, str) or moment is None:
        return moment or ""
    return isoformat(moment) or ""


def mmss(seconds: int) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


templates.env.globals["money"] = money
templates.env.filters["price_range"] = price_range
templates.env.filters["when"] = when
templates.env.filters["iso"] = iso
templates.env.filters["mmss"] = mmss
templates.env.filters["price"] = lambda variant: money(variant["price"], variant["currency"])
# Every user- or file-supplied URL a page puts in src, poster or data-*: empty unless http(s) or a site path.
templates.env.filters["web_url"] = lambda url: web_url_or_none(url) or ""


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200) -> Response:
    """A page: the template with the visitor (signed in or not, the CSRF token, the cart count) and any toast."""
    visitor = getattr(request.state, "visitor", None)
    page = dict(context or {})
    page.setdefault("visitor", visitor)
    page.setdefault("seller", getattr(request.state, "seller", None))
    page.setdefault("toast", request.cookies.get(TOAST_COOKIE) and TOASTS.get(request.cookies[TOAST_COOKIE]))
    response = templates.TemplateResponse(request, name, page, status_code=status_code)
    if visitor is not None:
        visitor.write_cookies(response)
    if request.cookies.get(TOAST_COOKIE):
        response.delete_cookie(TOAST_COOKIE, path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


TOAST_COOKIE = "shoppable_toast"
TOASTS = {
    "signed_in": "Welcome back.",
    "signed_up": "Your account is ready. Happy shopping.",
    "signed_out": "You are signed out.",
    "added_to_cart": "Added to your cart.",
    "cart_updated": "Cart updated.",
    "line_removed": "Removed from your cart.",
    "address_saved": "Address saved.",
    "address_deleted": "Address removed.",
    "card_saved": "Card saved.",
    "card_deleted": "Card removed.",
    "password_changed": "Password changed. Other devices are signed out.",
    "sessions_ended": "Signed out on every other device.",
    "invitation_accepted": "Invitation accepted. You now work for the shop.",
    "invitation_declined": "Invitation declined.",
    "order_cancelled": "Order cancelled. Your payment is refunded.",
    "return_requested": "Return requested. The shop will answer soon.",
    "followed": "Following.",
    "order_shipped": "Marked shipped. The buyer sees the tracking number.",
    "order_delivered": "Marked delivered. The return window is open.",
    "order_cancelled_by_shop": "Order cancelled. The buyer's payment is refunded.",
    "order_refunded": "Refund made. The buyer's card is credited.",
    "return_approved": "Return approved and refunded.",
    "return_rejected": "Return declined. The buyer sees your reason.",
    "plan_created": "Plan open. Creators can promote what it covers now.",
    "plan_rate_changed": "Rate saved.",
    "plan_ended": "Plan ended. Orders already placed keep their rate.",
    "live_scheduled": "Live scheduled. Viewers can find it on the Live page.",
    "live_started": "You are on air.",
    "live_ended": "Live ended.",
    "payout_sent": "Withdrawal sent. It is on its way to the shop's payout account.",
    "payout_refused": "The payout provider refused this withdrawal. The money is back in your available balance.",
    "shop_saved": "Shop details saved.",
    "invitation_sent": "Invitation sent. The person joins once they accept it.",
    "invitation_revoked": "Invitation revoked.",
    "api_key_revoked": "API key revoked. It stops working at once.",
    "member_removed": "Removed from the shop. Their access ended at once.",
    "shop_created": "Your shop is open. Add products or import them to start selling.",
    "unfollowed": "Unfollowed.",
    "import_started": "Import started. This page shows its progress, then the report.",
    "product_created": "Product saved.",
    "product_saved": "Product saved.",
    "product_archived": "Product archived. It no longer sells; its orders keep their lines.",
    "stock_changed": "Stock changed.",
}


def with_toast(response: Response, key: str) -> Response:
    """Show one of ``TOASTS`` on the next page (the cookie holds only the key, never text)."""
    assert key in TOASTS
    response.set_cookie(TOAST_COOKIE, key, max_age=60, path="/", httponly=True, samesite="lax")
    return response
