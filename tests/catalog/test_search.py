"""Public product search: full text, filters, sorts and cursor pagination (on both engines)."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import Account, create_product, create_shop, register, unique


@pytest.fixture
async def catalog(client: httpx.AsyncClient) -> tuple[Account, dict, str]:
    """A shop with five products; ``word`` appears only in this shop's catalog."""
    owner = await register(client)
    shop = await create_shop(client, owner)
    word = unique("zq")
    specs = [
        ("Linen Lamp", f"<p>Warm {word} light</p>", ["lighting"], "Lighting", 4500),
        ("Oak Floor Lamp", "<p>Tall and solid</p>", [word, "wood"], "Lighting", 12000),
        ("Velvet Armchair", "<p>Deep seat</p>", ["seating"], "Furniture", 39900),
        ("Ceramic Vase", "<p>Hand thrown</p>", ["decor"], "Decor", 2500),
        ("Draft Lamp", "<p>Not public yet</p>", ["lighting"], "Lighting", 1000),
    ]
    for title, description, tags, category, price in specs:
        await create_product(
            client,
            owner,
            shop["id"],
            title=title,
            description_html=description,
            tags=tags,
            category=category,
            vendor=f"{word}-vendor" if title == "Ceramic Vase" else "Atelier",
            status="draft" if title.startswith("Draft") else "active",
            options=[],
            variants=[{"price": price, "inventory_quantity": 3}],
        )
    return owner, shop, word


async def _titles(client: httpx.AsyncClient, **params: object) -> list[str]:
    response = await client.get("/api/v1/products", params={k: v for k, v in params.items() if v is not None})
    assert response.status_code == 200, response.text
    return [p["title"] for p in response.json()["items"]]


async def test_full_text_over_title_description_tags_and_vendor(client: httpx.AsyncClient, catalog: tuple) -> None:
    _, shop, word = catalog
    assert sorted(await _titles(client, q=word, shop_id=shop["id"])) == [
        "Ceramic Vase",
        "Linen Lamp",
        "Oak Floor Lamp",
    ]
    lamps = await _titles(client, q="lamp", shop_id=shop["id"])
    assert sorted(lamps) == ["Linen Lamp", "Oak Floor Lamp"]  # the draft lamp is not public
    assert await _titles(client, q="lamps", shop_id=shop["id"]) != []  # stemming
    assert await _titles(client, q="velvet armch", shop_id=shop["id"]) == ["Velvet Armchair"]  # prefix of the last word
    assert await _titles(client, q="lamp armchair", shop_id=shop["id"]) == []  # every word must match


async def test_relevance_puts_title_matches_first(client: httpx.AsyncClient, catalog: tuple) -> None:
    _, shop, word = catalog
    owner, _, _ = catalog
    await create_product(
        client,
        owner,
        shop["id"],
        title=f"The {word} Edition",
        options=[],
        variants=[{"price": 100}],
        description_html="<p>plain</p>",
        tags=[],
    )
    titles = await _titles(client, q=word, shop_id=shop["id"], sort="relevance")
    assert titles[0] == f"The {word} Edition"
    assert len(titles) == 4


async def test_punctuation_and_operators_are_plain_text(client: httpx.AsyncClient, catalog: tuple) -> None:
    _, shop, _ = catalog
    for query in [
        '"',
        "lamp AND",
        "NEAR(lamp",
        "-lamp",
        "*",
        "lamp OR (",
        "'; drop table products; --",
        "?!",
    ]:
        response = await client.get("/api/v1/products", params={"q": query, "shop_id": shop["id"]})
        assert response.status_code == 200, (query, response.text)


async def test_filters(client: httpx.AsyncClient, catalog: tuple) -> None:
    _, shop, _ = catalog
    assert sorted(await _titles(client, shop_id=shop["id"], category="Lighting")) == [
        "Linen Lamp",
        "Oak Floor Lamp",
    ]
    assert sorted(await _titles(client, shop_id=shop["id"], min_price=4500, max_price=12000)) == [
        "Linen Lamp",
        "Oak Floor Lamp",
    ]
    assert await _titles(client, shop_id=shop["id"], min_price=50000) == []
    assert await _titles(client, shop_id="shop_none") == []


async def test_sorts(client: httpx.AsyncClient, catalog: tuple) -> None:
    _, shop, _ = catalog
    assert await _titles(client, shop_id=shop["id"], sort="price_asc") == [
        "Ceramic Vase",
        "Linen Lamp",
        "Oak Floor Lamp",
        "Velvet Armchair",
    ]
    assert await _titles(client, shop_id=shop["id"], sort="price_desc") == [
        "Velvet Armchair",
        "Oak Floor Lamp",
        "Linen Lamp",
        "Ceramic Vase",
    ]
    assert await _titles(client, shop_id=shop["id"], sort="newest") == [
        "Ceramic Vase",
        "Velvet Armchair",
        "Oak Floor Lamp",
        "Linen Lamp",
    ]
    assert len(await _titles(client, shop_id=shop["id"], sort="best_selling")) == 4


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "best_selling"])
async def test_cursor_pagination_visits_every_product_once(
    client: httpx.AsyncClient, catalog: tuple, sort: str
) -> None:
    _, shop, _ = catalog
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"shop_id": shop["id"], "sort": sort, "limit": 1} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/v1/products", params=params)).json()
        seen += [p["title"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ["Ceramic Vase", "Linen Lamp", "Oak Floor Lamp", "Velvet Armchair"]
    assert seen == await _titles(client, shop_id=shop["id"], sort=sort)
    assert pages == 4


async def test_relevance_pagination(client: httpx.AsyncClient, catalog: tuple) -> None:
    _, shop, word = catalog
    first = (await client.get("/api/v1/products", params={"q": word, "shop_id": shop["id"], "limit": 2})).json()
    assert len(first["items"]) == 2
    second = (
        await client.get(
            "/api/v1/products",
            params={"q": word, "shop_id": shop["id"], "limit": 2, "cursor": first["next_cursor"]},
        )
    ).json()
    assert second["next_cursor"] is None
    titles = [p["title"] for p in first["items"] + second["items"]]
    assert sorted(titles) == ["Ceramic Vase", "Linen Lamp", "Oak Floor Lamp"]


async def test_bad_parameters_are_clear_errors(client: httpx.AsyncClient) -> None:
    for params, status, code in [
        ({"limit": 0}, 422, "validation_error"),
        ({"limit": 201}, 422, "validation_error"),
        ({"sort": "cheapest"}, 422, "validation_error"),
        ({"min_price": -1}, 422, "validation_error"),
        ({"cursor": "not-a-cursor"}, 400, "invalid_cursor"),
        ({"cursor": "WzFd"}, 400, "invalid_cursor"),
    ]:
        response = await client.get("/api/v1/products", params=params)
        assert response.status_code == status, (params, response.text)
        assert response.json()["code"] == code


async def test_search_reflects_updates(client: httpx.AsyncClient, catalog: tuple) -> None:
    owner, shop, _ = catalog
    fresh = unique("fresh")
    product = await create_product(client, owner, shop["id"], title="Plain Stool", options=[], variants=[{"price": 1}])
    assert await _titles(client, q=fresh, shop_id=shop["id"]) == []
    await client.patch(f"/api/v1/products/{product['id']}", json={"tags": [fresh]}, headers=owner.headers)
    assert await _titles(client, q=fresh, shop_id=shop["id"]) == ["Plain Stool"]
