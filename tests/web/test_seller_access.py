"""Who may open the Seller Center over HTTP: signed out, to /signin; the person's shops at /seller and opening one
with "Create shop"; a shop's pages for its members only (the 404 page for anyone else, whatever the path)."""

from __future__ import annotations

import re

import httpx

from tests.helpers import register
from tests.web.seller_helpers import HTML, page_account, page_seller


async def test_signed_out_seller_center_sends_to_sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/seller", headers=HTML)
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=/seller"
    shop_page = await client.get("/seller/any-shop", headers=HTML)
    assert shop_page.status_code == 303
    assert shop_page.headers["location"] == "/signin?next=/seller/any-shop"


async def test_create_shop_opens_it_and_lists_it(client: httpx.AsyncClient) -> None:
    _, csrf = await page_account(client)
    empty = await client.get("/seller", headers=HTML)
    assert empty.status_code == 200
    assert re.search(r">\s*Create shop\s*</button>", empty.text)
    refused = await client.post("/seller/shops", data={"csrf_token": csrf, "name": "", "currency": "XXZ"}, headers=HTML)
    assert refused.status_code == 422
    assert "Enter the shop&#39;s name" in refused.text or "Enter the shop's name" in refused.text
    assert 'id="f-currency-error"' in refused.text
    created = await client.post(
        "/seller/shops", data={"csrf_token": csrf, "name": "Tidewater Goods", "currency": "EUR"}, headers=HTML
    )
    assert created.status_code == 303
    slug = created.headers["location"].removeprefix("/seller/")
    assert slug.startswith("tidewater-goods")
    listed = await client.get("/seller", headers=HTML)
    assert f'href="/seller/{slug}"' in listed.text
    assert "Owner" in listed.text


async def test_create_shop_without_csrf_opens_nothing(client: httpx.AsyncClient) -> None:
    await page_account(client)
    refused = await client.post("/seller/shops", data={"name": "Sneaky Shop", "currency": "USD"}, headers=HTML)
    assert refused.status_code == 403
    assert "Sneaky Shop" not in (await client.get("/seller", headers=HTML)).text


async def test_a_shop_s_pages_are_the_404_page_for_non_members(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    other_shop = (
        await client.post("/api/v1/shops", json={"name": "Private Pottery", "currency": "USD"}, headers=owner.headers)
    ).json()
    await page_account(client, name="Outsider")
    for path in ("", "/products", "/orders/ord_whatever", "/settings", "/finance", "/no-such-page"):
        page = await client.get(f"/seller/{other_shop['slug']}{path}", headers=HTML)
        assert page.status_code == 404, path
        assert "Private Pottery" not in page.text
    unknown = await client.get("/seller/no-such-shop-at-all", headers=HTML)
    assert unknown.status_code == 404


async def test_a_member_reaches_the_shop_s_center(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client, name="Dune Candles")
    page = await client.get(seller.base, headers=HTML)
    assert page.status_code == 200
    assert 'aria-label="Seller Center"' in page.text
    assert "Dune Candles" in page.text
