"""The live room on two phones (two browser profiles, each its own cookies): both see the host's pin; one signs
up, comes back to the room and buys without leaving it (a sheet asks once for an address and a card, the
second "Buy now" asks for nothing), the other sees the purchase banner and the viewer count move; chat flows
from one to the other. A declined card says so and keeps nothing. Every page is checked (console, requests,
390 px, axe-core)."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.async_api import expect

from tests.e2e.browser import Tab
from tests.e2e.test_shopper_journeys import api_token, fill_new_address_and_card, sign_up
from tests.live.helpers import OnAir, on_air

WAIT_MS = 15_000  # two cores, many processes: events arrive, but not always within Playwright's default 5 s


async def _pin(site: str, air: OnAir) -> None:
    """The host pins through the site's own process (its hub is the one the browsers' sockets are on)."""
    async with httpx.AsyncClient(base_url=site) as http:
        pinned = await http.post(
            f"{air.path}/pin", json={"product_id": air.listing.product["id"]}, headers=air.host.headers
        )
    assert pinned.status_code == 200, pinned.text


def _status(tab: Tab) -> Any:
    return tab.page.get_by_role("status").filter(has_text=re.compile("Ordered|declined|Placing"))


async def test_two_phones_watch_one_buys_in_the_room_and_they_chat(
    client: httpx.AsyncClient, chromium: Any, site: str
) -> None:
    air = await on_air(client)
    room = f"/lives/{air.live['id']}"
    title = air.listing.product["title"]
    first = await Tab.open(chromium, site, width=390, height=844)
    second = await Tab.open(chromium, site, width=390, height=844)
    try:
        for tab in (first, second):
            await tab.goto(room)
            await expect(tab.page.get_by_role("link", name="Sign in to chat and buy")).to_be_visible()
            await expect(tab.page.get_by_label("Message", exact=True)).to_have_count(0)  # no chat box signed out
            await tab.check()
        await _pin(site, air)
        for tab in (first, second):
            await expect(tab.page.get_by_role("heading", name=title)).to_be_visible(timeout=WAIT_MS)
            await expect(tab.page.locator("[data-price]")).to_have_text("$30.00", timeout=WAIT_MS)
            await tab.check()

        email = await sign_up(first)
        await first.goto(room)
        page = first.page
        await expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=WAIT_MS)
        await expect(page.get_by_role("link", name="Sign in to chat and buy")).to_have_count(0)
        await first.check()

        await page.get_by_role("button", name="Buy now").click()
        sheet = page.get_by_role("dialog", name="Where should it go?")
        await expect(sheet).to_be_visible(timeout=WAIT_MS)
        await first.check()
        await fill_new_address_and_card(first, "4242 4242 4242 4242")
        await sheet.get_by_role("button", name="Save and buy").click()
        await expect(_status(first)).to_contain_text(re.compile(r"Ordered: SP-\S+"), timeout=WAIT_MS)
        await expect(sheet).to_be_hidden()
        first_number = re.search(r"SP-[\w-]+", await _status(first).inner_text())
        assert first_number is not None
        await first.check()

        await expect(second.page.get_by_text(re.compile(r"\bRosa S\. is buying"))).to_be_visible(timeout=WAIT_MS)
        await expect(second.page.get_by_text("2 watching")).to_be_visible(timeout=WAIT_MS)
        await second.check()

        # The second tap asks for nothing more: a new order straight away.
        await page.get_by_role("button", name="Buy now").click()
        await expect(_status(first)).not_to_contain_text(first_number.group(0), timeout=WAIT_MS)
        await expect(_status(first)).to_contain_text(re.compile(r"Ordered: SP-\S+"), timeout=WAIT_MS)
        await expect(sheet).to_be_hidden()
        await first.check()

        await page.get_by_label("Message", exact=True).fill("just bought it <b>twice</b>")
        await page.get_by_role("button", name="Send").click()
        heard = second.page.get_by_role("list", name="Chat messages").get_by_role("listitem")
        await expect(heard.filter(has_text="just bought it <b>twice</b>")).to_be_visible(timeout=WAIT_MS)  # as text
        await expect(second.page.locator("[data-messages] b")).to_have_count(0)
        await first.check()
        await second.check()
    finally:
        await first.close()
        await second.close()

    headers = await api_token(client, email)
    orders = (await client.get("/api/v1/orders", headers=headers)).json()["items"]
    assert len(orders) == 2
    for order in orders:
        (line,) = order["lines"]
        assert line["variant_id"] == air.variant
        assert line["attribution"]["source_type"] == "live"
        assert line["attribution"]["source_id"] == air.live["id"]
    (address,) = (await client.get("/api/v1/me/addresses", headers=headers)).json()["items"]
    assert (address["city"], address["country"]) == ("Lisbon", "PT")
    assert len((await client.get("/api/v1/me/cards", headers=headers)).json()["items"]) == 1


async def test_a_declined_card_in_the_room_buys_nothing_and_is_not_kept(
    client: httpx.AsyncClient, phone: Tab, site: str
) -> None:
    air = await on_air(client, stock=3)
    await _pin(site, air)
    email = await sign_up(phone, name="Dana Declined")
    phone.allow("/api/v1/me/cards", 422)  # the refusals this test asserts
    phone.allow("/api/v1/orders", 402)
    await phone.goto(f"/lives/{air.live['id']}")
    page = phone.page
    await page.get_by_role("button", name="Buy now").click()
    sheet = page.get_by_role("dialog", name="Where should it go?")
    await expect(sheet).to_be_visible(timeout=WAIT_MS)

    # A field the API refuses is shown beside the field, and nothing is bought.
    await fill_new_address_and_card(phone, "4242 4242 4242 4241")
    await sheet.get_by_role("button", name="Save and buy").click()
    error = sheet.get_by_role("alert").filter(has_text="not a valid card number")
    await expect(error).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Full name")).to_be_hidden()  # the address is saved: not asked again
    await phone.check()

    await page.get_by_label("Card number").fill("4000 0000 0000 0002")
    await sheet.get_by_role("button", name="Save and buy").click()
    await expect(_status(phone)).to_contain_text("Your card was declined", timeout=WAIT_MS)
    await expect(sheet).to_be_hidden()
    await phone.check()

    headers = await api_token(client, email)
    assert (await client.get("/api/v1/orders", headers=headers)).json()["items"] == []
    cards = (await client.get("/api/v1/me/cards", headers=headers)).json()["items"]
    assert cards == []  # a card that never paid is not kept
    assert len((await client.get("/api/v1/me/addresses", headers=headers)).json()["items"]) == 1

    # The next tap asks for a card only.
    await page.get_by_role("button", name="Buy now").click()
    await expect(sheet).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_label("Card number")).to_be_visible()
    await expect(page.get_by_label("Full name")).to_be_hidden()
    await phone.check()
