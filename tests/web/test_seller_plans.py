"""Affiliate plans in the Seller Center over HTTP: plans listed by kind with their creators, orders and
commission; opening shop, open and targeted plans, with errors beside their fields; a cut's consequence spelled
out and saved only once confirmed, a raise saved at once; ending a plan. Another shop's plan is the 404 page."""

from __future__ import annotations

import re

import httpx
import pytest

from shoppable.web.seller.plans import bps_to_percent, percent_to_bps
from tests.helpers import become_creator, create_product, link_for, open_plan, register
from tests.web.seller_helpers import HTML, attributed_order, other_client, page_seller


@pytest.mark.parametrize(
    ("text", "bps"),
    [
        ("15", 1500),
        ("12.5", 1250),
        (" 7.25 % ", 725),
        ("0.01", 1),
        ("1.005", None),
        ("x", None),
        ("", None),
        ("NaN", None),
    ],
)
def test_percent_to_bps(text: str, bps: int | None) -> None:
    assert percent_to_bps(text) == bps


def test_bps_to_percent() -> None:
    assert [bps_to_percent(b) for b in (1500, 1250, 725, 100)] == ["15", "12.5", "7.25", "1"]


async def _plans(client: httpx.AsyncClient, seller_headers: dict[str, str], shop_id: str) -> list[dict]:
    answer = await client.get(f"/api/v1/shops/{shop_id}/affiliate-plans", headers=seller_headers)
    return list(answer.json()["items"])


