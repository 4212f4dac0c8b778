"""Shop invitations in Chromium at a phone's width: from the account page to the invitations waiting, Accept one
(the shop then shows on the account page) and Decline another. Controls are found by role and name as
shared/PAGES.md binds them; every page visited is checked."""

from __future__ import annotations

import httpx

from tests.e2e.browser import Tab
from tests.e2e.test_shopper_journeys import api_token, sign_up
from tests.helpers import create_shop, invite, register, unique


async def test_accept_one_invitation_and_decline_another(client: httpx.AsyncClient, phone: Tab) -> None:
    owner = await register(client)
    joined = await create_shop(client, owner, name=unique("Harbour Ceramics "))
    other = await create_shop(client, owner, name=unique("Dune Linen "))
    email = await sign_up(phone, name="Iris Invitee")
    await phone.check()
    await invite(client, owner, joined["id"], email)
    await invite(client, owner, other["id"], email, role="owner")
    page = phone.page

    await phone.open_menu()
    await page.get_by_role("link", name="Account").click()
    await page.wait_for_url("**/account")
    await phone.check()
    await page.get_by_role("link", name="Invitations (2 waiting)").click()
    await page.wait_for_url("**/account/invitations")
    await phone.check()

    card = page.get_by_role("listitem", name=joined["name"])
    assert "staff" in await card.inner_text()
    await card.get_by_role("button", name="Accept").click()
    await page.wait_for_url("**/account#shops")
    await page.get_by_role("status").get_by_text("Invitation accepted").wait_for()
    shops = page.get_by_role("region", name="Your shops")
    await shops.get_by_text(joined["name"]).wait_for()
    await phone.check()

    await shops.get_by_role("link", name="Invitations (1 waiting)").click()
    await page.wait_for_url("**/account/invitations")
    card = page.get_by_role("listitem", name=other["name"])
    assert "an owner" in await card.inner_text()
    await card.get_by_role("button", name="Decline").click()
    await page.wait_for_url("**/account/invitations")
    await page.get_by_text("No invitations waiting").wait_for()
    await phone.check()

    me = (await client.get("/api/v1/me", headers=await api_token(client, email))).json()
    assert me["shops"] == [{"id": joined["id"], "name": joined["name"], "role": "staff"}]
    assert me["invitations"] == []
