"""Payouts: only out of available earnings, idempotent, never twice for the same money even when they race,
and money back in the balance when the provider refuses."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from fastapi import FastAPI

from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.ledger import service as ledger
from shoppable.payment.payout_provider import TestPayoutProvider
from shoppable.worker import Worker
from tests.affiliate.test_flow_api import Promoted, promoted
from tests.helpers import Account, attribution_cookie, buy, click, register


async def earned(client: httpx.AsyncClient, app: FastAPI, database: Database) -> tuple[Promoted, int]:
    """A creator with 1000 × 10 % = 100 available: a sale through their link, delivered, its window passed."""
    p = await promoted(client, price=1000, bps=1000)
    cookie = attribution_cookie(await click(client, p.link["code"]))
    response = await buy(client, await register(client), [{"variant_id": p.variant, "quantity": 1}], cookie=cookie)
    order_id = response.json()["orders"][0]["id"]
    seller = p.listing.seller
    await client.post(
        f"/api/v1/orders/{order_id}/ship", json={"carrier": "DHL", "tracking_number": "1"}, headers=seller.headers
    )
    await client.post(f"/api/v1/orders/{order_id}/deliver", json={}, headers=seller.headers)
    await Worker(database, app.state.settings, app.state.payment_provider).run_once(now=utcnow() + timedelta(days=16))
    assert (await _balance(client, p.creator))["available"] == 100
    return p, 100


async def _balance(client: httpx.AsyncClient, creator: Account) -> dict[str, int]:
    return dict((await client.get("/api/v1/creators/me/balance", headers=creator.headers)).json()["USD"])


async def _pay_out(client: httpx.AsyncClient, creator: Account, amount: int, key: str | None = None) -> httpx.Response:
    headers = dict(creator.headers)
    if key:
        headers["Idempotency-Key"] = key
    return await client.post("/api/v1/creators/me/payouts", json={"amount": amount, "currency": "USD"}, headers=headers)


async def test_racing_payouts_for_the_same_balance_pay_once(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    p, available = await earned(client, app, database)
    responses = await asyncio.gather(*(_pay_out(client, p.creator, available, key=f"race-{i}") for i in range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 11
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_balance"}
    assert await _balance(client, p.creator) == {
        "currency": "USD",
        "pending": 0,
        "available": 0,
        "in_transit": 0,
        "paid_out": available,
    }
    async with database.session(write=False) as session:
        assert await ledger.verify(session) == []


async def test_a_payout_is_idempotent_and_only_from_what_is_available(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    p, available = await earned(client, app, database)
    too_much = await _pay_out(client, p.creator, available + 1, key="too-much")
    assert (too_much.status_code, too_much.json()["code"]) == (409, "insufficient_balance")
    first = await _pay_out(client, p.creator, 60, key="k1")
    again = await _pay_out(client, p.creator, 60, key="k1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    reused = await client.post(
        "/api/v1/creators/me/payouts",
        json={"amount": 61, "currency": "USD"},
        headers={**p.creator.headers, "Idempotency-Key": "k1"},
    )
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    assert (await _balance(client, p.creator))["available"] == 40
    listed = await client.get("/api/v1/creators/me/payouts", headers=p.creator.headers)
    assert [item["id"] for item in listed.json()["items"]] == [first.json()["id"]]
    for body in ({"amount": 0, "currency": "USD"}, {"amount": 5, "currency": "ZZZ"}, {"amount": -5, "currency": "USD"}):
        bad = await client.post("/api/v1/creators/me/payouts", json=body, headers=p.creator.headers)
        assert bad.status_code == 422, body


async def test_a_refused_payout_gives_the_money_back(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    p, available = await earned(client, app, database)
    provider: TestPayoutProvider = app.state.payout_provider
    provider.refuse.add(p.profile["id"])
    try:
        refused = await _pay_out(client, p.creator, available, key="refused")
    finally:
        provider.refuse.discard(p.profile["id"])
    assert refused.status_code == 201, refused.text
    assert (refused.json()["status"], refused.json()["failure_reason"] is not None) == ("failed", True)
    assert (await _balance(client, p.creator))["available"] == available
    assert (await _pay_out(client, p.creator, available)).json()["status"] == "paid"
    async with database.session(write=False) as session:
        assert await ledger.verify(session) == []


async def test_someone_without_a_creator_profile_has_no_payouts(client: httpx.AsyncClient) -> None:
    account = await register(client)
    response = await _pay_out(client, account, 100)
    assert (response.status_code, response.json()["code"]) == (403, "creator_required")


class _Silent:
    name = "silent"

    async def send(self, *, reference: str, creator_id: str, amount: object) -> str:
        raise TimeoutError("no answer")


async def test_a_provider_that_does_not_answer_leaves_the_money_in_transit(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    p, available = await earned(client, app, database)
    provider = app.state.payout_provider
    app.state.payout_provider = _Silent()
    try:
        lost = await _pay_out(client, p.creator, 30, key="silent")
    finally:
        app.state.payout_provider = provider
    assert (lost.status_code, lost.json()["code"]) == (502, "payout_provider_error")
    assert await _balance(client, p.creator) == {
        "currency": "USD",
        "pending": 0,
        "available": available - 30,
        "in_transit": 30,
        "paid_out": 0,
    }
    retried = await _pay_out(client, p.creator, 30, key="silent")
    assert (retried.status_code, retried.json()["code"]) == (409, "idempotency_in_progress")
    (listed,) = (await client.get("/api/v1/creators/me/payouts", headers=p.creator.headers)).json()["items"]
    assert listed["status"] == "processing"
    async with database.session(write=False) as session:
        assert await ledger.verify(session) == []
