"""The Seller Center's front door: the shops the signed-in person works for, and opening a new one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from shoppable.catalog import shops
from shoppable.identity import service as identity
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError
from shoppable.kit.money import check_currency
from shoppable.web.forms import FieldErrors, form_of
from shoppable.web.templating import render, with_toast
from shoppable.web.visitor import FormShopper, Shopper, Visitor

router = APIRouter(include_in_schema=False)

CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CNY", "SGD", "INR", "BRL", "MXN", "IDR")


async def _page(
    request: Request, session: DbSession, visitor: Visitor, form: dict[str, str], errors: FieldErrors
) -> Response:
    memberships = await identity.memberships_of(session, visitor.user_id)
    by_id = await shops.shops_by_id(session, [shop_id for shop_id, _ in memberships])
    my_shops = [
        {
            "slug": by_id[shop_id].slug,
            "name": by_id[shop_id].name,
            "currency": by_id[shop_id].currency,
            "role": role.value,
        }
        for shop_id, role in memberships
        if shop_id in by_id
    ]
    context = {"my_shops": my_shops, "form": form, "errors": errors, "currencies": CURRENCIES}
    return render(request, "seller/home.html", context, status_code=422 if errors else 200)


@router.get("/seller")
async def seller_home(request: Request, session: DbSession, visitor: Shopper) -> Response:
    return await _page(request, session, visitor, {"currency": "USD"}, {})


@router.post("/seller/shops")
async def create_shop(request: Request, session: DbSession, visitor: FormShopper) -> Response:
    form = await form_of(request)
    name, currency = form.get("name", "").strip(), form.get("currency", "").strip().upper()
    errors: FieldErrors = {}
    if not name:
        errors["name"] = "Enter the shop's name"
    elif len(name) > 200:
        errors["name"] = "The name must be 200 characters or fewer"
    try:
        check_currency(currency)
    except ShoppableError:
        errors["currency"] = "Pick the currency the shop sells in"
    if errors:
        return await _page(request, session, visitor, form, errors)
    shop = await shops.open_shop(session, owner_id=visitor.user_id, name=name, currency=currency, slug=None)
    return with_toast(RedirectResponse(f"/seller/{shop.slug}", status_code=303), "shop_created")
