"""Checkout in the browser: the cart, or one line from "Buy now"; a saved or new shipping address and card; one
idempotent "Place order" (the form carries its key, so a double click or a resubmitted form orders once)."""

from __future__ import annotations

import re
import uuid
from functools import lru_cache
from typing import Annotated, Any

from babel import Locale
from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from shoppable.affiliate import tokens
from shoppable.catalog import stock
from shoppable.config import app_settings
from shoppable.identity import addresses
from shoppable.identity.rules import Principal
from shoppable.kit.clock import utcnow
from shoppable.kit.deps import DbSession, get_database
from shoppable.kit.errors import ShoppableError
from shoppable.kit.idempotency import fingerprint
from shoppable.order import cart, checkout, lifecycle
from shoppable.order.rules import Item
from shoppable.order.schemas import ShippingAddress
from shoppable.payment import cards
from shoppable.web.cart import quantity_of, shop_groups
from shoppable.web.forms import FieldErrors, form_of
from shoppable.web.sources import parse_source, source_text
from shoppable.web.templating import render
from shoppable.web.visitor import FormShopperOwnTransactions, Shopper, Visitor

router = APIRouter(include_in_schema=False)

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "country", "phone")
_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


@lru_cache(maxsize=1)
def countries() -> tuple[tuple[str, str], ...]:
    """ISO 3166 alpha-2 codes with their English names, by name: built once (every address form shows them)."""
    names = Locale("en").territories
    return tuple(
        sorted(
            ((code, str(name)) for code, name in names.items() if len(code) == 2 and code.isalpha()),
            key=lambda c: c[1],
        )
    )


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    return dict(countries())


def country_name(code: str) -> str:
    return _country_names().get(code, "")


async def _summary(session: AsyncSession, user_id: str, buy: dict[str, Any] | None) -> list[dict[str, Any]]:
    """What will be bought, grouped by shop: the one buy-now line, or the cart's lines that can be bought."""
    if buy is None:
        lines = [line for line in (await cart.read_cart(session, user_id))["lines"] if line["available"]]
        return await shop_groups(session, lines)
    variant = (await stock.variants_for_sale(session, [buy["variant_id"]])).get(buy["variant_id"])
    if variant is None or not variant.is_buyable:
        return []
    line = {
        "id": "buy-now",
        "product_id": variant.product_id,
        "shop_id": variant.shop_id,
        "title": variant.product_title,
        "variant_title": variant.variant_title,
        "image_url": variant.image_url,
        "quantity": buy["quantity"],
        "unit_price": variant.price,
        "total": variant.price * buy["quantity"],
        "currency": variant.currency,
        "in_stock": variant.in_stock,
        "available": variant.in_stock >= buy["quantity"],
    }
    return await shop_groups(session, [line])


def _buy(variant_id: str | None, quantity: str | None, source: str | None) -> dict[str, Any] | None:
    if not variant_id:
        return None
    return {
        "variant_id": variant_id[:40],
        "quantity": quantity_of(quantity),
        "source": source_text(parse_source(source)),
    }


async def _page(
    request: Request,
    session: AsyncSession,
    visitor: Visitor,
    buy: dict[str, Any] | None,
    *,
    form: dict[str, str] | None = None,
    errors: FieldErrors | None = None,
) -> Response:
    groups = await _summary(session, visitor.user_id, buy)
    saved_addresses = await addresses.list_addresses(session, visitor.user_id)
    saved_cards = await cards.list_cards(session, visitor.user_id)
    totals: dict[str, int] = {}
    for group in groups:
        totals[group["currency"]] = totals.get(group["currency"], 0) + group["subtotal"]
    form = form or {}
    context = {
        "groups": groups,
        "totals": sorted(totals.items()),
        "buy": buy,
        "addresses": saved_addresses,
        "cards": saved_cards,
        "countries": countries(),
        "form": form,
        "chosen_address": form.get("address_id") or (saved_addresses[0]["id"] if saved_addresses else "new"),
        "chosen_card": form.get("card_id") or (saved_cards[0]["id"] if saved_cards else "new"),
        "errors": errors or {},
        "idempotency_key": uuid.uuid4().hex,  # a new attempt after a refusal is a new purchase
    }
    return render(request, "checkout.html", context)


@router.get("/checkout")
async def checkout_page(
    request: Request,
    session: DbSession,
    visitor: Shopper,
    buy: Annotated[str | None, Query(max_length=40)] = None,
    quantity: Annotated[str | None, Query(max_length=4)] = None,
    source: Annotated[str | None, Query(max_length=80)] = None,
) -> Response:
    return await _page(request, session, visitor, _buy(buy, quantity, source))


def new_address(form: dict[str, str], errors: FieldErrors) -> dict[str, Any] | None:
    fields = {name: form.get(name, "").strip() or None for name in ADDRESS_FIELDS}
    try:
        return ShippingAddress.model_validate(fields).model_dump(exclude_none=True)
    except ValidationError as invalid:
        messages = {
            "name": "Enter the full name of who receives the parcel",
            "line1": "Enter the first line of the address",
            "city": "Enter the town or city",
            "postal_code": "Enter the postal code",
            "country": "Choose the country",
        }
        for problem in invalid.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "_form"
            errors.setdefault(name, messages.get(name, str(problem["msg"])))
        return None


