"""REST endpoints of the catalog: shops, API keys, products, inventory and imports."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from shoppable.catalog import imports, service, shops
from shoppable.catalog.schemas import (
    ApiKeyCreate,
    ApiKeyRead,
    ImportFormat,
    ImportRead,
    InventoryChange,
    InventoryMovementPage,
    InventoryMovementRead,
    MemberCreate,
    MemberRead,
    ProductCreate,
    ProductPage,
    ProductRead,
    ProductUpdate,
    ShopCreate,
    ShopRead,
    ShopUpdate,
    VariantRead,
)
from shoppable.config import app_settings
from shoppable.identity import service as identity
from shoppable.identity.deps import CurrentPrincipal, CurrentUser, principal_from_authorization
from shoppable.identity.rules import ShopRole
from shoppable.identity.schemas import ApiKeyPage, ApiKeySummary, InvitationPage, InvitationRead
from shoppable.kit.deps import DbSession, get_database
from shoppable.kit.http import PROBLEM_RESPONSES, json_response
from shoppable.kit.idempotency import IdempotencyKey, fingerprint, run_once
from shoppable.kit.pagination import DEFAULT_LIMIT, Cursor, Limit

router = APIRouter(prefix="/api/v1", tags=["catalog"], responses=PROBLEM_RESPONSES)


def _shop(shop: Any) -> ShopRead:
    return ShopRead(
        id=shop.id,
        slug=shop.slug,
        name=shop.name,
        currency=shop.currency,
        status=shop.status,
        time_zone=shop.time_zone or "UTC",
    )


@router.post("/shops", status_code=201, response_model=ShopRead, summary="Open a shop (user; becomes its owner)")
async def create_shop(body: ShopCreate, session: DbSession, user: CurrentUser) -> ShopRead:
    assert user.user_id is not None
    shop = await shops.open_shop(
        session, owner_id=user.user_id, name=body.name, currency=body.currency, slug=body.slug, time_zone=body.time_zone
    )
    return _shop(shop)


@router.get("/shops/{shop_id}", response_model=ShopRead, summary="A shop (public)")
async def get_shop(shop_id: str, session: DbSession) -> ShopRead:
    return _shop(await shops.get_shop(session, shop_id))


@router.patch(
    "/shops/{shop_id}",
    response_model=ShopRead,
    summary="Change a shop's name or time zone (an IANA name, 422 otherwise); only the fields given (shop owner)",
)
async def update_shop(shop_id: str, body: ShopUpdate, session: DbSession, user: CurrentUser) -> ShopRead:
    shop = await shops.update_shop(session, user, shop_id, name=body.name, time_zone=body.time_zone)
    return _shop(shop)


@router.post(
    "/shops/{shop_id}/api-keys",
    status_code=201,
    response_model=ApiKeyRead,
    summary="Create a shop API key (shop owner); the key is shown once",
)
async def create_api_key(
    shop_id: str, session: DbSession, user: CurrentUser, body: ApiKeyCreate | None = None
) -> ApiKeyRead:
    shop = await shops.require_shop(session, user, shop_id, owner_only=True)
    assert user.user_id is not None
    key, secret = await identity.create_api_key(
        session, shop_id=shop.id, created_by=user.user_id, name=(body.name if body else "") or "API key"
    )
    return ApiKeyRead(id=key.id, key=secret, prefix=key.prefix or "", name=key.name, shop_id=shop.id)


@router.get(
    "/shops/{shop_id}/api-keys",
    response_model=ApiKeyPage,
    summary="The shop's API keys, newest first, revoked ones included; never the keys (shop owner)",
)
async def list_api_keys(
    shop_id: str, session: DbSession, user: CurrentUser, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> ApiKeyPage:
    items, next_cursor = await shops.list_api_keys(session, user, shop_id, limit=limit, cursor=cursor)
    return ApiKeyPage(items=[ApiKeySummary.model_validate(item) for item in items], next_cursor=next_cursor)


@router.delete(
    "/shops/{shop_id}/api-keys/{key_id}",
    status_code=204,
    summary="Revoke a shop API key: it authenticates as nothing from now on; again is a no-op (shop owner)",
)
async def revoke_api_key(shop_id: str, key_id: str, session: DbSession, user: CurrentUser) -> Response:
    await shops.revoke_api_key(session, user, shop_id, key_id)
    return Response(status_code=204)


@router.post(
    "/shops/{shop_id}/members",
    status_code=202,
    response_model=InvitationRead,
    summary="Invite an email to a role in the shop: staff or owner (shop owner)",
    description="Makes a pending invitation; the person who signs in with this email becomes a member only by "
    "accepting it (`POST /api/v1/me/invitations/{id}/accept`). The answer is the same whether or not an account "
    "has the email. Inviting an email with an invitation still unanswered updates that invitation (the new role, "
    "a fresh expiry, the same id).",
)
async def invite_member(
    shop_id: str, body: MemberCreate, request: Request, session: DbSession, user: CurrentUser
) -> InvitationRead:
    ttl = timedelta(days=app_settings(request).invitation_ttl_days)
    invitation = await shops.invite_member(session, user, shop_id, email=body.email, role=ShopRole(body.role), ttl=ttl)
    return InvitationRead.model_validate(invitation)


@router.get(
    "/shops/{shop_id}/members",
    response_model=list[MemberRead],
    summary="Who works for the shop: owners first, then staff, with their role (shop owner)",
)
async def list_members(shop_id: str, session: DbSession, user: CurrentUser) -> list[MemberRead]:
    return [MemberRead.model_validate(m) for m in await shops.list_members(session, user, shop_id)]


@router.delete(
    "/shops/{shop_id}/members/{user_id}",
    status_code=204,
    summary="Take someone off the shop; 409 `cannot_remove_self` for the caller (shop owner)",
)
async def remove_member(shop_id: str, user_id: str, session: DbSession, user: CurrentUser) -> Response:
    await shops.remove_member(session, user, shop_id, user_id)
    return Response(status_code=204)


@router.get(
    "/shops/{shop_id}/invitations",
    response_model=InvitationPage,
    summary="The shop's invitations, newest first, with their status (shop owner)",
)
async def list_invitations(
    shop_id: str, session: DbSession, user: CurrentUser, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> InvitationPage:
    items, next_cursor = await shops.list_invitations(session, user, shop_id, limit=limit, cursor=cursor)
    return InvitationPage(items=[InvitationRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.delete(
    "/shops/{shop_id}/invitations/{invitation_id}",
    status_code=204,
    summary="Revoke a pending invitation; 409 `invitation_not_pending` once answered (shop owner)",
)
async def revoke_invitation(shop_id: str, invitation_id: str, session: DbSession, user: CurrentUser) -> Response:
    await shops.revoke_invitation(session, user, shop_id, invitation_id)
    return Response(status_code=204)


@router.post(
    "/shops/{shop_id}/products",
    status_code=201,
    response_model=ProductRead,
    summary="Create a product (shop)",
)
async def create_product(
    shop_id: str, body: ProductCreate, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return json_response(await service.create_product(session, principal, shop_id, body), 201)


@router.get(
    "/shops/{shop_id}/products",
    response_model=ProductPage,
    summary="All the shop's products, any status (shop)",
)
async def list_shop_products(
    shop_id: str, session: DbSession, principal: CurrentPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Response:
    items, next_cursor = await service.list_shop_products(session, principal, shop_id, limit=limit, cursor=cursor)
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get("/products", response_model=ProductPage, summary="Search active products (public)")
async def search_products(
    session: DbSession,
    q: Annotated[
        str | None, Query(max_length=200, description="Full-text over title, description, tags, vendor")
    ] = None,
    shop_id: Annotated[str | None, Query(max_length=40)] = None,
    category: Annotated[str | None, Query(max_length=255)] = None,
    min_price: Annotated[int | None, Query(ge=0, le=10**15, description="Minor units")] = None,
    max_price: Annotated[int | None, Query(ge=0, le=10**15, description="Minor units")] = None,
    sort: service.Sort | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    items, next_cursor = await service.search_products(
        session,
        q=q,
        shop_id=shop_id,
        category=category,
        min_price=min_price,
        max_price=max_price,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    return json_response({"items": items, "next_cursor": next_cursor})


@router.get("/products/{product_id}", response_model=ProductRead, summary="A product (public: active ones)")
async def get_product(product_id: str, request: Request) -> Response:
    """The hottest read. Without a token it is served from the process's read cache when it can be; the
    database evicts what changes (kit/read_cache.py). Its session is opened only on a miss."""
    database = get_database(request)
    cache = database.read_cache
    authorization = request.headers.get("authorization")
    if cache is not None and authorization is None and (cached := cache.get(product_id)) is not None:
        return Response(cached, media_type="application/json")
    generation = cache.generation if cache is not None else 0
    async with database.session(write=False) as session:
        principal = await principal_from_authorization(session, authorization)
        product = await service.view_product(session, principal, product_id)
    body = orjson.dumps(product, option=orjson.OPT_UTC_Z)
    if cache is not None and product["status"] == "active":
        cache.put(product_id, body, generation)
    return Response(body, media_type="application/json")


@router.patch("/products/{product_id}", response_model=ProductRead, summary="Update a product (shop)")
async def update_product(
    product_id: str, body: ProductUpdate, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return json_response(await service.update_product(session, principal, product_id, body))


@router.delete("/products/{product_id}", response_model=ProductRead, summary="Archive a product (shop)")
async def delete_product(product_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(await service.delete_product(session, principal, product_id))


@router.post("/variants/{variant_id}/inventory", response_model=VariantRead, summary="Set or adjust stock (shop)")
async def change_inventory(
    variant_id: str, body: InventoryChange, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return json_response(await service.change_inventory(session, principal, variant_id, body))


@router.get(
    "/variants/{variant_id}/inventory/movements",
    response_model=InventoryMovementPage,
    summary="The stock audit trail of a variant, newest first (shop)",
)
async def list_inventory_movements(
    variant_id: str,
    session: DbSession,
    principal: CurrentPrincipal,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> InventoryMovementPage:
    rows, next_cursor = await service.inventory_movements(session, principal, variant_id, limit=limit, cursor=cursor)
    items = [InventoryMovementRead.model_validate(r, from_attributes=True) for r in rows]
    return InventoryMovementPage(items=items, next_cursor=next_cursor)


@router.post(
    "/shops/{shop_id}/imports",
    status_code=202,
    response_model=ImportRead,
    summary="Import products from a Shopify CSV/JSON or WooCommerce CSV file (shop)",
)
async def create_import(
    shop_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="The export file")],
    idempotency_key: IdempotencyKey = None,
    format: Annotated[ImportFormat | None, Form(description="Sniffed from the file when absent")] = None,  # noqa: A002
) -> Response:
    shop = await shops.require_shop(session, principal, shop_id)
    stored = await imports.store_upload(file)

    async def start() -> tuple[int, Any]:
        job = await imports.queue_import(
            session, shop_id=shop.id, upload=stored, requested_format=format, actor=principal.key
        )
        return 202, imports.read_model(job)

    status_code, body = await run_once(
        session,
        principal=principal.key,
        key=idempotency_key,
        request_fingerprint=fingerprint("import", shop.id, format or "", stored.sha256),
        action=start,
    )
    if status_code == 202 and body["status"] == "queued":
        imports.schedule_after_commit(session, request.app.state.import_runner, body["id"])
    return json_response(body, status_code)


@router.get(
    "/imports/{import_id}",
    response_model=ImportRead,
    summary="An import's status and report (shop)",
    description="Poll until `status` is `succeeded` or `failed`. The report counts the products `created` and "
    "`updated`, lists every `skipped` row with its reason, and `warnings` for products imported whole whose SKU "
    "another product of the shop shares (SKUs are distinct only within a product, as Shopify has them).",
)
async def get_import(import_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    return json_response(imports.read_model(await imports.get_import_for(session, principal, import_id)))
