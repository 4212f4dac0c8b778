"""The affiliate flow through HTTP: a link click leaves a cookie, the shopper buys, the creator's commission is
accrued, halved by a refund, settled by completion and paid out; and every way a sale earns nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shoppable.affiliate.tokens import ClickToken, sign
from shoppable.config import get_settings
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.ledger import accounts
from shoppable.ledger import service as ledger
from shoppable.worker import Worker
from tests.helpers import (
    Account,
    Listing,
    add_staff,
    attribution_cookie,
    become_creator,
    buy,
    click,
    link_for,
    list_product,
    open_plan,
    register,
)


def half_even(paid: int, bps: int) -> int:
    return int((Decimal(paid) * bps / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass
class Promoted:
    listing: Listing
    plan: dict[str, Any]
    creator: Account
    profile: dict[str, Any]
    link: dict[str, Any]

    @property
    def variant(self) -> str:
        return self.listing.variant_ids[0]


async def promoted(client: httpx.AsyncClient, *, price: int = 1999, bps: int = 1250) -> Promoted:
    listing = await list_product(client, (price, 20))
    plan = await open_plan(
        client, listing.seller, listing.shop["id"], kind="open", bps=bps, product_ids=[listing.product["id"]]
    )
    creator = await register(client)
    profile = await become_creator(client, creator)
    link = await link_for(client, creator, listing.product["id"])
    return Promoted(listing, plan, creator, profile, link)


async def _commissions(client: httpx.AsyncClient, creator: Account, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/creators/me/commissions", params=params, headers=creator.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def _balance(client: httpx.AsyncClient, creator: Account) -> dict[str, Any]:
    response = await client.get("/api/v1/creators/me/balance", headers=creator.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _post(client: httpx.AsyncClient, path: str, who: Account, body: object = None) -> httpx.Response:
    return await client.post(path, json=body if body is not None else {}, headers=who.headers)


async def _verify(database: Database) -> list[str]:
    async with database.session(write=False) as session:
        return await ledger.verify(session)


async def test_click_buy_refund_complete_payout(client: httpx.AsyncClient, app: FastAPI, database: Database) -> None:
    p = await promoted(client, price=1999, bps=1250)
    cookie = attribution_cookie(await click(client, p.link["code"]))
    buyer = await register(client)
    response = await buy(client, buyer, [{"variant_id": p.variant, "quantity": 2}], cookie=cookie)
    assert response.status_code == 201, response.text
    (order,) = response.json()["orders"]
    (line,) = order["lines"]
    expected = half_even(3998, 1250)  # 499.75 -> 500
    assert line["attribution"] == {
        "creator_id": p.profile["id"],
        "source_type": "link",
        "source_id": p.link["id"],
        "plan_id": p.plan["id"],
        "commission_bps": 1250,
        "commission": expected,
    }
    (pending,) = await _commissions(client, p.creator)
    assert (pending["amount"], pending["status"], pending["base"], pending["line_id"]) == (
        expected,
        "pending",
        3998,
        line["id"],
    )
    assert (await _balance(client, p.creator))["USD"] == {
        "currency": "USD",
        "pending": expected,
        "available": 0,
        "in_transit": 0,
        "paid_out": 0,
    }

    # The shop refunds one of the two units: the commission halves.
    seller = p.listing.seller
    refund = await _post(
        client,
        f"/api/v1/orders/{order['id']}/refunds",
        seller,
        {"lines": [{"line_id": line["id"], "quantity": 1}], "reason": "one broke"},
    )
    assert refund.status_code == 201, refund.text
    (halved,) = await _commissions(client, p.creator)
    assert (halved["amount"], halved["reversed_amount"], halved["status"]) == (expected // 2, expected // 2, "pending")
    refreshed = (await client.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers)).json()
    assert refreshed["lines"][0]["attribution"]["commission"] == expected // 2

    # Delivered, then the return window passes: the commission settles and becomes available.
    await _post(client, f"/api/v1/orders/{order['id']}/ship", seller, {"carrier": "UPS", "tracking_number": "1"})
    delivered = await _post(client, f"/api/v1/orders/{order['id']}/deliver", seller)
    (scheduled,) = await _commissions(client, p.creator)
    assert scheduled["settles_at"] == delivered.json()["return_window_ends_at"]
    await Worker(database, app.state.settings, app.state.payment_provider).run_once(now=utcnow() + timedelta(days=16))
    (settled,) = await _commissions(client, p.creator, status="settled")
    assert settled["amount"] == expected // 2
    assert (await _balance(client, p.creator))["USD"]["available"] == expected // 2
    assert (await _balance(client, p.creator))["USD"]["pending"] == 0
    # The shop keeps what the buyer paid less the refund, the fee kept and the commission kept.
    shop_available = accounts.shop_available(p.listing.shop["id"], "USD").ref
    async with database.session(write=False) as session:
        owed = -(await ledger.balances(session, [shop_available]))[shop_available].amount
    assert owed == 3998 - 1999 - (240 - 120) - expected // 2

    # A payout: the balance drops by exactly that much, and the books still balance.
    payout = await client.post(
        "/api/v1/creators/me/payouts",
        json={"amount": 200, "currency": "USD"},
        headers={**p.creator.headers, "Idempotency-Key": "payout-1"},
    )
    assert payout.status_code == 201, payout.text
    assert payout.json()["status"] == "paid"
    money = (await _balance(client, p.creator))["USD"]
    assert (money["available"], money["paid_out"], money["in_transit"]) == (expected // 2 - 200, 200, 0)
    assert await _verify(database) == []

    # The commission explains itself: the click, the line, the plan, the ledger.
    explained = await client.get(f"/api/v1/commissions/{settled['id']}/explain", headers=p.creator.headers)
    assert explained.status_code == 200, explained.text
    body = explained.json()
    assert body["source"]["type"] == "link"
    assert body["source"]["link"]["code"] == p.link["code"]
    assert body["source"]["click_id"].startswith("clk_")
    assert body["plan"]["id"] == p.plan["id"]
    assert body["order_line"]["paid"] == 3998
    assert body["order_line"]["units_refunded"] == 1
    assert [t["kind"] for t in body["ledger"]] == ["commission.accrue", "commission.reverse", "commission.settle"]
    for txn in body["ledger"]:
        assert sum(entry["amount"] for entry in txn["entries"]) == 0
    assert "open plan at 1250 bps" in body["why"]


async def test_a_cancelled_order_earns_nothing(client: httpx.AsyncClient, database: Database) -> None:
    p = await promoted(client)
    cookie = attribution_cookie(await click(client, p.link["code"]))
    buyer = await register(client)
    response = await buy(client, buyer, [{"variant_id": p.variant, "quantity": 3}], cookie=cookie)
    (order,) = response.json()["orders"]
    cancelled = await _post(client, f"/api/v1/orders/{order['id']}/cancel", buyer)
    assert cancelled.status_code == 200, cancelled.text
    (reversed_,) = await _commissions(client, p.creator)
    assert (reversed_["status"], reversed_["amount"]) == ("reversed", 0)
    assert cancelled.json()["lines"][0]["attribution"]["commission"] == 0
    assert (await _balance(client, p.creator))["USD"]["pending"] == 0
    assert await _verify(database) == []


async def test_an_in_app_link_source_credits_without_a_cookie(client: httpx.AsyncClient) -> None:
    p = await promoted(client, price=1000, bps=800)
    buyer = await register(client)
    item = {"variant_id": p.variant, "quantity": 1, "source": {"type": "link", "id": p.link["id"]}}
    response = await buy(client, buyer, [item])
    assert response.status_code == 201, response.text
    (commission,) = await _commissions(client, p.creator)
    assert (commission["amount"], commission["source_id"]) == (80, p.link["id"])


async def test_the_last_click_wins(client: httpx.AsyncClient) -> None:
    p = await promoted(client, price=1000, bps=1000)
    other = await register(client)
    await become_creator(client, other)
    other_link = await link_for(client, other, p.listing.product["id"])
    first = attribution_cookie(await click(client, p.link["code"]))
    both = attribution_cookie(await click(client, other_link["code"], cookie=first))
    assert both.count("~") == 1  # the cookie keeps the earlier click too
    await buy(client, await register(client), [{"variant_id": p.variant, "quantity": 1}], cookie=both)
    assert await _commissions(client, p.creator) == []
    (credited,) = await _commissions(client, other)
    assert credited["source_id"] == other_link["id"]


async def test_self_purchase_earns_nothing(client: httpx.AsyncClient) -> None:
    p = await promoted(client)
    cookie = attribution_cookie(await click(client, p.link["code"]))
    response = await buy(client, p.creator, [{"variant_id": p.variant, "quantity": 1}], cookie=cookie)
    assert response.status_code == 201, response.text
    assert response.json()["orders"][0]["lines"][0]["attribution"] is None
    assert await _commissions(client, p.creator) == []


async def test_staff_purchase_earns_nothing(client: httpx.AsyncClient) -> None:
    p = await promoted(client)
    staff = await register(client)
    await add_staff(client, p.listing.seller, p.listing.shop["id"], staff)
    cookie = attribution_cookie(await click(client, p.link["code"]))
    response = await buy(client, staff, [{"variant_id": p.variant, "quantity": 1}], cookie=cookie)
    assert response.status_code == 201, response.text
    assert await _commissions(client, p.creator) == []


def _token(p: Promoted, *, days_ago: float) -> str:
    clicked = utcnow() - timedelta(days=days_ago)
    token = ClickToken(p.link["id"], p.profile["id"], p.listing.product["id"], clicked, "clk_test")
    return sign(token, get_settings().secret_key)


async def test_an_expired_token_earns_nothing_and_one_inside_the_window_does(client: httpx.AsyncClient) -> None:
    p = await promoted(client, price=1000, bps=1000)
    await buy(client, await register(client), [{"variant_id": p.variant, "quantity": 1}], cookie=_token(p, days_ago=8))
    assert await _commissions(client, p.creator) == []
    await buy(client, await register(client), [{"variant_id": p.variant, "quantity": 1}], cookie=_token(p, days_ago=6))
    (commission,) = await _commissions(client, p.creator)
    assert commission["amount"] == 100


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # the signature
        lambda t: t.split(".")[0] + "." + t.split(".")[1][::-1] + "." + t.split(".")[2],  # the payload
        lambda t: "v1.e30." + t.split(".")[2],
        lambda t: "garbage",
    ],
)
async def test_a_tampered_token_is_ignored(client: httpx.AsyncClient, tamper: Any) -> None:
    p = await promoted(client)
    cookie = attribution_cookie(await click(client, p.link["code"]))
    buyer = await register(client)
    response = await buy(client, buyer, [{"variant_id": p.variant, "quantity": 1}], cookie=tamper(cookie))
    assert response.status_code == 201, response.text  # the purchase goes through; the credit does not
    assert response.json()["orders"][0]["lines"][0]["attribution"] is None
    assert await _commissions(client, p.creator) == []


async def test_a_plan_ended_after_the_click_earns_nothing(client: httpx.AsyncClient) -> None:
    p = await promoted(client)
    cookie = attribution_cookie(await click(client, p.link["code"]))
    ended = await _post(client, f"/api/v1/affiliate-plans/{p.plan['id']}/end", p.listing.seller)
    assert ended.status_code == 200, ended.text
    response = await buy(client, await register(client), [{"variant_id": p.variant, "quantity": 1}], cookie=cookie)
    assert response.status_code == 201
    assert await _commissions(client, p.creator) == []


async def test_commissions_accrued_before_a_plan_ends_keep_their_rate(client: httpx.AsyncClient) -> None:
    p = await promoted(client, price=1000, bps=1500)
    cookie = attribution_cookie(await click(client, p.link["code"]))
    await buy(client, await register(client), [{"variant_id": p.variant, "quantity": 1}], cookie=cookie)
    await _post(client, f"/api/v1/affiliate-plans/{p.plan['id']}/end", p.listing.seller)
    (commission,) = await _commissions(client, p.creator)
    assert (commission["commission_bps"], commission["amount"], commission["status"]) == (1500, 150, "pending")


async def test_a_cut_reaches_a_promoting_creator_only_after_the_notice(client: httpx.AsyncClient) -> None:
    p = await promoted(client, price=1000, bps=2000)
    cut = await client.patch(
        f"/api/v1/affiliate-plans/{p.plan['id']}", json={"commission_bps": 1000}, headers=p.listing.seller.headers
    )
    assert cut.status_code == 200, cut.text
    assert [r["commission_bps"] for r in cut.json()["rate_history"]] == [2000, 1000]
    newcomer = await register(client)
    await become_creator(client, newcomer)
    assert (await link_for(client, newcomer, p.listing.product["id"]))["commission_bps"] == 1000
    assert (await link_for(client, p.creator, p.listing.product["id"]))["commission_bps"] == 2000
    cookie = attribution_cookie(await click(client, p.link["code"]))
    await buy(client, await register(client), [{"variant_id": p.variant, "quantity": 1}], cookie=cookie)
    (commission,) = await _commissions(client, p.creator)
    assert commission["commission_bps"] == 2000
    raised = await client.patch(
        f"/api/v1/affiliate-plans/{p.plan['id']}", json={"commission_bps": 3000}, headers=p.listing.seller.headers
    )
    assert raised.status_code == 200
    assert (await link_for(client, newcomer, p.listing.product["id"]))["commission_bps"] == 3000


async def test_creators_see_only_their_own_and_shops_only_what_they_fund(client: httpx.AsyncClient) -> None:
    p = await promoted(client)
    cookie = attribution_cookie(await click(client, p.link["code"]))
    await buy(client, await register(client), [{"variant_id": p.variant, "quantity": 1}], cookie=cookie)
    (mine,) = await _commissions(client, p.creator)
    stranger = await register(client)
    await become_creator(client, stranger)
    assert await _commissions(client, stranger) == []
    assert (await client.get("/api/v1/affiliate/links", headers=stranger.headers)).json()["items"] == []
    assert await _balance(client, stranger) == {}
    explain = f"/api/v1/commissions/{mine['id']}/explain"
    assert (await client.get(explain, headers=stranger.headers)).status_code == 404
    other = await list_product(client, (500, 1))
    assert (await client.get(explain, headers=other.seller.headers)).status_code == 404
    assert (await client.get(explain, headers=p.listing.seller.headers)).status_code == 200
    funded = await client.get(f"/api/v1/shops/{p.listing.shop['id']}/commissions", headers=p.listing.seller.headers)
    assert [c["id"] for c in funded.json()["items"]] == [mine["id"]]
    assert funded.json()["items"][0]["creator_id"] == p.profile["id"]
    refused = await client.get(f"/api/v1/shops/{p.listing.shop['id']}/commissions", headers=other.seller.headers)
    assert refused.status_code == 403
    no_profile = await register(client)
    response = await client.get("/api/v1/creators/me/commissions", headers=no_profile.headers)
    assert (response.status_code, response.json()["code"]) == (403, "creator_required")
