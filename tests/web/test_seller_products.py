"""Seller Center products over HTTP: the list with search, status filter and stock; create with options and two
variants; edit; archive; a variant's stock change and its history; errors beside the fields (422 keeping what was
typed); images uploaded through media; another shop's product is the 404 page; no CSRF changes nothing; staff
manage products too."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.helpers import create_product, register
from tests.web.seller_helpers import HTML, SellerAtWork, page_seller, page_staff

# The smallest whole PNG: a 1x1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def key_of(page: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert found
    return found.group(1)


def new_product_form(seller: SellerAtWork, key: str, **overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": seller.csrf,
        "idempotency_key": key,
        "title": "Linen Apron",
        "description_html": "<p>Stonewashed <strong>linen</strong>.</p><script>alert(1)</script>",
        "vendor": "Harbour Goods",
        "category": "Kitchen",
        "tags": "linen, kitchen",
        "status": "active",
        "handle": "",
        "option_1": "Colour",
        "option_2": "",
        "option_3": "",
        "v0_opt1": "Sand",
        "v0_sku": "APRON-SAND",
        "v0_price": "34.00",
        "v0_compare_at": "40.00",
        "v0_weight": "220",
        "v0_stock": "8",
        "v1_opt1": "Charcoal",
        "v1_sku": "APRON-CHAR",
        "v1_price": "36.50",
        "v1_weight": "",
        "v1_stock": "3",
        "v1_compare_at": "",
        "v2_price": "",
    }
    return form | overrides


async def api_product(client: httpx.AsyncClient, seller: SellerAtWork, product_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/products/{product_id}", headers=seller.account.headers)
    assert response.status_code == 200
    return dict(response.json())


async def create_through_page(client: httpx.AsyncClient, seller: SellerAtWork, **overrides: str) -> str:
    page = await client.get(f"{seller.base}/products/new", headers=HTML)
    assert page.status_code == 200
    saved = await client.post(
        f"{seller.base}/products", data=new_product_form(seller, key_of(page.text), **overrides), headers=HTML
    )
    assert saved.status_code == 303, saved.text
    return str(saved.headers["location"].rsplit("/", 1)[1])


def edit_form(seller: SellerAtWork, product: dict[str, Any], **overrides: str) -> dict[str, str]:
    """The edit form as the page fills it: every field as saved."""
    form = {
        "csrf_token": seller.csrf,
        "title": product["title"],
        "handle": product["handle"],
        "description_html": product["description_html"],
        "vendor": product["vendor"] or "",
        "category": product["category"] or "",
        "tags": ", ".join(product["tags"]),
        "status": product["status"],
    }
    names = [o["name"] for o in product["options"]]
    for k in range(3):
        form[f"option_{k + 1}"] = names[k] if k < len(names) else ""
    for i, variant in enumerate(product["variants"]):
        form[f"v{i}_id"] = variant["id"]
        for k, name in enumerate(names):
            form[f"v{i}_opt{k + 1}"] = variant["options"][name]
        form[f"v{i}_sku"] = variant["sku"] or ""
        form[f"v{i}_price"] = f"{variant['price'] / 100:.2f}"
        form[f"v{i}_compare_at"] = (
            "" if variant["compare_at_price"] is None else f"{variant['compare_at_price'] / 100:.2f}"
        )
        form[f"v{i}_weight"] = "" if variant["weight_grams"] is None else str(variant["weight_grams"])
    for i, image in enumerate(product["images"]):
        form[f"image_{i}_url"] = image["url"]
        form[f"image_{i}_alt"] = image["alt"]
    return form | overrides


async def test_create_a_product_with_options_and_two_variants(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    page = await client.get(f"{seller.base}/products/new", headers=HTML)
    assert re.search(r">\s*Save product\s*</button>", page.text)
    product_id = await create_through_page(client, seller)
    product = await api_product(client, seller, product_id)
    assert product["shop_id"] == seller.shop["id"]
    assert product["title"] == "Linen Apron"
    assert product["handle"] == "linen-apron"
    assert "<script>" not in product["description_html"]
    assert "<strong>linen</strong>" in product["description_html"]
    assert product["tags"] == ["linen", "kitchen"]
    assert product["options"] == [{"name": "Colour", "values": ["Sand", "Charcoal"]}]
    assert [
        (v["options"], v["sku"], v["price"], v["compare_at_price"], v["weight_grams"], v["inventory_quantity"])
        for v in product["variants"]
    ] == [
        ({"Colour": "Sand"}, "APRON-SAND", 3400, 4000, 220, 8),
        ({"Colour": "Charcoal"}, "APRON-CHAR", 3650, None, None, 3),
    ]
    shown = await client.get(f"{seller.base}/products/{product_id}", headers=HTML)
    assert shown.status_code == 200
    assert 'value="34.00"' in shown.text
    assert "8 in stock" in shown.text


async def test_the_same_new_product_form_sent_twice_creates_one(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    page = await client.get(f"{seller.base}/products/new", headers=HTML)
    form = new_product_form(seller, key_of(page.text))
    first = await client.post(f"{seller.base}/products", data=form, headers=HTML)
    second = await client.post(f"{seller.base}/products", data=form, headers=HTML)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    listing = await client.get(f"/api/v1/shops/{seller.shop['id']}/products", headers=seller.account.headers)
    assert len(listing.json()["items"]) == 1


async def test_errors_show_beside_their_fields_and_keep_what_was_typed(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    page = await client.get(f"{seller.base}/products/new", headers=HTML)
    refused = await client.post(
        f"{seller.base}/products",
        data=new_product_form(
            seller,
            key_of(page.text),
            title="",
            v0_price="twelve",
            v1_opt1="",
            v1_sku="APRON-SAND",
            v0_weight="heavy",
        ),
        headers=HTML,
    )
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
    for field in ("title", "v0-price", "v1-opt1", "v0-weight"):
        assert f'id="f-{field}-error"' in refused.text, field
    assert 'value="twelve"' in refused.text
    assert 'value="APRON-CHAR"' not in refused.text
    assert 'value="Harbour Goods"' in refused.text
    # Past the form's own checks, the service's: the same SKU twice within the product, beside the second one.
    twice = await client.post(
        f"{seller.base}/products",
        data=new_product_form(seller, key_of(refused.text), v1_sku="APRON-SAND"),
        headers=HTML,
    )
    assert twice.status_code == 422
    assert 'id="f-v1-sku-error"' in twice.text
    # Same options twice: beside the second variant's option.
    same = await client.post(
        f"{seller.base}/products",
        data=new_product_form(seller, key_of(twice.text), v1_opt1="Sand"),
        headers=HTML,
    )
    assert same.status_code == 422
    assert 'id="f-v1-opt1-error"' in same.text
    assert "Same options as variant 1" in same.text
    listing = await client.get(f"/api/v1/shops/{seller.shop['id']}/products", headers=seller.account.headers)
    assert listing.json()["items"] == []


async def test_a_sku_another_product_has_is_allowed(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    first = await create_through_page(client, seller)
    second = await create_through_page(client, seller, title="Apron Gift Set", v1_sku="GIFT-1")
    assert first != second
    skus = [v["sku"] for v in (await api_product(client, seller, second))["variants"]]
    assert skus == ["APRON-SAND", "GIFT-1"]


async def test_edit_a_product_add_and_remove_variants_and_archive_it(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    product_id = await create_through_page(client, seller)
    product = await api_product(client, seller, product_id)
    form = edit_form(
        seller,
        product,
        title="Linen Apron, Long",
        status="draft",
        v0_price="35.00",
        v1_remove="1",
        v2_opt1="Moss",
        v2_sku="APRON-MOSS",
        v2_price="37.00",
        v2_stock="5",
    )
    saved = await client.post(f"{seller.base}/products/{product_id}", data=form, headers=HTML)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{seller.base}/products/{product_id}"
    after = await api_product(client, seller, product_id)
    assert after["title"] == "Linen Apron, Long"
    assert after["status"] == "draft"
    assert [(v["sku"], v["price"], v["inventory_quantity"]) for v in after["variants"]] == [
        ("APRON-SAND", 3500, 8),  # the stock stays: it changes on the variant's page, with its reason
        ("APRON-MOSS", 3700, 5),
    ]
    assert after["variants"][0]["id"] == product["variants"][0]["id"]

    taken = await create_through_page(client, seller, title="Other Apron", v0_sku="O-1", v1_sku="O-2")
    clash = await client.post(
        f"{seller.base}/products/{product_id}",
        data=edit_form(seller, after, handle=(await api_product(client, seller, taken))["handle"], title="Kept"),
        headers=HTML,
    )
    assert clash.status_code == 422
    assert 'id="f-handle-error"' in clash.text
    assert 'value="Kept"' in clash.text
    assert (await api_product(client, seller, product_id))["title"] == "Linen Apron, Long"

    archived = await client.post(
        f"{seller.base}/products/{product_id}/archive", data={"csrf_token": seller.csrf}, headers=HTML
    )
    assert archived.status_code == 303
    assert (await api_product(client, seller, product_id))["status"] == "archived"
    page = await client.get(f"{seller.base}/products/{product_id}", headers=HTML)
    assert "Archived" in page.text
    assert "Archive product" not in page.text


async def test_image_upload_through_media(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    page = await client.get(f"{seller.base}/products/new", headers=HTML)
    saved = await client.post(
        f"{seller.base}/products",
        data=new_product_form(seller, key_of(page.text), image_alt="The sand apron, folded"),
        files={"image_file": ("apron.png", PNG, "image/png")},
        headers=HTML,
    )
    assert saved.status_code == 303, saved.text
    product = await api_product(client, seller, saved.headers["location"].rsplit("/", 1)[1])
    [image] = product["images"]
    assert image["alt"] == "The sand apron, folded"
    assert image["url"].startswith("/media/files/")
    assert (await client.get(image["url"])).content == PNG
    not_image = await client.post(
        f"{seller.base}/products",
        data=new_product_form(seller, key_of(page.text) + "x"),
        files={"image_file": ("notes.png", b"plain text, not an image", "image/png")},
        headers=HTML,
    )
    assert not_image.status_code == 422
    assert 'id="f-image-file-error"' in not_image.text


async def test_list_search_filter_and_stock(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    apron = await create_through_page(client, seller)
    await create_through_page(client, seller, title="Copper Kettle", status="draft", v0_sku="K-1", v1_sku="K-2")
    listing = await client.get(f"{seller.base}/products", headers=HTML)
    assert listing.status_code == 200
    assert "Linen Apron" in listing.text
    assert "Copper Kettle" in listing.text
    assert "11 in stock" in listing.text  # 8 + 3 across the apron's two variants
    assert '<th scope="col" class="num">Inventory</th>' in listing.text
    found = await client.get(f"{seller.base}/products", params={"q": "kettle"}, headers=HTML)
    assert "Copper Kettle" in found.text
    assert "Linen Apron" not in found.text
    drafts = await client.get(f"{seller.base}/products", params={"status": "draft"}, headers=HTML)
    assert "Copper Kettle" in drafts.text
    assert "Linen Apron" not in drafts.text
    await client.post(f"{seller.base}/products/{apron}/archive", data={"csrf_token": seller.csrf}, headers=HTML)
    archived = await client.get(f"{seller.base}/products", params={"status": "archived"}, headers=HTML)
    assert "Linen Apron" in archived.text
    assert "Copper Kettle" not in archived.text
    nothing = await client.get(f"{seller.base}/products", params={"q": "zeppelin"}, headers=HTML)
    assert "No products match" in nothing.text


async def test_stock_change_and_its_history(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    product_id = await create_through_page(client, seller)
    variant = (await api_product(client, seller, product_id))["variants"][0]
    url = f"{seller.base}/products/{product_id}/variants/{variant['id']}"
    page = await client.get(url, headers=HTML)
    assert page.status_code == 200
    assert "product created" in page.text  # the movement of the first 8 units
    form = {"csrf_token": seller.csrf, "mode": "adjust", "adjust": "12", "reason": "Delivery from the weaver"}
    form["idempotency_key"] = key_of(page.text)
    added = await client.post(f"{url}/stock", data=form, headers=HTML)
    assert added.status_code == 303
    again = await client.post(f"{url}/stock", data=form, headers=HTML)  # the same form twice adds once
    assert again.status_code == 303
    assert (await api_product(client, seller, product_id))["variants"][0]["inventory_quantity"] == 20
    counted = await client.post(
        f"{url}/stock",
        data={
            "csrf_token": seller.csrf,
            "mode": "set",
            "quantity": "17",
            "reason": "Stocktake",
            "idempotency_key": "k2",
        },
        headers=HTML,
    )
    assert counted.status_code == 303
    too_many = await client.post(
        f"{url}/stock",
        data={"csrf_token": seller.csrf, "mode": "adjust", "adjust": "-50", "idempotency_key": "k3"},
        headers=HTML,
    )
    assert too_many.status_code == 422
    assert 'id="f-adjust-error"' in too_many.text
    assert 'value="-50"' in too_many.text
    history = (await client.get(url, headers=HTML)).text
    assert "Delivery from the weaver" in history
    assert "Stocktake" in history
    assert "+12" in history
    assert "−3" in history
    assert history.index("Stocktake") < history.index("Delivery from the weaver")  # newest first
    assert (await api_product(client, seller, product_id))["variants"][0]["inventory_quantity"] == 17


async def test_another_shop_s_product_is_the_404_page(client: httpx.AsyncClient) -> None:
    other = await register(client)
    other_shop = (
        await client.post("/api/v1/shops", json={"name": "Other Goods", "currency": "USD"}, headers=other.headers)
    ).json()
    theirs = await create_product(client, other, other_shop["id"], title="Their Secret Lamp")
    seller = await page_seller(client)
    variant_id = theirs["variants"][0]["id"]
    for path in (
        f"/products/{theirs['id']}",
        f"/products/{theirs['id']}/variants/{variant_id}",
        "/products/prod_none",
    ):
        page = await client.get(f"{seller.base}{path}", headers=HTML)
        assert page.status_code == 404, path
        assert "Their Secret Lamp" not in page.text
    posts = (
        (f"/products/{theirs['id']}", {"title": "Taken over"}),
        (f"/products/{theirs['id']}/archive", {}),
        (f"/products/{theirs['id']}/variants/{variant_id}/stock", {"mode": "set", "quantity": "0"}),
    )
    for path, data in posts:
        answer = await client.post(f"{seller.base}{path}", data={"csrf_token": seller.csrf} | data, headers=HTML)
        assert answer.status_code == 404, path
    # A variant of one of this shop's products named under another of them is not found either.
    mine = await create_through_page(client, seller)
    page = await client.get(f"{seller.base}/products/{mine}/variants/{variant_id}", headers=HTML)
    assert page.status_code == 404
    after = (await client.get(f"/api/v1/products/{theirs['id']}")).json()
    assert after["title"] == "Their Secret Lamp"
    assert after["status"] == "active"
    assert after["variants"][0]["inventory_quantity"] == theirs["variants"][0]["inventory_quantity"]


async def test_without_csrf_nothing_changes(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    product_id = await create_through_page(client, seller)
    product = await api_product(client, seller, product_id)
    form = new_product_form(seller, "no-csrf")
    del form["csrf_token"]
    assert (await client.post(f"{seller.base}/products", data=form, headers=HTML)).status_code == 403
    edit = edit_form(seller, product, title="Hijacked")
    del edit["csrf_token"]
    assert (await client.post(f"{seller.base}/products/{product_id}", data=edit, headers=HTML)).status_code == 403
    assert (await client.post(f"{seller.base}/products/{product_id}/archive", headers=HTML)).status_code == 403
    stock = f"{seller.base}/products/{product_id}/variants/{product['variants'][0]['id']}/stock"
    wrong = {"csrf_token": "forged", "mode": "set", "quantity": "0"}
    assert (await client.post(stock, data=wrong, headers=HTML)).status_code == 403
    assert await api_product(client, seller, product_id) == product
    listing = await client.get(f"/api/v1/shops/{seller.shop['id']}/products", headers=seller.account.headers)
    assert len(listing.json()["items"]) == 1


async def test_staff_manage_products_and_stock(client: httpx.AsyncClient) -> None:
    owner = await page_seller(client)
    staff = await page_staff(client, owner)
    listing = await client.get(f"{staff.base}/products", headers=HTML)
    assert listing.status_code == 200
    product_id = await create_through_page(client, staff)
    product = await api_product(client, owner, product_id)
    saved = await client.post(
        f"{staff.base}/products/{product_id}", data=edit_form(staff, product, title="Staff Apron"), headers=HTML
    )
    assert saved.status_code == 303
    variant_id = product["variants"][0]["id"]
    changed = await client.post(
        f"{staff.base}/products/{product_id}/variants/{variant_id}/stock",
        data={"csrf_token": staff.csrf, "mode": "adjust", "adjust": "2", "idempotency_key": "s1"},
        headers=HTML,
    )
    assert changed.status_code == 303
    after = await api_product(client, owner, product_id)
    assert after["title"] == "Staff Apron"
    assert after["variants"][0]["inventory_quantity"] == 10
    history = (await client.get(f"{staff.base}/products/{product_id}/variants/{variant_id}", headers=HTML)).text
    assert "You" in history


async def test_an_image_larger_than_a_form_body_reaches_media(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    page = await client.get(f"{seller.base}/products/new", headers=HTML)
    big = b"not an image " * (250 * 1024)  # about 3 MB: past an ordinary form's limit, within the media limit
    refused = await client.post(
        f"{seller.base}/products",
        data=new_product_form(seller, key_of(page.text)),
        files={"image_file": ("big.png", big, "image/png")},
        headers=HTML,
    )
    assert refused.status_code == 422
    assert 'id="f-image-file-error"' in refused.text
    assert 'value="Linen Apron"' in refused.text
