"""Seller Center: products. The list (search, status filter, stock), a product's form (details, images uploaded
through media, up to three options, its variants with SKU, price, compare-at price, weight and stock), archive,
and a variant's stock with its audit trail. The form is read into the API's ProductCreate / ProductUpdate shapes
and saved by the same catalog services; their field errors are shown beside the form's fields."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as FormFile
from starlette.responses import RedirectResponse, Response

from shoppable.catalog import service as catalog
from shoppable.catalog.schemas import InventoryChange, ProductCreate, ProductUpdate
from shoppable.config import app_settings
from shoppable.content import media
from shoppable.identity import service as identity
from shoppable.kit.deps import DbSession
from shoppable.kit.errors import ShoppableError, not_found
from shoppable.kit.idempotency import fingerprint, run_once
from shoppable.kit.money import Money, to_minor_units
from shoppable.web.forms import FieldErrors
from shoppable.web.paging import page_or_first
from shoppable.web.seller.access import Seller, SellerForm, SellerPage
from shoppable.web.seller.uploads import close_form_at_end
from shoppable.web.templating import render, with_toast

router = APIRouter(include_in_schema=False, dependencies=[Depends(close_form_at_end)])

PAGE_SIZE = 25
HISTORY_SIZE = 50
MAX_OPTIONS = 3
MAX_VARIANTS = 250
NEW_ROWS_ON_CREATE = 3
NEW_ROWS_ON_EDIT = 2
STATUS_FILTERS = (("", "All"), ("active", "Active"), ("draft", "Draft"), ("archived", "Archived"))
STATUS_LABELS = {"active": "Active", "draft": "Draft", "archived": "Archived"}
STATUS_CLASSES = {"active": "status--ok", "draft": "status--warn", "archived": "status--bad"}
PRODUCT_FIELDS = {"title", "handle", "description_html", "vendor", "category", "tags", "status"}


# --- the form ---------------------------------------------------------------------------------------------------


@dataclass
class VariantRow:
    """One variant row of the form as typed (text, so a 422 shows exactly what was sent)."""

    index: int
    id: str = ""
    options: list[str] = field(default_factory=lambda: [""] * MAX_OPTIONS)
    sku: str = ""
    price: str = ""
    compare_at: str = ""
    weight: str = ""
    stock: str = ""
    stock_now: int | None = None  # an existing variant's stock, changed on its own page
    title: str = ""
    remove: bool = False

    @property
    def is_blank(self) -> bool:
        return not (
            self.id or self.sku or self.price or self.compare_at or self.weight or self.stock or any(self.options)
        )


@dataclass
class ProductForm:
    values: dict[str, str]
    option_names: list[str]
    variants: list[VariantRow]
    images: list[dict[str, str]]  # {url, alt}; kept between a refused post and the next


def _decimal_text(amount: int | None, currency: str) -> str:
    """An amount as the form shows it: 1800 USD is "18.00"."""
    return "" if amount is None else str(Money(amount, currency).to_decimal())


def form_of_product(product: dict[str, Any] | None, currency: str) -> ProductForm:
    """The form filled from a saved product (or empty for a new one), with blank rows to add variants."""
    if product is None:
        rows = [VariantRow(index=i) for i in range(NEW_ROWS_ON_CREATE)]
        return ProductForm({"status": "active"}, [""] * MAX_OPTIONS, rows, [])
    names = [o["name"] for o in product["options"]][:MAX_OPTIONS]
    names += [""] * (MAX_OPTIONS - len(names))
    rows = []
    for i, variant in enumerate(product["variants"]):
        rows.append(
            VariantRow(
                index=i,
                id=variant["id"],
                options=[variant["options"].get(name, "") if name else "" for name in names],
                sku=variant["sku"] or "",
                price=_decimal_text(variant["price"], currency),
                compare_at=_decimal_text(variant["compare_at_price"], currency),
                weight="" if variant["weight_grams"] is None else str(variant["weight_grams"]),
                stock_now=variant["inventory_quantity"],
                title=variant["title"],
            )
        )
    rows += [VariantRow(index=len(rows) + i) for i in range(NEW_ROWS_ON_EDIT)]
    values = {
        "title": product["title"],
        "handle": product["handle"],
        "description_html": product["description_html"],
        "vendor": product["vendor"] or "",
        "category": product["category"] or "",
        "tags": ", ".join(product["tags"]),
        "status": product["status"],
    }
    images = [{"url": i["url"], "alt": i.get("alt", "")} for i in product["images"]]
    return ProductForm(values, names, rows, images)


def _text(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def read_form(form: FormData, current: dict[str, Any] | None) -> ProductForm:
    """The posted form as typed. Existing variants' stock comes from the saved product, never from the form."""
    values = {name: _text(form, name, 65_536 if name == "description_html" else 2000) for name in PRODUCT_FIELDS}
    names = [_text(form, f"option_{k + 1}", 255) for k in range(MAX_OPTIONS)]
    saved = {v["id"]: v for v in (current or {}).get("variants", [])}
    rows = []
    for i in range(MAX_VARIANTS + NEW_ROWS_ON_EDIT):
        if f"v{i}_price" not in form and f"v{i}_id" not in form:
            continue
        row = VariantRow(
            index=i,
            id=_text(form, f"v{i}_id", 40),
            options=[_text(form, f"v{i}_opt{k + 1}", 255) for k in range(MAX_OPTIONS)],
            sku=_text(form, f"v{i}_sku", 255),
            price=_text(form, f"v{i}_price", 40),
            compare_at=_text(form, f"v{i}_compare_at", 40),
            weight=_text(form, f"v{i}_weight", 20),
            stock=_text(form, f"v{i}_stock", 20),
            remove=bool(form.get(f"v{i}_remove")),
        )
        if row.id in saved:
            row.stock_now = saved[row.id]["inventory_quantity"]
            row.title = saved[row.id]["title"]
        rows.append(row)
    images = []
    for i in range(250):
        url = _text(form, f"image_{i}_url", 2048)
        if not url:
            continue
        if not form.get(f"image_{i}_remove"):
            images.append({"url": url, "alt": _text(form, f"image_{i}_alt", 512)})
    return ProductForm(values, names, rows, images)


