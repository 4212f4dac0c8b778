"""Every endpoint that needs a caller refuses without one, and a shop API key cannot act as a user."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import Account, create_product, create_shop, register

PROTECTED = [
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/me/addresses"),
    ("POST", "/api/v1/me/addresses"),
    ("DELETE", "/api/v1/me/addresses/adr_any"),
    ("GET", "/api/v1/me/cards"),
    ("POST", "/api/v1/me/cards"),
    ("DELETE", "/api/v1/me/cards/card_any"),
    ("GET", "/api/v1/me/invitations"),
    ("POST", "/api/v1/me/invitations/inv_any/accept"),
    ("POST", "/api/v1/me/invitations/inv_any/decline"),
    ("DELETE", "/api/v1/auth/token"),
    ("POST", "/api/v1/shops"),
    ("POST", "/api/v1/shops/{shop}/api-keys"),
    ("GET", "/api/v1/shops/{shop}/api-keys"),
    ("DELETE", "/api/v1/shops/{shop}/api-keys/key_any"),
    ("POST", "/api/v1/shops/{shop}/members"),
    ("GET", "/api/v1/shops/{shop}/invitations"),
    ("DELETE", "/api/v1/shops/{shop}/invitations/inv_any"),
    ("PATCH", "/api/v1/shops/{shop}"),
    ("GET", "/api/v1/shops/{shop}/members"),
    ("DELETE", "/api/v1/shops/{shop}/members/usr_any"),
    ("GET", "/api/v1/shops/{shop}/finance"),
    ("GET", "/api/v1/shops/{shop}/payouts"),
    ("POST", "/api/v1/shops/{shop}/payouts"),
    ("POST", "/api/v1/shops/{shop}/products"),
    ("GET", "/api/v1/shops/{shop}/products"),
    ("PATCH", "/api/v1/products/{product}"),
    ("DELETE", "/api/v1/products/{product}"),
    ("POST", "/api/v1/variants/{variant}/inventory"),
    ("GET", "/api/v1/variants/{variant}/inventory/movements"),
    ("POST", "/api/v1/shops/{shop}/imports"),
    ("GET", "/api/v1/imports/imp_any"),
    ("GET", "/api/v1/cart"),
    ("POST", "/api/v1/cart/items"),
    ("PATCH", "/api/v1/cart/items/cl_any"),
    ("DELETE", "/api/v1/cart/items/cl_any"),
    ("POST", "/api/v1/checkout"),
    ("POST", "/api/v1/orders"),
    ("GET", "/api/v1/orders"),
    ("GET", "/api/v1/orders/ord_any"),
    ("GET", "/api/v1/shops/{shop}/orders"),
    ("POST", "/api/v1/orders/ord_any/ship"),
    ("POST", "/api/v1/orders/ord_any/deliver"),
    ("POST", "/api/v1/orders/ord_any/cancel"),
    ("POST", "/api/v1/orders/ord_any/refunds"),
    ("POST", "/api/v1/orders/ord_any/returns"),
    ("GET", "/api/v1/shops/{shop}/returns"),
    ("POST", "/api/v1/returns/ret_any/approve"),
    ("POST", "/api/v1/returns/ret_any/reject"),
    ("POST", "/api/v1/creators"),
    ("POST", "/api/v1/shops/{shop}/affiliate-plans"),
    ("GET", "/api/v1/shops/{shop}/affiliate-plans"),
    ("PATCH", "/api/v1/affiliate-plans/plan_any"),
    ("POST", "/api/v1/affiliate-plans/plan_any/end"),
    ("GET", "/api/v1/products/{product}/host-allowance"),
    ("PUT", "/api/v1/products/{product}/host-allowance"),
    ("DELETE", "/api/v1/products/{product}/host-allowance"),
    ("GET", "/api/v1/shops/{shop}/host-discounts"),
    ("GET", "/api/v1/affiliate/marketplace"),
    ("POST", "/api/v1/affiliate/links"),
    ("GET", "/api/v1/affiliate/links"),
    ("GET", "/api/v1/creators/me/commissions"),
    ("GET", "/api/v1/shops/{shop}/commissions"),
    ("GET", "/api/v1/commissions/com_any/explain"),
    ("GET", "/api/v1/creators/me/balance"),
    ("GET", "/api/v1/creators/me/payouts"),
    ("POST", "/api/v1/creators/me/payouts"),
    ("POST", "/api/v1/creators/somebody/follow"),
    ("DELETE", "/api/v1/creators/somebody/follow"),
    ("POST", "/api/v1/creators/me/showcase"),
    ("DELETE", "/api/v1/creators/me/showcase/{product}"),
    ("POST", "/api/v1/creators/me/collections"),
    ("POST", "/api/v1/media"),
    ("POST", "/api/v1/videos"),
    ("PATCH", "/api/v1/videos/vid_any"),
    ("POST", "/api/v1/videos/vid_any/likes"),
    ("DELETE", "/api/v1/videos/vid_any/likes"),
    ("POST", "/api/v1/lives"),
    ("POST", "/api/v1/lives/live_any/start"),
    ("POST", "/api/v1/lives/live_any/end"),
    ("POST", "/api/v1/lives/live_any/pin"),
    ("DELETE", "/api/v1/lives/live_any/pin"),
    ("POST", "/api/v1/lives/live_any/flash-sales"),
    ("POST", "/api/v1/lives/live_any/coupons"),
    ("POST", "/api/v1/lives/live_any/coupons/CODE/claim"),
    ("POST", "/api/v1/lives/live_any/moderation"),
    ("GET", "/api/v1/lives/live_any/chat"),
    ("POST", "/api/v1/lives/live_any/ws-ticket"),
    ("PUT", "/api/v1/creators/me/blocked-words"),
]


@pytest.fixture
async def objects(client: httpx.AsyncClient) -> dict[str, str]:
    owner = await register(client)
    shop = await create_shop(client, owner)
    product = await create_product(client, owner, shop["id"])
    return {"shop": shop["id"], "product": product["id"], "variant": product["variants"][0]["id"]}


def test_every_route_in_the_schema_is_covered(app: object) -> None:
    """A new protected endpoint must be added to PROTECTED (or be public on purpose)."""
    public = {
        ("POST", "/api/v1/auth/register"),
        ("POST", "/api/v1/auth/token"),
        ("GET", "/api/v1/shops/{shop_id}"),
        ("GET", "/api/v1/products"),
        ("GET", "/api/v1/products/{product_id}"),
        ("GET", "/api/v1/creators/{handle}"),
        ("GET", "/api/v1/creators/{handle}/showcase"),
        ("GET", "/api/v1/creators/{handle}/videos"),
        ("GET", "/api/v1/collections/{collection_id}"),
        ("GET", "/api/v1/videos/{video_id}"),
        ("POST", "/api/v1/videos/{video_id}/views"),
        ("GET", "/api/v1/feed"),
        ("GET", "/api/v1/products/{product_id}/videos"),
        ("GET", "/api/v1/lives"),
        ("GET", "/api/v1/lives/{live_id}"),
    }
    schema = app.openapi()  # type: ignore[attr-defined]
    routes = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    normalised = {
        (
            m,
            p.replace("{shop_id}", "{shop}")
            .replace("{product_id}", "{product}")
            .replace("{variant_id}", "{variant}")
            .replace("{import_id}", "imp_any")
            .replace("{order_id}", "ord_any")
            .replace("{line_id}", "cl_any")
            .replace("{return_id}", "ret_any")
            .replace("{plan_id}", "plan_any")
            .replace("{commission_id}", "com_any")
            .replace("{handle}", "somebody")
            .replace("{video_id}", "vid_any")
            .replace("{live_id}", "live_any")
            .replace("{code}", "CODE")
            .replace("{address_id}", "adr_any")
            .replace("{card_id}", "card_any")
            .replace("{invitation_id}", "inv_any")
            .replace("{key_id}", "key_any")
            .replace("{user_id}", "usr_any"),
        )
        for m, p in routes - public
    }
    assert normalised == set(PROTECTED)


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_no_token_is_401(client: httpx.AsyncClient, objects: dict[str, str], method: str, path: str) -> None:
    response = await client.request(method, path.format(**objects), json={})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_revoked_or_forged_token_is_401(
    client: httpx.AsyncClient, objects: dict[str, str], method: str, path: str
) -> None:
    response = await client.request(
        method, path.format(**objects), json={}, headers={"Authorization": "Bearer spk_not_a_real_key"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


async def test_shop_key_cannot_open_shops_or_add_members(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    key = (await client.post(f"/api/v1/shops/{shop['id']}/api-keys", headers=owner.headers)).json()["key"]
    as_key = Account(id="key", email="", token=key)
    opened = await client.post("/api/v1/shops", json={"name": "x", "currency": "USD"}, headers=as_key.headers)
    assert opened.status_code == 403
    member = await client.post(
        f"/api/v1/shops/{shop['id']}/members", json={"email": owner.email}, headers=as_key.headers
    )
    assert member.status_code == 403
    # Nor see or revoke the shop's keys (its own included) or invitations: those are the owner's.
    for path in ("api-keys", "invitations"):
        assert (await client.get(f"/api/v1/shops/{shop['id']}/{path}", headers=as_key.headers)).status_code == 403


async def test_missing_shop_is_404_for_shop_scoped_writes(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    for path, body in (
        ("/api/v1/shops/shop_missing/products", {"title": "x", "variants": [{"price": 1}]}),
        ("/api/v1/shops/shop_missing/api-keys", {}),
        ("/api/v1/shops/shop_missing/members", {"email": owner.email}),
    ):
        response = await client.post(path, json=body, headers=owner.headers)
        assert response.status_code == 404, path
    for path in ("products", "api-keys", "invitations"):
        listing = await client.get(f"/api/v1/shops/shop_missing/{path}", headers=owner.headers)
        assert listing.status_code == 404, path
    for path in ("api-keys/key_any", "invitations/inv_any"):
        revoked = await client.delete(f"/api/v1/shops/shop_missing/{path}", headers=owner.headers)
        assert revoked.status_code == 404, path
    upload = await client.post(
        "/api/v1/shops/shop_missing/imports", files={"file": ("a.csv", b"Handle,Title\n")}, headers=owner.headers
    )
    assert upload.status_code == 404


async def test_token_form_needs_both_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/token", data={"username": "someone@example.com"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "password"]


async def test_nul_characters_are_a_clear_400_or_stored(client: httpx.AsyncClient) -> None:
    """PostgreSQL cannot store NUL in text: a 400 ``invalid_text``; SQLite stores it. Never a 500."""
    token = await client.post("/api/v1/auth/token", data={"username": "a\x00b@example.com", "password": "x"})
    assert token.status_code in {400, 401}
    if token.status_code == 400:
        assert token.json()["code"] == "invalid_text"
    owner = await register(client)
    shop = await create_shop(client, owner)
    created = await client.post(
        f"/api/v1/shops/{shop['id']}/products",
        json={"title": "Nul\u0000Tee", "variants": [{"price": 100}]},
        headers=owner.headers,
    )
    assert created.status_code in {201, 400}
    lookup = await client.get("/api/v1/products/prod_%00")
    assert lookup.status_code in {400, 404}