def _expiry(text: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", text)
    if not match:
        return None
    year = int(match.group(2))
    return int(match.group(1)), year + 2000 if year < 100 else year


def new_card(form: dict[str, str], errors: FieldErrors) -> cards.CardDetails | None:
    expiry = _expiry(form.get("expiry", ""))
    if not form.get("card_number", "").strip():
        errors["card_number"] = "Enter the card number"
    if expiry is None:
        errors["expiry"] = "Enter the expiry date as MM/YY, like 12/30"
    if not re.fullmatch(r"\d{3,4}", form.get("cvc", "").strip()):
        errors["cvc"] = "Enter the 3 or 4 digit security code"
    if expiry is None or "card_number" in errors:
        return None
    try:
        return cards.card_from_number(form["card_number"], expiry[0], expiry[1], today=utcnow().date())
    except ShoppableError as refusal:
        field = str((refusal.errors or [{}])[0].get("loc", ["", "number"])[-1])
        errors["card_number" if field == "number" else "expiry"] = refusal.detail
        return None


@router.post("/checkout")
async def place_order(request: Request, visitor: FormShopperOwnTransactions) -> Response:
    form = await form_of(request)
    database = get_database(request)
    settings = app_settings(request)
    buy = _buy(form.get("buy"), form.get("quantity"), form.get("source"))
    errors: FieldErrors = {}
    address: dict[str, Any] | None = None
    card: cards.CardDetails | None = None
    token = ""
    async with database.session(write=False) as session:
        if form.get("address_id", "new") == "new":
            address = new_address(form, errors)
        else:
            try:
                saved = await addresses.get_address(session, visitor.user_id, form["address_id"])
            except ShoppableError:
                errors["address_id"] = "Choose one of your addresses, or add a new one"
            else:
                address = {k: v for k, v in saved.items() if k != "id" and v is not None}
        if form.get("card_id", "new") == "new":
            card = new_card(form, errors)
            token = card.token if card else ""
        else:
            try:
                token = (await cards.get_card(session, visitor.user_id, form["card_id"]))["token"]
            except ShoppableError:
                errors["card_id"] = "Choose one of your cards, or add a new one"
        key = form.get("idempotency_key", "")
        if not _KEY.fullmatch(key):
            errors["_form"] = "This form is out of date: check the details and place the order again."
        if errors or address is None:
            return await _page(request, session, visitor, buy, form=form, errors=errors)
    items = None
    if buy is not None:
        items = [Item(buy["variant_id"], buy["quantity"], parse_source(buy["source"]))]
    purchase = checkout.Purchase(
        buyer=Principal(user_id=visitor.user_id),
        items=items,
        shipping_address=address,
        payment_token=token,
        idempotency_key="page:" + key,
        request_fingerprint=fingerprint("page_checkout", buy, address, token),
        clicks=checkout.attribution_clicks(request.cookies.get(tokens.COOKIE), settings),
        live_sales=request.app.state.live_sales,
    )
    try:
        status, result = await checkout.place_orders(database, request.app.state.payment_provider, settings, purchase)
    except ShoppableError as refusal:
        status, result = refusal.status, {"code": refusal.code, "detail": refusal.detail}
    if status >= 400:
        if result.get("code") in ("payment_declined", "invalid_payment_token", "payment_provider_error"):
            errors["card_number" if form.get("card_id", "new") == "new" else "card_id"] = (
                "Your card was declined. Nothing was charged and nothing was ordered: try another card."
                if result.get("code") == "payment_declined"
                else str(result.get("detail"))
            )
        else:
            errors["_form"] = str(result.get("detail"))
        async with database.session(write=False) as session:
            return await _page(request, session, visitor, buy, form=form, errors=errors)
    async with database.session() as session:
        await _remember(session, visitor.user_id, form, address, card)
    ids = ",".join(order["id"] for order in result["orders"])
    return RedirectResponse(f"/checkout/done?orders={ids}", status_code=303)


async def _remember(
    session: AsyncSession,
    user_id: str,
    form: dict[str, str],
    address: dict[str, Any],
    card: cards.CardDetails | None,
) -> None:
    """Keep the new address and card for next time when the shopper asked to (a full address book is no
    reason to fail an order that is already paid)."""
    try:
        if form.get("address_id", "new") == "new" and form.get("save_address"):
            await addresses.save_address(session, user_id, address)
        if card is not None and form.get("save_card"):
            await cards.save_card(session, user_id, form["card_number"], card.exp_month, card.exp_year)
    except ShoppableError:
        pass


@router.get("/checkout/done")
async def placed(
    request: Request, session: DbSession, visitor: Shopper, orders: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    buyer = Principal(user_id=visitor.user_id)
    found = [await lifecycle.get_order(session, buyer, order_id) for order_id in orders.split(",")[:20] if order_id]
    return render(request, "checkout_done.html", {"orders": found, "now": utcnow()})