def _amount(text: str, currency: str, name: str, errors: FieldErrors, *, required: bool) -> int | None:
    if not text:
        if required:
            errors[name] = "Enter a price, like 18.00"
        return None
    try:
        amount = to_minor_units(text, currency)
    except (ValueError, ShoppableError):
        errors[name] = f"Enter an amount in {currency}, like 18.00"
        return None
    if amount < 0:
        errors[name] = "Enter an amount of zero or more"
        return None
    return amount


def _whole(text: str, name: str, errors: FieldErrors, what: str) -> int | None:
    if not text:
        return None
    try:
        number = int(text.replace(",", ""))
    except ValueError:
        errors[name] = f"Enter the {what} as a whole number"
        return None
    if number < 0:
        errors[name] = f"Enter a {what} of zero or more"
        return None
    return number


def body_of(form: ProductForm, currency: str, *, is_new: bool) -> tuple[dict[str, Any], list[int], FieldErrors]:
    """The API body the form stands for, the form row of each variant in it, and the problems found on the way."""
    errors: FieldErrors = {}
    names = [n for n in form.option_names if n]
    positions = [k for k, n in enumerate(form.option_names) if n]
    variants: list[dict[str, Any]] = []
    rows: list[int] = []
    for row in form.variants:
        if row.is_blank or row.remove:
            continue
        prefix = f"v{row.index}_"
        variant: dict[str, Any] = {"options": {}}
        if row.id:
            variant["id"] = row.id
        for name, k in zip(names, positions, strict=True):
            value = row.options[k]
            if not value:
                errors[f"{prefix}opt{k + 1}"] = f"Enter the {name}"
            variant["options"][name] = value
        extra = [k for k in range(MAX_OPTIONS) if row.options[k] and not form.option_names[k]]
        for k in extra:
            errors[f"{prefix}opt{k + 1}"] = f"Name option {k + 1} above, or leave this empty"
        variant["sku"] = row.sku or None
        variant["price"] = _amount(row.price, currency, f"{prefix}price", errors, required=True)
        variant["compare_at_price"] = _amount(row.compare_at, currency, f"{prefix}compare_at", errors, required=False)
        variant["weight_grams"] = _whole(row.weight, f"{prefix}weight", errors, "weight in grams")
        if not row.id:
            variant["inventory_quantity"] = _whole(row.stock, f"{prefix}stock", errors, "stock") or 0
        variants.append(variant)
        rows.append(row.index)
    if not variants:
        errors.setdefault("v0_price", "Enter at least one variant's price")
    values = form.values
    body: dict[str, Any] = {
        "title": values["title"],
        "description_html": values["description_html"],
        "vendor": values["vendor"] or None,
        "category": values["category"] or None,
        "tags": [t.strip() for t in values["tags"].split(",") if t.strip()],
        "status": values["status"] if values["status"] in STATUS_LABELS else "active",
        "images": form.images,
        "options": [{"name": n} for n in names],
        "variants": variants,
    }
    if not values["title"]:
        errors["title"] = "Enter the product's title"
    if values["handle"]:
        body["handle"] = values["handle"]
    elif not is_new:
        errors["handle"] = "Enter the handle: the end of the product's address"
    return body, rows, errors


