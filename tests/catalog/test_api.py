"""Shops, products and inventory through HTTP: successes and every refusal (401, 403, 404, 409, 422)."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import Account, add_staff, create_product, create_shop, product_body, register, unique


@pytest.fixture
async def owner(client: httpx.AsyncClient) -> Account:
    return await register(client, name="Owner")


@pytest.fixture
async def shop(client: httpx.AsyncClient, owner: Account) -> dict:
    return await create_shop(client, owner)


# --- shops ---------------------------------------------------------------------------------------


async def test_open_shop_and_read_it_publicly(client: httpx.AsyncClient, owner: Account) -> None:
    response = await client.post("/api/v1/shops", json={"name": "Café Crème", "currency": "EUR"}, headers=owner.headers)
    assert response.status_code == 201
    shop = response.json()
    assert shop["slug"].startswith("cafe-creme")
    assert shop["currency"] == "EUR"
    assert shop["status"] == "active"
    public = await client.get(f"/api/v1/shops/{shop['id']}")
    assert public.status_code == 200
    assert public.json() == shop


async def test_shop_slug_taken_is_409_and_derived_slugs_get_suffixes(client: httpx.AsyncClient, owner: Account) -> None:
    slug = unique("shop-")
    first = await client.post(
        "/api/v1/shops", json={"name": "A", "currency": "USD", "slug": slug}, headers=owner.headers
    )
    assert first.status_code == 201
    again = await client.post(
        "/api/v1/shops", json={"name": "B", "currency": "USD", "slug": slug}, headers=owner.headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "slug_taken"
    name = unique("Same Name ")
    one = (await client.post("/api/v1/shops", json={"name": name, "currency": "USD"}, headers=owner.headers)).json()
    two = (await client.post("/api/v1/shops", json={"name": name, "currency": "USD"}, headers=owner.headers)).json()
    assert two["slug"] == one["slug"] + "-2"


async def test_open_shop_refusals(client: httpx.AsyncClient, owner: Account) -> None:
    assert (await client.post("/api/v1/shops", json={"name": "x", "currency": "USD"})).status_code == 401
    bad = await client.post(
        "/api/v1/shops", json={"name": "", "currency": "usd", "slug": "Bad Slug"}, headers=owner.headers
    )
    assert bad.status_code == 422
    assert {tuple(e["loc"]) for e in bad.json()["errors"]} >= {
        ("body", "name"),
        ("body", "currency"),
        ("body", "slug"),
    }
    unknown = await client.post("/api/v1/shops", json={"name": "x", "currency": "ABC"}, headers=owner.headers)
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_currency"


async def test_missing_shop_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/shops/shop_nope")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_api_keys_owner_only(client: httpx.AsyncClient, owner: Account, shop: dict) -> None:
    staff = await register(client)
    stranger = await register(client)
    await add_staff(client, owner, shop["id"], staff)
    created = await client.post(f"/api/v1/shops/{shop['id']}/api-keys", json={"name": "ERP"}, headers=owner.headers)
    assert created.status_code == 201
    assert created.json()["key"].startswith("spk_")
    assert created.json()["name"] == "ERP"
    for who in (staff, stranger):
        refused = await client.post(f"/api/v1/shops/{shop['id']}/api-keys", headers=who.headers)
        assert refused.status_code == 403
    assert (await client.post(f"/api/v1/shops/{shop['id']}/api-keys")).status_code == 401
    key_headers = {"Authorization": f"Bearer {created.json()['key']}"}
    assert (await client.post(f"/api/v1/shops/{shop['id']}/api-keys", headers=key_headers)).status_code == 403


async def test_staff_join_by_accepting_and_only_owners_invite(
    client: httpx.AsyncClient, owner: Account, shop: dict
) -> None:
    """Members come in through invitations (tests/identity/test_invitations_api.py has the whole story)."""
    staff = await register(client)
    refused = await client.post(
        f"/api/v1/shops/{shop['id']}/members", json={"email": staff.email}, headers=staff.headers
    )
    assert refused.status_code == 403
    await add_staff(client, owner, shop["id"], staff)
    me = (await client.get("/api/v1/me", headers=staff.headers)).json()
    assert me["shops"] == [{"id": shop["id"], "name": shop["name"], "role": "staff"}]
    assert me["invitations"] == []


# --- products ------------------------------------------------------------------------------------


async def test_create_product_full_shape(client: httpx.AsyncClient, owner: Account, shop: dict) -> None:
    body = product_body(
        title="Ocean Blue Shirt",
        description_html='<p onclick="steal()">Soft <script>alert(1)</script><b>cotton</b></p>',
        images=[{"url": "https://img.example/1.jpg", "alt": "front"}],
    )
    response = await client.post(f"/api/v1/shops/{shop['id']}/products", json=body, headers=owner.headers)
    assert response.status_code == 201, response.text
    product = response.json()
    assert product["handle"] == "ocean-blue-shirt"
    assert product["status"] == "active"
    assert product["description_html"] == "<p>Soft <b>cotton</b></p>"
    assert product["options"] == [{"name": "Size", "values": ["S", "M"]}]
    assert product["images"] == [{"url": "https://img.example/1.jpg", "alt": "front"}]
    small, medium = product["variants"]
    assert (small["title"], small["price"], small["currency"], small["inventory_quantity"]) == (
        "S",
        1999,
        "USD",
        5,
    )
    assert (medium["compare_at_price"], medium["inventory_quantity"]) == (2999, 0)
    assert product["created_at"].endswith("Z")
    read = await client.get(f"/api/v1/products/{product['id']}")
    assert read.status_code == 200
    assert read.json() == product


async def test_product_without_options_has_one_default_variant(
    client: httpx.AsyncClient, owner: Account, shop: dict
) -> None:
    product = await create_product(client, owner, shop["id"], options=[], variants=[{"price": 500}])
    assert product["variants"][0]["title"] == "Default Title"
    assert product["variants"][0]["options"] == {}
    two = await client.post(
        f"/api/v1/shops/{shop['id']}/products",
        json=product_body(options=[], variants=[{"price": 1}, {"price": 2}]),
        headers=owner.headers,
    )
    assert two.status_code == 422
    assert two.json()["errors"][0]["loc"] == ["body", "variants"]


async def test_product_validation_errors_point_at_fields(client: httpx.AsyncClient, owner: Account, shop: dict) -> None:
    bad = product_body(
        variants=[
            {"options": {"Size": "S"}, "price": -1},
            {"options": {"Colour": "Red"}, "price": 100, "currency": "EUR"},
        ]
    )
    response = await client.post(f"/api/v1/shops/{shop['id']}/products", json=bad, headers=owner.headers)
    assert response.status_code == 422
    assert ["body", "variants", 0, "price"] in [e["loc"] for e in response.json()["errors"]]
    fixed_price = product_body(
        variants=[
            {"options": {"Size": "S"}, "price": 100},
            {"options": {"Colour": "Red"}, "price": 100, "currency": "EUR"},
        ]
    )
    response = await client.post(f"/api/v1/shops/{shop['id']}/products", json=fixed_price, headers=owner.headers)
    assert response.status_code == 422
    locations = [e["loc"] for e in response.json()["errors"]]
    assert ["body", "variants", 1, "currency"] in locations
    duplicate = product_body(variants=[{"options": {"Size": "S"}, "price": 1}, {"options": {"Size": "S"}, "price": 2}])
    response = await client.post(f"/api/v1/shops/{shop['id']}/products", json=duplicate, headers=owner.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "variants", 1, "options"]
    no_variants = await client.post(
        f"/api/v1/shops/{shop['id']}/products", json=product_body(variants=[]), headers=owner.headers
    )
    assert no_variants.status_code == 422


async def test_handle_and_sku_uniqueness(client: httpx.AsyncClient, owner: Account, shop: dict) -> None:
    first = await create_product(client, owner, shop["id"], title="Same Title")
    second = await create_product(client, owner, shop["id"], title="Same Title")
    assert second["handle"] == first["handle"] + "-2"
    taken = await client.post(
        f"/api/v1/shops/{shop['id']}/products",
        json=product_body(handle=first["handle"]),
        headers=owner.headers,
    )
    assert taken.status_code == 409
    assert taken.json()["code"] == "handle_taken"
    # A SKU is distinct only within a product (shared/API.md): another product may carry it, as Shopify allows,
    # and each keeps its own stock; two variants of one product may not.
    sku = first["variants"][0]["sku"]
    sharing = await create_product(
        client,
        owner,
        shop["id"],
        variants=[{"sku": sku, "options": {"Size": "S"}, "price": 1, "inventory_quantity": 4}],
    )
    assert sharing["variants"][0]["sku"] == sku
    assert sharing["variants"][0]["id"] != first["variants"][0]["id"]
    assert (await client.get(f"/api/v1/products/{first['id']}")).json()["variants"][0]["inventory_quantity"] == (
        first["variants"][0]["inventory_quantity"]
    )
    repeated = await client.post(
        f"/api/v1/shops/{shop['id']}/products",
        json=product_body(
            variants=[
                {"sku": "TWICE", "options": {"Size": "S"}, "price": 1},
                {"sku": "TWICE", "options": {"Size": "M"}, "price": 1},
            ]
        ),
        headers=owner.headers,
    )
    assert repeated.status_code == 422
    assert repeated.json()["errors"][0]["loc"] == ["body", "variants", 1, "sku"]
    other_shop = await create_shop(client, owner)
    await create_product(client, owner, other_shop["id"], variants=[{"sku": sku, "options": {"Size": "S"}, "price": 1}])


async def test_product_writes_refused_for_strangers(client: httpx.AsyncClient, owner: Account, shop: dict) -> None:
    stranger = await register(client)
    body = product_body()
    assert (await client.post(f"/api/v1/shops/{shop['id']}/products", json=body)).status_code == 401
    refused = await client.post(f"/api/v1/shops/{shop['id']}/products", json=body, headers=stranger.headers)
    assert refused.status_code == 403
    product = await create_product(client, owner, shop["id"])
    patch = await client.patch(f"/api/v1/products/{product['id']}", json={"title": "x"}, headers=stranger.headers)
    assert patch.status_code == 404
    delete = await client.delete(f"/api/v1/products/{product['id']}", headers=stranger.headers)
    assert delete.status_code == 404
    assert (await client.patch(f"/api/v1/products/{product['id']}", json={"title": "x"})).status_code == 401
    listing = await client.get(f"/api/v1/shops/{shop['id']}/products", headers=stranger.headers)
    assert listing.status_code == 403


async def test_staff_and_api_key_act_for_the_shop(client: httpx.AsyncClient, owner: Account, shop: dict) -> None:
    staff = await register(client)
    await add_staff(client, owner, shop["id"], staff)
    by_staff = await create_product(client, staff, shop["id"])
    key = (await client.post(f"/api/v1/shops/{shop['id']}/api-keys", headers=owner.headers)).json()["key"]
    key_account = Account(id="key", email="", token=key)
    by_key = await create_product(client, key_account, shop["id"])
    assert by_key["shop_id"] == by_staff["shop_id"] == shop["id"]
    other = await create_shop(client, owner)
    refused = await client.post(
        f"/api/v1/shops/{other['id']}/products", json=product_body(), headers=key_account.headers
    )
    assert refused.status_code == 403
    hidden = await client.patch(f"/api/v1/products/{by_staff['id']}", json={"title": "x"}, headers=key_account.headers)
    assert hidden.status_code == 200
    other_product = await create_product(client, owner, other["id"])
    hidden = await client.patch(
        f"/api/v1/products/{other_product['id']}", json={"title": "x"}, headers=key_account.headers
    )
    assert hidden.status_code == 404


async def test_patch_updates_fields_and_replaces_variants(
    client: httpx.AsyncClient, owner: Account, shop: dict
) -> None:
    product = await create_product(client, owner, shop["id"])
    small, medium = product["variants"]
    response = await client.patch(
        f"/api/v1/products/{product['id']}",
        json={
            "title": "Renamed",
            "tags": ["new"],
            "status": "draft",
            "options": [{"name": "Size"}],
            "variants": [
                {"id": small["id"], "sku": small["sku"], "options": {"Size": "S"}, "price": 1500},
                {"sku": unique("SKU-"), "options": {"Size": "L"}, "price": 2600, "inventory_quantity": 3},
            ],
        },
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert (updated["title"], updated["tags"], updated["status"]) == ("Renamed", ["new"], "draft")
    assert [v["options"]["Size"] for v in updated["variants"]] == ["S", "L"]
    assert updated["variants"][0]["id"] == small["id"]
    assert updated["variants"][0]["inventory_quantity"] == 5  # stock kept when not given
    assert medium["id"] not in {v["id"] for v in updated["variants"]}
    assert updated["options"] == [{"name": "Size", "values": ["S", "L"]}]
    title_only = await client.patch(f"/api/v1/products/{product['id']}", json={"vendor": None}, headers=owner.headers)
    assert title_only.status_code == 200
    assert title_only.json()["vendor"] is None
    assert title_only.json()["variants"] == updated["variants"]
    unknown = await client.patch(
        f"/api/v1/products/{product['id']}",
        json={"variants": [{"id": "var_nope", "options": {"Size": "S"}, "price": 1}]},
        headers=owner.headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_variant"


async def test_draft_and_archived_are_hidden_from_the_public(
    client: httpx.AsyncClient, owner: Account, shop: dict
) -> None:
    product = await create_product(client, owner, shop["id"], status="draft")
    assert (await client.get(f"/api/v1/products/{product['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/products/{product['id']}", headers=owner.headers)).status_code == 200
    active = await create_product(client, owner, shop["id"])
    archived = await client.delete(f"/api/v1/products/{active['id']}", headers=owner.headers)
    assert archived.status_code == 200
    assert archived.json()["status"] == "archived"
    assert (await client.get(f"/api/v1/products/{active['id']}")).status_code == 404
    listing = await client.get(f"/api/v1/shops/{shop['id']}/products", headers=owner.headers)
    assert {p["id"] for p in listing.json()["items"]} == {product["id"], active["id"]}


# --- inventory -----------------------------------------------------------------------------------


async def test_inventory_set_adjust_and_audit_trail(client: httpx.AsyncClient, owner: Account, shop: dict) -> None:
    product = await create_product(client, owner, shop["id"])
    variant_id = product["variants"][0]["id"]
    url = f"/api/v1/variants/{variant_id}/inventory"
    assert (await client.post(url, json={"set": 10}, headers=owner.headers)).json()["inventory_quantity"] == 10
    adjusted = await client.post(url, json={"adjust": -4, "reason": "damaged"}, headers=owner.headers)
    assert adjusted.status_code == 200
    assert adjusted.json()["inventory_quantity"] == 6
    below = await client.post(url, json={"adjust": -7}, headers=owner.headers)
    assert below.status_code == 409
    assert below.json()["code"] == "insufficient_stock"
    both = await client.post(url, json={"set": 1, "adjust": 1}, headers=owner.headers)
    assert both.status_code == 422
    negative = await client.post(url, json={"set": -1}, headers=owner.headers)
    assert negative.status_code == 422
    assert negative.json()["errors"][0]["loc"] == ["body", "set"]
    movements = (await client.get(f"{url}/movements", headers=owner.headers)).json()["items"]
    assert [(m["delta"], m["quantity_after"], m["reason"]) for m in movements] == [
        (-4, 6, "damaged"),
        (5, 10, "stock set"),
        (5, 5, "product created"),
    ]


async def test_inventory_refused_for_other_shops(client: httpx.AsyncClient, owner: Account, shop: dict) -> None:
    product = await create_product(client, owner, shop["id"])
    url = f"/api/v1/variants/{product['variants'][0]['id']}/inventory"
    stranger = await register(client)
    assert (await client.post(url, json={"set": 1})).status_code == 401
    assert (await client.post(url, json={"set": 1}, headers=stranger.headers)).status_code == 404
    assert (await client.get(f"{url}/movements", headers=stranger.headers)).status_code == 404
    assert (
        await client.post("/api/v1/variants/var_nope/inventory", json={"set": 1}, headers=owner.headers)
    ).status_code == 404


async def test_handles_in_other_scripts_and_bad_handles(client: httpx.AsyncClient, owner: Account, shop: dict) -> None:
    product = await create_product(
        client, owner, shop["id"], title="日本茶 セット", options=[], variants=[{"price": 1500}]
    )
    assert product["handle"] == "日本茶-セット"
    bad = await client.post(
        f"/api/v1/shops/{shop['id']}/products", json=product_body(handle="Bad Handle"), headers=owner.headers
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "handle"]


async def test_patch_refuses_nulling_required_fields(client: httpx.AsyncClient, owner: Account, shop: dict) -> None:
    product = await create_product(client, owner, shop["id"])
    response = await client.patch(f"/api/v1/products/{product['id']}", json={"title": None}, headers=owner.headers)
    assert response.status_code == 422
    assert ["body", "title"] in [e["loc"] for e in response.json()["errors"]]
    unchanged = await client.get(f"/api/v1/products/{product['id']}")
    assert unchanged.json()["title"] == product["title"]


async def test_long_option_values_fit(client: httpx.AsyncClient, owner: Account, shop: dict) -> None:
    values = {name: name[0] * 255 for name in ("Alpha", "Beta", "Gamma")}
    product = await create_product(
        client, owner, shop["id"], options=[{"name": n} for n in values], variants=[{"options": values, "price": 1}]
    )
    assert product["variants"][0]["options"] == values
    assert len(product["variants"][0]["title"]) == 255


async def test_patch_refuses_a_taken_handle_or_a_sku_twice_in_the_product(
    client: httpx.AsyncClient, owner: Account, shop: dict
) -> None:
    first = await create_product(client, owner, shop["id"])
    second = await create_product(client, owner, shop["id"])
    url = f"/api/v1/products/{second['id']}"
    handle = await client.patch(url, json={"handle": first["handle"]}, headers=owner.headers)
    assert handle.status_code == 409
    assert handle.json()["code"] == "handle_taken"
    twice = [
        {"sku": "SAME", "options": {"Size": "S"}, "price": 100},
        {"sku": "SAME", "options": {"Size": "M"}, "price": 100},
    ]
    sku = await client.patch(url, json={"variants": twice}, headers=owner.headers)
    assert sku.status_code == 422
    assert sku.json()["errors"][0]["loc"] == ["body", "variants", 1, "sku"]
    assert (await client.get(url)).json() == second
    # Another product's SKU is the seller's to reuse: the first product keeps its own variant.
    shared = [{"sku": first["variants"][0]["sku"], "options": {"Size": "S"}, "price": 100}]
    reused = await client.patch(url, json={"variants": shared}, headers=owner.headers)
    assert reused.status_code == 200, reused.text
    assert reused.json()["variants"][0]["sku"] == first["variants"][0]["sku"]
    assert (await client.get(f"/api/v1/products/{first['id']}")).json() == first
