"""The shopper's journeys in Debian's Chromium at a phone's width, controls found by role and name as
shared/PAGES.md binds them; every page visited is checked (console, requests, 390 px, axe-core)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.e2e.browser import Tab
from tests.helpers import Account, create_product, create_shop, register, stock_of, unique

PASSWORD = "correct horse battery"


def _variant(size: str, colour: str, price: int, stock: int) -> dict[str, Any]:
    return {
        "sku": unique(f"{size}-{colour}-"),
        "options": {"Size": size, "Colour": colour},
        "price": price,
        "inventory_quantity": stock,
    }


async def _shop_with_tee(client: httpx.AsyncClient, word: str) -> tuple[Account, dict[str, Any]]:
    owner = await register(client)
    shop = await create_shop(client, owner)
    product = await create_product(
        client,
        owner,
        shop["id"],
        title=f"Linen {word} shirt",
        options=[{"name": "Size"}, {"name": "Colour"}],
        variants=[
            {
                "sku": unique("S-SAND-"),
                "options": {"Size": "S", "Colour": "Sand"},
                "price": 3900,
                "inventory_quantity": 4,
            },
            {
                "sku": unique("M-SAND-"),
                "options": {"Size": "M", "Colour": "Sand"},
                "price": 4200,
                "inventory_quantity": 0,
            },
            {
                "sku": unique("L-SAND-"),
                "options": {"Size": "L", "Colour": "Sand"},
                "price": 4200,
                "inventory_quantity": 0,
            },
            {
                "sku": unique("M-NAVY-"),
                "options": {"Size": "M", "Colour": "Navy"},
                "price": 4500,
                "compare_at_price": 5900,
                "inventory_quantity": 7,
            },
        ],
    )
    return owner, product


async def sign_up(tab: Tab, name: str = "Rosa Shopper") -> str:
    email = f"{unique('rosa')}@example.com"
    await tab.goto("/signup")
    await tab.check()
    page = tab.page
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await page.wait_for_url(f"{tab.base}/")
    return email


async def fill_new_address_and_card(tab: Tab, card: str) -> None:
    page = tab.page
    await page.get_by_label("Full name").fill("Rosa Shopper")
    await page.get_by_label("Address line 1").fill("12 Rua Augusta")
    await page.get_by_label("City").fill("Lisbon")
    await page.get_by_label("Postal code").fill("1100-053")
    await page.get_by_label("Country").select_option("PT")
    await page.get_by_label("Card number").fill(card)
    await page.get_by_label("Expiry (MM/YY)").fill("12/34")
    await page.get_by_label("Security code").fill("123")


async def api_token(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    answer = await client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def test_sign_up_search_pick_a_variant_add_to_cart_and_pay(client: httpx.AsyncClient, phone: Tab) -> None:
    word = unique("dune")
    _, product = await _shop_with_tee(client, word)
    email = await sign_up(phone)
    page = phone.page
    await phone.check()

    await page.get_by_role("searchbox", name="Search products").fill(word)
    await page.get_by_role("searchbox", name="Search products").press("Enter")
    await page.wait_for_url(re.compile(r"/search\?q="))
    await phone.check()
    await page.get_by_role("link", name=f"Linen {word} shirt").click()
    await page.wait_for_url(f"**/products/{product['id']}")
    await phone.check()

    # S/Sand opens (the first in stock). L is sold out in every colour: disabled. M is sold out in Sand, so
    # choosing M moves the colour to Navy, the M in stock.
    assert await page.get_by_role("radio", name="Sand").is_checked()
    assert await page.get_by_role("radio", name="L (sold out)").is_disabled()
    await page.locator("label.pill", has_text="M").click()
    assert await page.get_by_role("radio", name="Navy").is_checked()
    await page.get_by_text("$45.00").wait_for()
    assert "$59.00" in await page.locator(".buybox__price").inner_text()
    navy = next(v for v in product["variants"] if v["options"] == {"Size": "M", "Colour": "Navy"})
    assert await page.locator("[data-sku]").inner_text() == navy["sku"]
    await page.get_by_label("Quantity").fill("2")
    await page.get_by_role("button", name="Add to cart").click()
    await page.wait_for_url("**/cart")
    await phone.check()
    assert "$90.00" in await page.locator(".cart__summary").inner_text()

    await page.get_by_role("button", name="Checkout").click()
    await page.wait_for_url(re.compile(r"/checkout\??$"))
    await phone.check()
    await fill_new_address_and_card(phone, "4242 4242 4242 4242")
    await page.get_by_role("button", name="Place order").click()
    try:
        await page.wait_for_url("**/checkout/done?orders=*", timeout=5000)
    except Exception:
        await page.screenshot(path="/tmp/fail.png", full_page=True)
        raise
    await phone.check()
    confirmation = await page.locator("main").inner_text()
    assert "Order SP-" in confirmation
    assert "Paid" in confirmation

    headers = await api_token(client, email)
    (order,) = (await client.get("/api/v1/orders", headers=headers)).json()["items"]
    assert order["status"] == "paid"
    assert order["total"] == 9000
    assert [(line["variant_id"], line["quantity"]) for line in order["lines"]] == [(navy["id"], 2)]
    assert await stock_of(client, product["id"], navy["id"]) == 5
    assert (await client.get("/api/v1/cart", headers=headers)).json()["lines"] == []


async def test_a_declined_card_keeps_nothing(client: httpx.AsyncClient, phone: Tab) -> None:
    word = unique("ember")
    _, product = await _shop_with_tee(client, word)
    email = await sign_up(phone)
    page = phone.page
    await phone.goto(f"/products/{product['id']}")
    await page.get_by_role("button", name="Buy now").click()
    await page.wait_for_url(re.compile(r"/checkout\?buy="))
    await phone.check()
    await fill_new_address_and_card(phone, "4000 0000 0000 0002")
    await page.get_by_role("button", name="Place order").click()
    alert = page.get_by_role("alert").filter(has_text="There is a problem")
    await alert.wait_for()
    assert "declined" in await page.locator("#f-card-number-error").inner_text()
    assert await page.get_by_label("Full name").input_value() == "Rosa Shopper"  # what was typed stays
    await phone.check()
    headers = await api_token(client, email)
    assert (await client.get("/api/v1/orders", headers=headers)).json()["items"] == []
    sand = next(v for v in product["variants"] if v["options"] == {"Size": "S", "Colour": "Sand"})
    assert await stock_of(client, product["id"], sand["id"]) == 4
    assert (await client.get("/api/v1/me/cards", headers=headers)).json()["items"] == []

    # The same page, a good card: one order, and the saved details make the next checkout two taps.
    await page.get_by_label("Card number").fill("4242 4242 4242 4242")
    await page.get_by_label("Security code").fill("123")
    await page.get_by_role("button", name="Place order").dblclick()
    await page.wait_for_url("**/checkout/done?orders=*")
    await phone.check()
    assert len((await client.get("/api/v1/orders", headers=headers)).json()["items"]) == 1
    await phone.goto(f"/products/{product['id']}")
    await page.get_by_role("button", name="Buy now").click()
    await page.wait_for_url(re.compile(r"/checkout\?buy="))
    assert await page.get_by_role("radio", name=re.compile("Rosa Shopper")).is_checked()
    assert await page.get_by_role("radio", name=re.compile("Visa ending 4242")).is_checked()
    assert not await page.get_by_label("Card number").is_visible()
    await phone.check()
    await page.get_by_role("button", name="Place order").click()
    await page.wait_for_url("**/checkout/done?orders=*")
    assert len((await client.get("/api/v1/orders", headers=headers)).json()["items"]) == 2
    assert await stock_of(client, product["id"], sand["id"]) == 2


async def test_account_page_keeps_addresses_and_cards_and_signs_out(client: httpx.AsyncClient, phone: Tab) -> None:
    await sign_up(phone, name="Iris Account")
    page = phone.page
    await phone.open_menu()
    await page.get_by_role("link", name="Account").click()
    await page.wait_for_url("**/account")
    await phone.check()
    await page.get_by_text("Add a card").click()
    await page.get_by_label("Card number").fill("4242 4242 4242 4241")
    await page.get_by_label("Expiry (MM/YY)").fill("12/34")
    await page.get_by_label("Security code").fill("123")
    await page.get_by_role("button", name="Save card").click()
    await page.locator("#f-card-number-error").wait_for()
    await phone.check()
    await page.get_by_label("Card number").fill("4242 4242 4242 4242")
    await page.get_by_label("Security code").fill("123")
    await page.get_by_role("button", name="Save card").click()
    await page.get_by_role("listitem", name="Visa ending 4242").wait_for()
    await page.get_by_text("Add an address").click()
    await page.get_by_label("Full name").fill("Iris Account")
    await page.get_by_label("Address line 1").fill("3 Canal St")
    await page.get_by_label("City").fill("Amsterdam")
    await page.get_by_label("Postal code").fill("1012 AB")
    await page.get_by_label("Country").select_option("NL")
    await page.get_by_role("button", name="Save address").click()
    await page.get_by_role("listitem", name=re.compile("Address: Iris Account")).wait_for()
    await phone.check()
    await phone.open_menu()
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(f"{phone.base}/")
    await phone.check()
    await phone.goto("/account")
    assert "/signin?next=/account" in page.url
    await phone.check()


async def test_the_header_fits_a_phone_and_shows_the_way_in(desktop: Tab, phone: Tab) -> None:
    for tab in (phone, desktop):
        await tab.goto("/")
        await tab.check()
        page = tab.page
        assert await page.get_by_role("link", name="Feed", exact=True).is_visible()
        assert await page.get_by_role("link", name="Live", exact=True).is_visible()
        assert await page.get_by_role("searchbox", name="Search products").is_visible()
    await phone.open_menu()
    assert await phone.page.get_by_role("link", name="Sign in").is_visible()
    phone.allow("/no/such/page", 404)
    response = await phone.goto("/no/such/page")
    assert response.status == 404
    await phone.page.get_by_role("heading", name="We couldn't find that page").wait_for()
    await phone.check()


async def test_more_products_load_in_place(client: httpx.AsyncClient, phone: Tab) -> None:
    word = unique("fern")
    owner = await register(client)
    shop = await create_shop(client, owner)
    for i in range(26):
        await create_product(
            client, owner, shop["id"], title=f"Fern {word} pot {i}", options=[], variants=[{"price": 900 + i}]
        )
    page = phone.page
    await phone.goto(f"/search?q={word}")
    await phone.check()
    cards = page.locator("#results > li")
    assert await cards.count() == 24
    await page.get_by_role("link", name="More products").click()
    await page.wait_for_function("document.querySelectorAll('#results > li').length === 26")
    assert await page.get_by_role("link", name="More products").count() == 0
    assert page.url.endswith(f"/search?q={word}")  # appended in place, no navigation
    await phone.check()
