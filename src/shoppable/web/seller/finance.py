"""Seller Center: finance. What the shop is owed per currency (pending settlement, available, in transit), what
was paid out, and the sales, refunds, referral fees and commissions behind it, all read from the ledger, with the
transactions behind each figure; owners withdraw the available balance ("Withdraw", an exact decimal amount, a
form safe to submit twice). Staff see the figures, never the form; a staff withdrawal is the 403 page."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.routing import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from shoppable.kit.deps import DbSession, get_database
from shoppable.kit.errors import ShoppableError, forbidden
from shoppable.kit.idempotency import answered
from shoppable.kit.money import Money, check_currency, exponent, to_minor_units
from shoppable.order import payouts
from shoppable.web.forms import FieldErrors, form_of
from shoppable.web.paging import page_or_first
from shoppable.web.seller.access import OWNER_ONLY, Seller, SellerPage, seller_of
from shoppable.web.templating import money, render, with_toast
from shoppable.web.visitor import FormShopperOwnTransactions

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
FIGURE_LABELS = {
    "pending": "Pending settlement",
    "available": "Available",
    "in_transit": "Payouts in transit",
    "paid_out": "Paid out",
    "sales": "Sales",
    "refunds": "Refunds",
    "fees": "Referral fees",
    "commissions": "Creator commissions",
}
KIND_LABELS = {
    "order.capture": "Sale",
    "order.fee": "Referral fee",
    "order.refund": "Refund",
    "order.fee_refund": "Referral fee returned",
    "order.settlement": "Order completed: settled",
    "commission.accrue": "Creator commission",
    "commission.reverse": "Commission reversed",
    payouts.RESERVE: "Withdrawal requested",
    payouts.SENT: "Withdrawal paid",
    payouts.RETURNED: "Withdrawal refused: money returned",
}
PAYOUT_STATUS = {"paid": ("Paid", "ok"), "processing": ("Processing", "warn"), "failed": ("Refused", "bad")}


def input_amount(amount: int, currency: str) -> str:
    """Minor units as typed in a form, in major units: 940 USD is "9.40", 940 JPY is "940"."""
    return f"{Money(amount, currency).to_decimal():f}"


def signed(amount: int, currency: str) -> str:
    if amount == 0:
        return ""
    return ("+" if amount > 0 else "−") + money(abs(amount), currency)


def parse_amount(text: str, currency: str) -> tuple[int | None, str | None]:
    """The minor units a typed amount means, exactly (no float on the way), or what is wrong with it."""
    cleaned = text.strip().replace(" ", "")
    symbol = Money(0, currency).format().rstrip("0.,\u00a0 ")
    if symbol and cleaned.startswith(symbol):
        cleaned = cleaned[len(symbol) :]
    places = exponent(currency)
    example = f"{Decimal(1250).scaleb(-places):f}"
    if not cleaned:
        return None, "Enter the amount to withdraw"
    try:
        minor = to_minor_units(cleaned, currency)
    except ValueError:
        try:
            Decimal(cleaned.replace(",", ""))
        except ArithmeticError:
            return None, f"Enter an amount in {currency}, like {example}"
        if places == 0:
            return None, f"Enter a whole number of {currency}, like {example}"
        return None, f"Enter an amount with at most {places} decimals, like {example}"
    if minor <= 0:
        return None, "Enter an amount more than zero"
    return minor, None


async def _page(
    request: Request,
    session: AsyncSession,
    seller: Seller,
    *,
    currency: str | None = None,
    show: str = "",
    cursor: str | None = None,
    errors: dict[str, FieldErrors] | None = None,
    posted: dict[str, str] | None = None,
) -> Response:
    blocks = await payouts.finance(session, seller.principal, seller.shop.id)
    currencies = [block["currency"] for block in blocks]
    chosen = str(currency if currency in currencies else currencies[0])
    show = show if show in FIGURE_LABELS else ""
    rows, next_cursor, cursor = await page_or_first(
        lambda at: payouts.transactions(
            session, seller.principal, seller.shop.id, chosen, figure=show or None, limit=PAGE_SIZE, cursor=at
        ),
        cursor,
    )
    recent, _ = await payouts.shop_payouts(session, seller.principal, seller.shop.id, limit=10, cursor=None)
    errors = errors or {}
    context = {
        "section": "finance",
        "blocks": [
            {
                **block,
                "errors": errors.get(block["currency"], {}),
                "prefill": (posted or {}).get("amount")
                if (posted or {}).get("currency") == block["currency"]
                else input_amount(block["available"], block["currency"]),
                "key": secrets.token_urlsafe(18),
            }
            for block in blocks
        ],
        "currency": chosen,
        "show": show,
        "labels": FIGURE_LABELS,
        "rows": [{**row, "label": KIND_LABELS.get(str(row["kind"]), str(row["kind"]))} for row in rows],
        "next_cursor": next_cursor,
        "is_first_page": cursor is None,
        "payouts": [{**p, "state": PAYOUT_STATUS.get(p["status"], (p["status"], "warn"))} for p in recent],
        "signed": signed,
    }
    return render(request, "seller/finance.html", context, status_code=422 if errors else 200)


@router.get("/seller/{shop_slug}/finance")
async def finance_page(
    request: Request,
    session: DbSession,
    seller: SellerPage,
    currency: Annotated[str, Query(max_length=3)] = "",
    show: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    return await _page(request, session, seller, currency=currency.upper() or None, show=show, cursor=cursor)


async def _withdrawing_owner(request: Request, shop_slug: str, visitor: FormShopperOwnTransactions) -> Seller:
    """The shop's owner posting the withdraw form, found without holding the request open in a transaction:
    the payout runs its own transactions around the provider call."""
    async with get_database(request).session(write=False) as session:
        seller = await seller_of(session, visitor, shop_slug)
    request.state.seller = seller
    if not seller.is_owner:
        raise forbidden(OWNER_ONLY)
    return seller


WithdrawingOwner = Annotated[Seller, Depends(_withdrawing_owner)]


@router.post("/seller/{shop_slug}/finance/payouts")
async def withdraw(request: Request, seller: WithdrawingOwner) -> Response:
    form = await form_of(request)
    database = get_database(request)
    currency = form.get("currency", "").strip().upper()
    key = form.get("idempotency_key", "").strip()[:255] or None
    try:
        check_currency(currency)
    except ShoppableError:
        currency = seller.shop.currency
    amount, problem = parse_amount(form.get("amount", ""), currency)

    async def again(message: str, status_field: str = "amount") -> Response:
        async with database.session(write=False) as session:
            return await _page(
                request,
                session,
                seller,
                currency=currency,
                errors={currency: {status_field: message}},
                posted=form,
            )

    if problem is not None or amount is None:
        return await again(problem or "Enter the amount to withdraw")
    async with database.session(write=False) as session:
        # A form sent twice carries the same key: the second replays the first's payout instead of checking the
        # amount against the balance the first already withdrew.
        repeated = key is not None and await answered(session, principal=seller.principal.key, key=key)
        blocks = [] if repeated else await payouts.finance(session, seller.principal, seller.shop.id)
    if not repeated:
        available = next((b["available"] for b in blocks if b["currency"] == currency), 0)
        if available <= 0:
            return await again(f"There is no available {currency} balance to withdraw yet")
        if amount > available:
            return await again(f"You can withdraw at most {money(available, currency)}")
    try:
        _, payout = await payouts.request_payout(
            database,
            request.app.state.payout_provider,
            seller.principal,
            seller.shop.id,
            Money(amount, currency),
            idempotency_key=key,
        )
    except ShoppableError as error:
        if error.code == "insufficient_balance":
            return await again("That is more than is available now: the balance changed. Check it and try again")
        if error.code == "idempotency_key_reused":
            return await again("This form was already sent with another amount. Check the balance and try again")
        if error.code == "idempotency_in_progress":
            return await again("This withdrawal is being sent. Wait a moment, then reload the page", "_form")
        if error.code == "invalid_amount":
            return await again("Enter an amount more than zero")
        raise
    response = RedirectResponse(f"{seller.base}/finance?currency={currency}", status_code=303)
    return with_toast(response, "payout_sent" if payout["status"] == "paid" else "payout_refused")
