"""Shop payouts over HTTP: owner only, only out of the available balance, idempotent, racing withdrawals pay once,
a refusal gives the money back; the finance figures read from the ledger, which stays balanced."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI

from shoppable.identity.rules import Principal
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.ledger import accounts
from shoppable.ledger import service as ledger
from shoppable.order import payouts
from shoppable.payment.payout_provider import TestPayoutProvider
from shoppable.worker import Worker
from tests.helpers import Account, Listing, add_staff, bought, list_product, register


async def settled_shop(client: httpx.AsyncClient, app: FastAPI, database: Database) -> tuple[Listing, int]:
    """A shop with one completed 10.00 sale (6 % referral fee): 9.40 available."""
    listing = await list_product(client, (1000, 10))
    order = await bought(client, await register(client), listing.variant_ids[0])
    seller = listing.seller
    shipped = await client.post(
        f"/api/v1/orders/{order['id']}/ship", json={"carrier": "DHL", "tracking_number": "1"}, headers=seller.headers
    )
    assert shipped.status_code == 200, shipped.text
    await client.post(f"/api/v1/orders/{order['id']}/deliver", json={}, headers=seller.headers)
    await Worker(database, app.state.settings, app.state.payment_provider).run_once(now=utcnow() + timedelta(days=16))
    return listing, 940


async def _finance(client: httpx.AsyncClient, who: Account, shop_id: str) -> dict[str, int]:
    response = await client.get(f"/api/v1/shops/{shop_id}/finance", headers=who.headers)
    assert response.status_code == 200, response.text
    (usd,) = response.json()
    return dict(usd)


async def _withdraw(
    client: httpx.AsyncClient, who: Account, shop_id: str, amount: int, key: str | None = None, currency: str = "USD"
) -> httpx.Response:
    headers = dict(who.headers)
    if key:
        headers["Idempotency-Key"] = key
    return await client.post(
        f"/api/v1/shops/{shop_id}/payouts", json={"amount": amount, "currency": currency}, headers=headers
    )


async def _verified(database: Database) -> None:
    async with database.session(write=False) as session:
        assert await ledger.verify(session) == []


async def test_the_owner_withdraws_once_per_key_and_only_what_is_available(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    listing, available = await settled_shop(client, app, database)
    owner, shop_id = listing.seller, listing.shop["id"]
    before = await _finance(client, owner, shop_id)
    assert before == {
        "currency": "USD",
        "pending": 0,
        "available": available,
        "in_transit": 0,
        "paid_out": 0,
        "sales": 1000,
        "refunds": 0,
        "fees": 60,
        "commissions": 0,
    }
    too_much = await _withdraw(client, owner, shop_id, available + 1, key="too-much")
    assert (too_much.status_code, too_much.json()["code"]) == (409, "insufficient_balance")
    zero = await _withdraw(client, owner, shop_id, 0)
    assert zero.status_code == 422
    wrong_currency = await _withdraw(client, owner, shop_id, 100, currency="EUR")
    assert (wrong_currency.status_code, wrong_currency.json()["code"]) == (409, "insufficient_balance")

    first = await _withdraw(client, owner, shop_id, 400, key="w1")
    again = await _withdraw(client, owner, shop_id, 400, key="w1")
    assert (first.status_code, again.status_code) == (201, 201), first.text
    assert first.json() == again.json()
    assert (first.json()["status"], first.json()["shop_id"], first.json()["requested_by"]) == (
        "paid",
        shop_id,
        owner.id,
    )
    reused = await _withdraw(client, owner, shop_id, 401, key="w1")
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")

    after = await _finance(client, owner, shop_id)
    assert (after["available"], after["in_transit"], after["paid_out"]) == (available - 400, 0, 400)
    listed = (await client.get(f"/api/v1/shops/{shop_id}/payouts", headers=owner.headers)).json()
    assert [p["id"] for p in listed["items"]] == [first.json()["id"]]
    async with database.session(write=False) as session:
        ref = accounts.shop_available(shop_id, "USD").ref
        assert (await ledger.balances(session, [ref]))[ref].amount == -(available - 400)
    await _verified(database)


async def test_only_the_owner_withdraws(client: httpx.AsyncClient, app: FastAPI, database: Database) -> None:
    listing, available = await settled_shop(client, app, database)
    owner, shop_id = listing.seller, listing.shop["id"]
    staff, stranger = await register(client), await register(client)
    await add_staff(client, owner, shop_id, staff)
    key = (await client.post(f"/api/v1/shops/{shop_id}/api-keys", headers=owner.headers)).json()["key"]
    shop_key = Account(id="", email="", token=key)
    for who in (staff, stranger, shop_key):
        refused = await _withdraw(client, who, shop_id, 100, key="nope")
        assert refused.status_code == 403, refused.text
    # Staff and the shop's key read the figures and payouts; a stranger reads neither.
    assert (await _finance(client, staff, shop_id))["available"] == available
    assert (await client.get(f"/api/v1/shops/{shop_id}/payouts", headers=shop_key.headers)).status_code == 200
    assert (await client.get(f"/api/v1/shops/{shop_id}/finance", headers=stranger.headers)).status_code == 403
    assert (await client.get(f"/api/v1/shops/{shop_id}/payouts", headers=stranger.headers)).status_code == 403
    assert (await _finance(client, owner, shop_id))["available"] == available
    await _verified(database)


async def test_racing_withdrawals_pay_once(client: httpx.AsyncClient, app: FastAPI, database: Database) -> None:
    listing, available = await settled_shop(client, app, database)
    owner, shop_id = listing.seller, listing.shop["id"]
    responses = await asyncio.gather(*(_withdraw(client, owner, shop_id, available, key=f"race-{i}") for i in range(8)))
    assert sorted(r.status_code for r in responses) == [201] + [409] * 7
    figures = await _finance(client, owner, shop_id)
    assert (figures["available"], figures["in_transit"], figures["paid_out"]) == (0, 0, available)
    await _verified(database)


async def test_a_refused_withdrawal_gives_the_money_back(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    listing, available = await settled_shop(client, app, database)
    owner, shop_id = listing.seller, listing.shop["id"]
    provider: TestPayoutProvider = app.state.payout_provider
    provider.refuse.add(shop_id)
    try:
        refused = await _withdraw(client, owner, shop_id, available, key="refused")
    finally:
        provider.refuse.discard(shop_id)
    assert refused.status_code == 201, refused.text
    assert (refused.json()["status"], bool(refused.json()["failure_reason"])) == ("failed", True)
    figures = await _finance(client, owner, shop_id)
    assert (figures["available"], figures["in_transit"], figures["paid_out"]) == (available, 0, 0)
    await _verified(database)


async def test_the_transactions_behind_the_figures_page_newest_first(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    listing, _ = await settled_shop(client, app, database)
    owner, shop_id = listing.seller, listing.shop["id"]
    assert (await _withdraw(client, owner, shop_id, 100, key="p1")).status_code == 201
    principal = Principal(user_id=owner.id)
    async with database.session(write=False) as session:
        every, last = await payouts.transactions(session, principal, shop_id, "USD", limit=50)
        assert last is None
        walked, cursor = [], None
        while True:
            page, cursor = await payouts.transactions(session, principal, shop_id, "USD", limit=2, cursor=cursor)
            walked += page
            if cursor is None:
                break
        fees, _ = await payouts.transactions(session, principal, shop_id, "USD", figure="fees", limit=50)
        paid, _ = await payouts.transactions(session, principal, shop_id, "USD", figure="paid_out", limit=50)
    kinds = [row["kind"] for row in every]
    assert kinds == ["shop_payout.sent", "shop_payout.reserve", "order.settlement", "order.fee", "order.capture"]
    assert [row["id"] for row in walked] == [row["id"] for row in every]
    assert [(row["kind"], row["pending"], row["order_number"] is not None) for row in fees] == [
        ("order.fee", -60, True)
    ]
    assert [(row["kind"], row["in_transit"]) for row in paid] == [("shop_payout.sent", -100)]
    reserve = every[1]
    assert (reserve["available"], reserve["in_transit"], reserve["order_id"]) == (-100, 100, None)