def errors_of(locs: list[tuple[list[Any], str]], form: ProductForm, rows: list[int]) -> FieldErrors:
    """Map the schema's or service's error locations (``variants.1.price``) to the form's fields."""
    found: FieldErrors = {}
    names = form.option_names
    for loc, message in locs:
        parts = [p for p in loc if p != "body"]
        # The service counts variants from 0 in the body; the form numbers its rows from 1.
        message = re.sub(
            r"variant (\d+)",
            lambda m: f"variant {rows[int(m.group(1))] + 1 if int(m.group(1)) < len(rows) else int(m.group(1)) + 1}",
            message,
        )
        message = message[:1].upper() + message[1:]
        if not parts:
            found.setdefault("_form", message)
        elif parts[0] == "variants" and len(parts) > 1 and isinstance(parts[1], int) and parts[1] < len(rows):
            prefix = f"v{rows[parts[1]]}_"
            what = str(parts[2]) if len(parts) > 2 else "price"
            if what == "options":
                option = str(parts[3]) if len(parts) > 3 else ""
                k = (
                    names.index(option)
                    if option and option in names
                    else next((i for i, n in enumerate(names) if n), 0)
                )
                found.setdefault(f"{prefix}opt{k + 1}", message)
            else:
                key = {"compare_at_price": "compare_at", "weight_grams": "weight", "inventory_quantity": "stock"}
                found.setdefault(prefix + key.get(what, what if what in ("sku", "price") else "price"), message)
        elif parts[0] == "variants":  # about the variants together: several need options to tell them apart
            found.setdefault("option_1" if "option" in message else "v0_price", message)
        elif parts[0] == "options":
            k = parts[1] if len(parts) > 1 and isinstance(parts[1], int) else 0
            found.setdefault(f"option_{k + 1}", message)
        elif parts[0] == "images":
            found.setdefault("image_file", message)
        elif parts[0] in PRODUCT_FIELDS:
            found.setdefault(str(parts[0]), message)
        else:
            found.setdefault("_form", message)
    return found


def _service_errors(error: ShoppableError, form: ProductForm, rows: list[int]) -> FieldErrors:
    if error.code == "handle_taken":
        return {"handle": "Another product of this shop has this handle; choose another"}
    if error.errors:
        return errors_of([(list(e.get("loc") or []), str(e.get("msg", ""))) for e in error.errors], form, rows)
    return {"_form": error.detail}


