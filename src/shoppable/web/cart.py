"""The cart (lines across shops, totals per shop) and adding to it from a product page; "Buy now" skips the
cart and goes to checkout with that one line."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from shoppable.catalog import service as catalog
from shoppable.catalog import shops
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError
from shoppable.order import cart
from shoppable.web.forms import form_of
from shoppable.web.sources import parse_source, source_text
from shoppable.web.templating import render, with_toast
from shoppable.web.visitor import FormShopper, Shopper

router = APIRouter(include_in_schema=False)


def quantity_of(text: str | None, default: int = 1) -> int:
    try:
        value = int(text or default)
    except ValueError:
        return default
    return min(max(value, 1), 99)


async def _chosen_variant(session: DbSession, form: dict[str, str]) -> str:
    """The variant the product form chose: the one whose options match the posted ones (what a browser without
    JavaScript sends), else the posted variant id."""
    product_id = form.get("product_id", "")
    picks = {key[len("option.") :]: value for key, value in form.items() if key.startswith("option.")}
    if product_id:
        product = await catalog.view_product(session, None, product_id)
        variants = product["variants"]
        if picks and len(picks) == len(product["options"]):
            for variant in variants:
                if all(variant["options"].get(name) == value for name, value in picks.items()):
                    return str(variant["id"])
        if form.get("variant_id") in {v["id"] for v in variants}:
            return form["variant_id"]
        if len(variants) == 1:
            return str(variants[0]["id"])
    raise ShoppableError("variant_not_found", 422, "Choose one of the product's options first.")


@router.post("/cart/items")
async def add_to_cart(request: Request, session: DbSession, visitor: FormShopper) -> Response:
    form = await form_of(request)
    variant_id = await _chosen_variant(session, form)
    source = parse_source(form.get("source"))
    await cart.add_item(
        session, visitor.user_id, variant_id=variant_id, quantity=quantity_of(form.get("quantity")), source=source
    )
    return with_toast(RedirectResponse("/cart", status_code=303), "added_to_cart")


@router.post("/buy-now")
async def buy_now(request: Request, session: DbSession, visitor: FormShopper) -> Response:
    form = await form_of(request)
    variant_id = await _chosen_variant(session, form)
    query = {"buy": variant_id, "quantity": quantity_of(form.get("quantity"))}
    source = source_text(parse_source(form.get("source")))
    if source:
        query["source"] = source
    return RedirectResponse("/checkout?" + urlencode(query), status_code=303)


async def shop_groups(session: DbSession, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines grouped by shop, each group with its subtotal: one order per shop at checkout."""
    by_shop = await shops.shops_by_id(session, sorted({line["shop_id"] for line in lines if "shop_id" in line}))
    groups: dict[str, dict[str, Any]] = {}
    for line in lines:
        shop_id = line.get("shop_id", "")
        shop = by_shop.get(shop_id)
        group = groups.setdefault(
            shop_id,
            {"shop_id": shop_id, "name": shop.name if shop else "Unavailable", "lines": [], "subtotal": 0},
        )
        group["lines"].append(line)
        group["currency"] = line.get("currency", group.get("currency", "USD"))
        if line["available"]:
            group["subtotal"] += line["total"]
    return list(groups.values())


@router.get("/cart")
async def cart_page(request: Request, session: DbSession, visitor: Shopper) -> Response:
    content = await cart.read_cart(session, visitor.user_id)
    groups = await shop_groups(session, content["lines"])
    buyable = any(line["available"] for line in content["lines"])
    return render(request, "cart.html", {"groups": groups, "totals": content["totals"], "buyable": buyable})


@router.post("/cart/lines/{line_id}")
async def change_line(request: Request, line_id: str, session: DbSession, visitor: FormShopper) -> Response:
    form = await form_of(request)
    try:
        wanted = int(form.get("quantity", "1"))
    except ValueError:
        wanted = 1
    await cart.set_quantity(session, visitor.user_id, line_id, min(max(wanted, 0), 99))
    return with_toast(RedirectResponse("/cart", status_code=303), "cart_updated")


@router.post("/cart/lines/{line_id}/remove")
async def remove_line(request: Request, line_id: str, session: DbSession, visitor: FormShopper) -> Response:
    await cart.remove_line(session, visitor.user_id, line_id)
    return with_toast(RedirectResponse("/cart", status_code=303), "line_removed")