async def test_open_plan_at_15_percent_for_two_products(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    first = await create_product(client, seller.account, seller.shop["id"], title="Stoneware Mug")
    second = await create_product(client, seller.account, seller.shop["id"], title="Linen Apron")
    page = await client.get(f"{seller.base}/plans", headers=HTML)
    assert page.status_code == 200
    assert 'for="f-kind">Plan kind<' in page.text
    assert 'for="f-commission">Commission (%)<' in page.text
    assert re.search(r">\s*Create plan\s*</button>", page.text)
    assert "Stoneware Mug" in page.text

    created = await client.post(
        f"{seller.base}/plans",
        data={
            "csrf_token": seller.csrf,
            "kind": "open",
            "name": "Spring makers",
            "commission": "15",
            "product_ids": [first["id"], second["id"]],
        },
        headers=HTML,
    )
    assert created.status_code == 303, created.text
    (plan,) = await _plans(client, seller.account.headers, seller.shop["id"])
    assert (plan["kind"], plan["commission_bps"]) == ("open", 1500)
    assert sorted(plan["product_ids"]) == sorted([first["id"], second["id"]])
    listed = await client.get(f"{seller.base}/plans", headers=HTML)
    assert "Spring makers" in listed.text
    assert "15 %" in listed.text


async def test_plan_form_errors_sit_beside_their_fields(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    refused = await client.post(
        f"{seller.base}/plans",
        data={
            "csrf_token": seller.csrf,
            "kind": "targeted",
            "name": "",
            "commission": "95",
            "creators": "@nobody-here",
        },
        headers=HTML,
    )
    assert refused.status_code == 422
    for field in ("name", "commission", "product-ids", "creators"):
        assert f'id="f-{field}-error"' in refused.text, field
    assert "The commission must be 1 % to 80 %" in refused.text
    assert "No creator has the handle @nobody-here" in refused.text
    assert await _plans(client, seller.account.headers, seller.shop["id"]) == []


async def test_targeted_plan_invites_creators_by_handle(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    product = await create_product(client, seller.account, seller.shop["id"])
    async with other_client(client) as elsewhere:
        creator = await become_creator(elsewhere, await register(elsewhere))
    suggestions = await client.get(f"{seller.base}/plans/creators?q={creator['handle'][:4]}", headers=HTML)
    assert f'data-add-handle="{creator["handle"]}"' in suggestions.text
    created = await client.post(
        f"{seller.base}/plans",
        data={
            "csrf_token": seller.csrf,
            "kind": "targeted",
            "name": "Invited",
            "commission": "20",
            "product_ids": product["id"],
            "creators": f"@{creator['handle'].upper()}",
        },
        headers=HTML,
    )
    assert created.status_code == 303, created.text
    (plan,) = await _plans(client, seller.account.headers, seller.shop["id"])
    assert plan["creator_ids"] == [creator["id"]]


async def test_a_cut_says_whom_it_reaches_when_and_waits_for_confirmation(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    product = await create_product(client, seller.account, seller.shop["id"])
    plan = await open_plan(
        client, seller.account, seller.shop["id"], kind="open", bps=2000, product_ids=[product["id"]]
    )
    async with other_client(client) as elsewhere:
        for _ in range(2):
            creator_account = await register(elsewhere)
            await become_creator(elsewhere, creator_account)
            await link_for(elsewhere, creator_account, product["id"])
    page = await client.get(f"{seller.base}/plans/{plan['id']}", headers=HTML)
    assert "it reaches the 2 creators already promoting on" in page.text

    asked = await client.post(
        f"{seller.base}/plans/{plan['id']}/rate", data={"csrf_token": seller.csrf, "commission": "12"}, headers=HTML
    )
    assert asked.status_code == 200
    assert re.search(r"a cut reaches the 2 creators already promoting on \S*\d{4}-\d{2}-\d{2}", asked.text)
    assert re.search(r">\s*Confirm the cut\s*</button>", asked.text)
    (unchanged,) = await _plans(client, seller.account.headers, seller.shop["id"])
    assert unchanged["commission_bps"] == 2000

    confirmed = await client.post(
        f"{seller.base}/plans/{plan['id']}/rate",
        data={"csrf_token": seller.csrf, "commission": "12", "confirm": "1"},
        headers=HTML,
    )
    assert confirmed.status_code == 303
    (cut,) = await _plans(client, seller.account.headers, seller.shop["id"])
    assert cut["commission_bps"] == 1200

    raised = await client.post(
        f"{seller.base}/plans/{plan['id']}/rate", data={"csrf_token": seller.csrf, "commission": "25"}, headers=HTML
    )
    assert raised.status_code == 303
    (up,) = await _plans(client, seller.account.headers, seller.shop["id"])
    assert up["commission_bps"] == 2500


async def test_plans_show_orders_and_commission_and_end(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    await attributed_order(client, seller, quantity=2, price=2500)  # a 15 % shop plan: $7.50 on $50.00
    (plan,) = await _plans(client, seller.account.headers, seller.shop["id"])
    page = await client.get(f"{seller.base}/plans/{plan['id']}", headers=HTML)
    assert re.search(r"Creators promoting</dt><dd>1<", page.text)
    assert re.search(r"Orders credited</dt><dd>1<", page.text)
    assert "$7.50" in page.text
    ended = await client.post(f"{seller.base}/plans/{plan['id']}/end", data={"csrf_token": seller.csrf}, headers=HTML)
    assert ended.status_code == 303
    (after,) = await _plans(client, seller.account.headers, seller.shop["id"])
    assert after["status"] == "ended"


async def test_another_shop_s_plan_is_the_404_page_and_forms_need_csrf(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    async with other_client(client) as elsewhere:
        other = await register(elsewhere)
        shop = (
            await elsewhere.post("/api/v1/shops", json={"name": "Elsewhere", "currency": "USD"}, headers=other.headers)
        ).json()
        theirs = await open_plan(elsewhere, other, shop["id"])
    assert (await client.get(f"{seller.base}/plans/{theirs['id']}", headers=HTML)).status_code == 404
    ended = await client.post(f"{seller.base}/plans/{theirs['id']}/end", data={"csrf_token": seller.csrf}, headers=HTML)
    assert ended.status_code == 404
    no_token = await client.post(
        f"{seller.base}/plans", data={"kind": "shop", "name": "Sneaky", "commission": "10"}, headers=HTML
    )
    assert no_token.status_code == 403
    assert await _plans(client, seller.account.headers, seller.shop["id"]) == []