async def _upload_image(
    request: Request, session: AsyncSession, seller: Seller, form: FormData, product: ProductForm
) -> FieldErrors:
    """Store a chosen image through media and add it to the form's images (kept even if the rest is refused)."""
    upload = form.get("image_file")
    if not isinstance(upload, FormFile) or not upload.filename:
        return {}
    settings = app_settings(request)
    try:
        async with session.begin_nested():
            stored = await media.store_upload(
                session,
                request.app.state.media_storage,
                owner_id=seller.visitor.user_id,
                upload=cast(UploadFile, upload),
                limit=settings.media_max_bytes,
                scratch=settings.var_dir / "tmp",
            )
            if stored["kind"] != "image":
                raise ShoppableError("not_an_image", 415, "")
    except ShoppableError as error:
        if error.code in ("unsupported_media_type", "not_an_image"):
            return {"image_file": "Choose a JPEG, PNG, GIF or WebP image"}
        return {"image_file": error.detail}
    product.images.append({"url": stored["url"], "alt": _text(form, "image_alt", 512)})
    return {}


async def _save(
    request: Request,
    session: AsyncSession,
    seller: Seller,
    form: FormData,
    current: dict[str, Any] | None,
) -> tuple[ProductForm, FieldErrors, str | None]:
    """Read, check and save the form: (the form as typed, errors, the saved product's id)."""
    product = read_form(form, current)
    errors = await _upload_image(request, session, seller, form, product)
    body, rows, found = body_of(product, seller.shop.currency, is_new=current is None)
    errors |= found
    if errors:
        return product, errors, None
    try:
        if current is None:
            create = ProductCreate.model_validate(body)
        else:
            update = ProductUpdate.model_validate(body)
    except ValidationError as invalid:
        locs = [(list(e["loc"]), str(e["msg"])) for e in invalid.errors(include_url=False)]
        return product, errors_of(locs, product, rows), None
    try:
        async with session.begin_nested():
            if current is None:
                key = _text(form, "idempotency_key", 255) or None

                async def create_it() -> tuple[int, Any]:
                    saved = await catalog.create_product(session, seller.principal, seller.shop.id, create)
                    return 201, {"id": saved["id"]}

                _, answer = await run_once(
                    session,
                    principal=seller.principal.key,
                    key=key,
                    request_fingerprint=fingerprint("page-product", seller.shop.id),
                    action=create_it,
                )
                return product, {}, str(answer["id"])
            saved = await catalog.update_product(session, seller.principal, current["id"], update)
            return product, {}, str(saved["id"])
    except ShoppableError as error:
        if error.status >= 500:
            raise
        return product, _service_errors(error, product, rows), None


# --- pages ------------------------------------------------------------------------------------------------------


async def _shop_product(session: AsyncSession, seller: Seller, product_id: str) -> dict[str, Any]:
    """The product, if it is this shop's: the 404 page otherwise (even for a member of the other shop)."""
    try:
        product = await catalog.read_product(session, product_id)
    except ShoppableError:
        raise not_found("Product") from None
    if product["shop_id"] != seller.shop.id:
        raise not_found("Product")
    return product


def _summary(product: dict[str, Any]) -> dict[str, Any]:
    variants = product["variants"]
    prices = sorted(v["price"] for v in variants)
    currency = variants[0]["currency"] if variants else "USD"
    return product | {
        "stock": sum(v["inventory_quantity"] for v in variants),
        "variant_count": len(variants),
        "price_low": Money(prices[0], currency) if prices else None,
        "price_high": Money(prices[-1], currency) if prices else None,
        "image": product["images"][0]["url"] if product["images"] else None,
        "status_label": STATUS_LABELS.get(product["status"], product["status"]),
        "status_class": STATUS_CLASSES.get(product["status"], ""),
    }


