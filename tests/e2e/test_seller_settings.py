"""The Seller Center's finance and settings pages in Chromium at a phone's width: a seller who signed up in the
browser withdraws part of the shop's available balance, saves its details, invites staff and creates and revokes
an API key, and every page passes ``Tab.check()`` (no console error, no failed request, no sideways scroll, no
serious axe violation)."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from fastapi import FastAPI

from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.worker import Worker
from tests.e2e.browser import Tab
from tests.e2e.test_seller_pages import _seller
from tests.web.seller_helpers import attributed_order


async def test_finance_and_settings_pages(
    client: httpx.AsyncClient, app: FastAPI, database: Database, phone: Tab
) -> None:
    seller = await _seller(client, phone)
    order, _, _ = await attributed_order(client, seller, quantity=2, price=2500)
    headers = seller.account.headers
    shipped = await client.post(
        f"/api/v1/orders/{order['id']}/ship", json={"carrier": "UPS", "tracking_number": "1Z"}, headers=headers
    )
    assert shipped.status_code == 200, shipped.text
    assert (await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=headers)).status_code == 200
    await Worker(database, app.state.settings, app.state.payment_provider).run_once(now=utcnow() + timedelta(days=16))
    (before,) = (await client.get(f"/api/v1/shops/{seller.shop['id']}/finance", headers=headers)).json()
    assert before["available"] > 1000
    page = phone.page

    await phone.goto(f"{seller.base}/finance")
    await phone.check()
    amount = page.get_by_label("Amount")
    phone.allow(f"{seller.base}/finance/payouts", 422)
    await amount.fill("1,000,000")
    await page.get_by_role("button", name="Withdraw").click()
    await page.locator("#f-amount-usd-error").wait_for()
    await phone.check()
    await page.get_by_label("Amount").fill("10.00")
    await page.get_by_role("button", name="Withdraw").dblclick()
    await page.get_by_role("status").filter(has_text="Withdrawal sent").wait_for()
    await page.wait_for_load_state("networkidle")
    await phone.check()
    payouts = (await client.get(f"/api/v1/shops/{seller.shop['id']}/payouts", headers=headers)).json()["items"]
    assert [p["amount"] for p in payouts] == [1000]
    await page.get_by_role("link", name=re.compile("Transactions behind available")).click()
    await page.wait_for_url(re.compile(r"show=available"))
    await page.get_by_role("rowheader", name="Withdrawal requested").wait_for()
    await phone.check()
    await page.get_by_text("How it adds up").click()
    await page.get_by_role("link", name="Referral fees", exact=True).first.click()
    await page.wait_for_url(re.compile(r"show=fees"))
    await phone.check()

    await phone.goto(f"{seller.base}/settings")
    await phone.check()
    await page.get_by_label("Shop name").fill("Mara's Pottery")
    await page.get_by_label("Time zone").select_option("Europe/Lisbon")
    await page.get_by_role("button", name="Save details").click()
    await page.get_by_role("status").filter(has_text="Shop details saved").wait_for()
    await phone.check()
    shop = (await client.get(f"/api/v1/shops/{seller.shop['id']}")).json()
    assert (shop["name"], shop["time_zone"]) == ("Mara's Pottery", "Europe/Lisbon")

    await page.get_by_role("link", name="Staff and roles").first.click()
    await page.wait_for_url(f"**{seller.base}/settings/staff")
    await phone.check()
    await page.get_by_label("Email").fill("helper@example.com")
    await page.get_by_role("button", name="Send invitation").click()
    await page.get_by_role("button", name="Revoke the invitation to helper@example.com").wait_for()
    await phone.check()

    await phone.goto(f"{seller.base}/settings/api-keys")
    await phone.check()
    await page.get_by_label("Key name").fill("Warehouse sync")
    await page.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-key")
    await secret.wait_for()
    key = (await secret.text_content() or "").strip()
    assert key.startswith("spk_")
    await phone.check()
    await phone.goto(f"{seller.base}/settings/api-keys")
    assert key not in await page.content()
    await page.get_by_role("button", name=re.compile("Revoke Warehouse sync")).click()
    await page.get_by_role("status").filter(has_text="API key revoked").wait_for()
    await phone.check()
