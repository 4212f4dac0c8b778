"""Shop pages over HTTP: the catalog searches, product pages render, drafts stay hidden, input is escaped."""

from __future__ import annotations

import httpx

from tests.helpers import create_product, create_shop, register, unique


async def test_catalog_search_and_product_page(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    word = unique("lamp")
    product = await create_product(
        client,
        owner,
        shop["id"],
        title=f"Brass {word}",
        options=[],
        variants=[{"price": 4599, "inventory_quantity": 2}],
    )
    draft = await create_product(client, owner, shop["id"], title=f"Hidden {word}", status="draft")

    page = await client.get("/search", params={"q": word})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f"Brass {word}" in page.text
    assert "$45.99" in page.text
    assert f"Hidden {word}" not in page.text

    detail = await client.get(f"/products/{product['id']}")
    assert detail.status_code == 200
    assert f"Brass {word}" in detail.text
    assert "Soft cotton tee" in detail.text
    assert (await client.get(f"/products/{draft['id']}")).status_code == 404
    assert (await client.get("/products/prod_missing")).status_code == 404


async def test_pages_escape_what_users_type(client: httpx.AsyncClient) -> None:
    page = await client.get("/search", params={"q": "<script>alert(1)</script>"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
    bad_cursor = await client.get("/search", params={"cursor": "garbage", "sort": "no-such-sort"})
    assert bad_cursor.status_code == 200
    assert "All products" in bad_cursor.text


async def test_static_stylesheet_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/style.css")
    assert response.status_code == 200
    assert "grid" in response.text