@router.get("/seller/{shop_slug}/products")
async def products_page(
    request: Request,
    session: DbSession,
    seller: SellerPage,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    status = status if status in STATUS_LABELS else ""
    statuses = (status,) if status else catalog.ALL_STATUSES
    query = q.strip()

    async def page(after: str | None) -> tuple[list[dict[str, Any]], str | None]:
        return await catalog.list_shop_products(
            session, seller.principal, seller.shop.id, limit=PAGE_SIZE, cursor=after, q=query or None, statuses=statuses
        )

    products, next_cursor, cursor = await page_or_first(page, cursor)
    context = {
        "section": "products",
        "products": [_summary(p) for p in products],
        "next_cursor": next_cursor,
        "is_first_page": cursor is None,
        "q": "",  # the site header's search box stays empty: this page has its own
        "query": query,
        "status": status,
        "filters": STATUS_FILTERS,
    }
    return render(request, "seller/products/list.html", context)


def _form_context(
    seller: Seller, form: ProductForm, errors: FieldErrors, product: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "section": "products",
        "form": form,
        "errors": errors,
        "product": product,
        "currency": seller.shop.currency,
        "statuses": list(STATUS_LABELS.items()),
        "idempotency_key": secrets.token_urlsafe(18),
        "status_label": STATUS_LABELS.get(product["status"], "") if product else "",
    }


@router.get("/seller/{shop_slug}/products/new")
async def new_product_page(request: Request, seller: SellerPage) -> Response:
    form = form_of_product(None, seller.shop.currency)
    return render(request, "seller/products/form.html", _form_context(seller, form, {}, None))


@router.post("/seller/{shop_slug}/products")
async def create_product(request: Request, session: DbSession, seller: SellerForm) -> Response:
    form, errors, product_id = await _save(request, session, seller, await request.form(), None)
    if errors or product_id is None:
        while sum(1 for row in form.variants if row.is_blank) < 1:  # room to add one more
            form.variants.append(VariantRow(index=max((r.index for r in form.variants), default=-1) + 1))
        return render(request, "seller/products/form.html", _form_context(seller, form, errors, None), status_code=422)
    response = RedirectResponse(f"{seller.base}/products/{product_id}", status_code=303)
    return with_toast(response, "product_created")


@router.get("/seller/{shop_slug}/products/{product_id}")
async def product_page(request: Request, session: DbSession, seller: SellerPage, product_id: str) -> Response:
    product = await _shop_product(session, seller, product_id)
    form = form_of_product(product, seller.shop.currency)
    return render(request, "seller/products/form.html", _form_context(seller, form, {}, product))


@router.post("/seller/{shop_slug}/products/{product_id}")
async def save_product(request: Request, session: DbSession, seller: SellerForm, product_id: str) -> Response:
    current = await _shop_product(session, seller, product_id)
    form, errors, saved = await _save(request, session, seller, await request.form(), current)
    if errors or saved is None:
        context = _form_context(seller, form, errors, current)
        return render(request, "seller/products/form.html", context, status_code=422)
    return with_toast(RedirectResponse(f"{seller.base}/products/{product_id}", status_code=303), "product_saved")


@router.post("/seller/{shop_slug}/products/{product_id}/archive")
async def archive_product(request: Request, session: DbSession, seller: SellerForm, product_id: str) -> Response:
    product = await _shop_product(session, seller, product_id)
    await catalog.delete_product(session, seller.principal, product["id"])
    return with_toast(RedirectResponse(f"{seller.base}/products/{product_id}", status_code=303), "product_archived")


# --- a variant's stock ------------------------------------------------------------------------------------------


def _variant_of(product: dict[str, Any], variant_id: str) -> dict[str, Any]:
    variant = next((v for v in product["variants"] if v["id"] == variant_id), None)
    if variant is None:
        raise not_found("Variant")
    return dict(variant)


async def _variant_context(
    session: AsyncSession,
    seller: Seller,
    product: dict[str, Any],
    variant: dict[str, Any],
    cursor: str | None,
    errors: FieldErrors,
    values: dict[str, str],
) -> dict[str, Any]:
    movements, next_cursor, cursor = await page_or_first(
        lambda at: catalog.inventory_movements(session, seller.principal, variant["id"], limit=HISTORY_SIZE, cursor=at),
        cursor,
    )
    names = {f"user:{m['user_id']}": m["name"] for m in await identity.shop_members(session, seller.shop.id)}
    names[seller.principal.key] = "You"
    history = [
        {
            "at": m.created_at,
            "delta": m.delta,
            "after": m.quantity_after,
            "reason": m.reason,
            "by": names.get(m.actor)
            or ("An API key" if m.actor.startswith("key:") else "Command line" if m.actor == "cli" else "Shoppable"),
        }
        for m in movements
    ]
    return {
        "section": "products",
        "product": product,
        "variant": variant,
        "history": history,
        "next_cursor": next_cursor,
        "errors": errors,
        "values": values,
        "adjust_key": secrets.token_urlsafe(18),
        "set_key": secrets.token_urlsafe(18),
    }


@router.get("/seller/{shop_slug}/products/{product_id}/variants/{variant_id}")
async def variant_page(
    request: Request,
    session: DbSession,
    seller: SellerPage,
    product_id: str,
    variant_id: str,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    product = await _shop_product(session, seller, product_id)
    variant = _variant_of(product, variant_id)
    context = await _variant_context(session, seller, product, variant, cursor, {}, {})
    return render(request, "seller/products/variant.html", context)


@router.post("/seller/{shop_slug}/products/{product_id}/variants/{variant_id}/stock")
async def change_stock(
    request: Request, session: DbSession, seller: SellerForm, product_id: str, variant_id: str
) -> Response:
    product = await _shop_product(session, seller, product_id)
    variant = _variant_of(product, variant_id)
    form = await request.form()
    mode = "set" if _text(form, "mode") == "set" else "adjust"
    amount_field = "quantity" if mode == "set" else "adjust"
    values = {amount_field: _text(form, amount_field, 20), "reason": _text(form, "reason", 255)}
    errors: FieldErrors = {}
    number: int | None = None
    try:
        number = int(values[amount_field].replace(",", "").replace("+", ""))
    except ValueError:
        errors[amount_field] = (
            "Enter the new stock as a whole number"
            if mode == "set"
            else "Enter how many units to add (or −2 to take away)"
        )
    if number is not None and mode == "set" and number < 0:
        errors[amount_field] = "Enter a stock of zero or more"
    if number == 0 and mode == "adjust":
        errors[amount_field] = "Enter a number of units other than zero"
    if not errors and number is not None:
        change = InventoryChange(
            set=number if mode == "set" else None,
            adjust=number if mode == "adjust" else None,
            reason=values["reason"] or None,
        )
        key = _text(form, "idempotency_key", 255) or None

        async def apply() -> tuple[int, Any]:
            return 200, await catalog.change_inventory(session, seller.principal, variant_id, change)

        try:
            async with session.begin_nested():
                await run_once(
                    session,
                    principal=seller.principal.key,
                    key=key,
                    request_fingerprint=fingerprint("page-stock", variant_id, mode, number),
                    action=apply,
                )
        except ShoppableError as error:
            if error.code == "insufficient_stock":
                errors[amount_field] = f"Only {variant['inventory_quantity']} in stock: stock cannot go below zero"
            elif error.status < 500 and error.code != "validation_error":
                errors[amount_field] = error.detail
            else:
                raise
    if errors:
        context = await _variant_context(session, seller, product, variant, None, errors, values | {"mode": mode})
        return render(request, "seller/products/variant.html", context, status_code=422)
    target = f"{seller.base}/products/{product_id}/variants/{variant_id}"
    return with_toast(RedirectResponse(target, status_code=303), "stock_changed")
