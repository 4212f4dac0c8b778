"""The Seller Center's finance page over HTTP: its figures equal the ledger's after a scripted set of orders,
refunds, cancellations and completions; the owner withdraws (exact decimal amounts, errors beside the field, the
same form twice pays once); staff see the figures but cannot withdraw; a form without its CSRF token changes
nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.ledger import accounts
from shoppable.ledger import service as ledger
from shoppable.ledger.models import LedgerEntry, LedgerTransaction
from shoppable.web.templating import money
from shoppable.worker import Worker
from tests.helpers import buy, create_product, register, unique
from tests.web.seller_helpers import HTML, SellerAtWork, attributed_order, other_client, page_seller, page_staff


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)">−?([^<]+)<', html))


def withdraw_form(html: str) -> dict[str, str]:
    form = re.search(r'<form class="stack withdraw".*?</form>', html, re.S)
    assert form is not None, "no withdraw form"
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
    fields.update(re.findall(r'<input id="f-amount-\w+" name="(amount)" type="text" value="([^"]*)"', form.group(0)))
    return fields


async def _settle(app: FastAPI, database: Database) -> None:
    await Worker(database, app.state.settings, app.state.payment_provider).run_once(now=utcnow() + timedelta(days=16))


async def _ship_and_deliver(client: httpx.AsyncClient, seller: SellerAtWork, order_id: str) -> None:
    headers = seller.account.headers
    shipped = await client.post(
        f"/api/v1/orders/{order_id}/ship", json={"carrier": "UPS", "tracking_number": "1Z"}, headers=headers
    )
    assert shipped.status_code == 200, shipped.text
    assert (await client.post(f"/api/v1/orders/{order_id}/deliver", json={}, headers=headers)).status_code == 200


async def _refund(client: httpx.AsyncClient, seller: SellerAtWork, order: dict[str, Any], units: int) -> None:
    line = order["lines"][0]["id"]
    refunded = await client.post(
        f"/api/v1/orders/{order['id']}/refunds",
        json={"lines": [{"line_id": line, "quantity": units}], "reason": "damaged"},
        headers=seller.account.headers,
    )
    assert refunded.status_code == 201, refunded.text


async def scripted_sales(client: httpx.AsyncClient, app: FastAPI, database: Database, seller: SellerAtWork) -> None:
    """Orders of every fate at the seller's shop: completed, partly refunded then completed, refunded after it
    completed, cancelled, still waiting to ship, and one a creator's link brought (with its commission)."""
    product = await create_product(
        client,
        seller.account,
        seller.shop["id"],
        variants=[{"sku": unique("SKU-"), "options": {"Size": "M"}, "price": 1999, "inventory_quantity": 100}],
    )
    variant = product["variants"][0]["id"]
    orders = []
    async with other_client(client) as shopper:
        buyer = await register(shopper)
        for quantity in (1, 3, 2, 1, 2):
            answer = await buy(shopper, buyer, [{"variant_id": variant, "quantity": quantity}])
            assert answer.status_code == 201, answer.text
            orders.append(answer.json()["orders"][0])
    completed, partly, later_refunded, cancelled, _waiting = orders
    attributed, _, _ = await attributed_order(client, seller, quantity=2, price=2500)
    await _refund(client, seller, partly, 1)
    cancel = await client.post(f"/api/v1/orders/{cancelled['id']}/cancel", json={}, headers=seller.account.headers)
    assert cancel.status_code == 200, cancel.text
    for order in (completed, partly, later_refunded, attributed):
        await _ship_and_deliver(client, seller, order["id"])
    await _refund(client, seller, attributed, 1)
    await _settle(app, database)
    await _refund(client, seller, later_refunded, 1)


async def ledger_figures(database: Database, shop_id: str) -> dict[str, int]:
    """What the ledger holds for the shop in USD, read without the finance service: balances, and the platform's
    fee revenue in the transactions that moved the shop's payable."""
    pending, available, transit = (
        accounts.shop_pending(shop_id, "USD").ref,
        accounts.shop_available(shop_id, "USD").ref,
        accounts.shop_payouts_in_transit(shop_id, "USD").ref,
    )
    shop_accounts = [ledger.account_id(ref) for ref in (pending, available)]
    fee_account = ledger.account_id(accounts.fee_revenue("USD").ref)
    async with database.session(write=False) as session:
        found = await ledger.balances(session, [pending, available, transit])
        touching = select(LedgerEntry.transaction_id).where(LedgerEntry.account_id.in_(shop_accounts))
        fees = await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.account_id == fee_account, LedgerEntry.transaction_id.in_(touching)
            )
        )
        captured = await session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0))
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(LedgerEntry.account_id.in_(shop_accounts), LedgerTransaction.kind == "order.capture")
        )
        assert await ledger.verify(session) == []
    return {
        "pending": -found[pending].amount,
        "available": -found[available].amount,
        "in_transit": -found[transit].amount,
        "fees": -int(fees or 0),
        "sales": -int(captured or 0),
    }


async def test_the_figures_equal_the_ledgers_after_orders_refunds_and_completions(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    seller = await page_seller(client)
    await scripted_sales(client, app, database, seller)
    books = await ledger_figures(database, seller.shop["id"])
    assert books["pending"] > 0
    assert books["available"] > 0
    assert books["fees"] > 0
    page = await client.get(f"{seller.base}/finance", headers=HTML)
    assert page.status_code == 200, page.text
    shown = figures(page.text)
    for name in ("pending", "available", "fees", "sales"):
        assert shown[name] == money(books[name], "USD"), name
    assert shown["paid_out"] == money(0, "USD")
    # Withdraw part of it through the page: the figures move with the ledger.
    form = withdraw_form(page.text)
    assert form["amount"] == f"{books['available'] // 100}.{books['available'] % 100:02d}"
    sent = await client.post(
        f"{seller.base}/finance/payouts", data={**form, "amount": "10.5"}, headers=HTML, follow_redirects=False
    )
    assert sent.status_code == 303, sent.text
    after = await ledger_figures(database, seller.shop["id"])
    assert after["available"] == books["available"] - 1050
    shown = figures((await client.get(f"{seller.base}/finance", headers=HTML)).text)
    assert shown["available"] == money(after["available"], "USD")
    assert shown["paid_out"] == money(1050, "USD")
    # The sum adds up: what the shop sold, less refunds, fees and commissions, is what it is owed and was paid.
    api = (await client.get(f"/api/v1/shops/{seller.shop['id']}/finance", headers=seller.account.headers)).json()[0]
    assert api["sales"] - api["refunds"] - api["fees"] - api["commissions"] == (
        api["pending"] + api["available"] + api["in_transit"] + api["paid_out"]
    )
    assert api["commissions"] > 0
    assert api["refunds"] > 0


async def test_the_transactions_behind_each_figure(client: httpx.AsyncClient, app: FastAPI, database: Database) -> None:
    seller = await page_seller(client)
    await scripted_sales(client, app, database, seller)
    every = await client.get(f"{seller.base}/finance?show=", headers=HTML)
    assert "Sale" in every.text
    assert "Referral fee" in every.text
    assert "Order completed: settled" in every.text
    fees = await client.get(f"{seller.base}/finance?currency=USD&show=fees", headers=HTML)
    rows = re.findall(r'<th scope="row">([^<]+)</th>', fees.text)
    assert rows
    assert set(rows) <= {"Referral fee", "Referral fee returned"}
    assert "Referral fee returned" in rows
    refunds = await client.get(f"{seller.base}/finance?show=refunds", headers=HTML)
    assert set(re.findall(r'<th scope="row">([^<]+)</th>', refunds.text)) == {"Refund"}
    assert f'href="{seller.base}/orders/' in refunds.text
    # A tampered cursor shows the first page; an unknown filter shows everything.
    assert (await client.get(f"{seller.base}/finance?cursor=nonsense", headers=HTML)).status_code == 200
    assert (await client.get(f"{seller.base}/finance?show=<b>&currency=ZZZ", headers=HTML)).status_code == 200


async def test_a_new_shop_has_nothing_to_withdraw(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    page = await client.get(f"{seller.base}/finance", headers=HTML)
    assert page.status_code == 200
    assert figures(page.text)["available"] == money(0, "USD")
    assert "Nothing to withdraw" in page.text
    assert "No transactions yet" in page.text
    # A forged post for a balance that is not there is answered beside the field.
    refused = await client.post(
        f"{seller.base}/finance/payouts",
        data={"csrf_token": seller.csrf, "currency": "USD", "amount": "1.00", "idempotency_key": "k"},
        headers=HTML,
    )
    assert refused.status_code == 422
    assert "no available USD balance" in refused.text


async def _owner_with_money(client: httpx.AsyncClient, app: FastAPI, database: Database) -> tuple[SellerAtWork, int]:
    seller = await page_seller(client)
    product = await create_product(
        client,
        seller.account,
        seller.shop["id"],
        variants=[{"sku": unique("SKU-"), "options": {"Size": "M"}, "price": 5000, "inventory_quantity": 10}],
    )
    async with other_client(client) as shopper:
        answer = await buy(
            shopper, await register(shopper), [{"variant_id": product["variants"][0]["id"], "quantity": 1}]
        )
    order = answer.json()["orders"][0]
    await _ship_and_deliver(client, seller, order["id"])
    await _settle(app, database)
    return seller, 5000 - 300


async def _payouts(client: httpx.AsyncClient, seller: SellerAtWork) -> list[dict[str, Any]]:
    listed = await client.get(f"/api/v1/shops/{seller.shop['id']}/payouts", headers=seller.account.headers)
    return list(listed.json()["items"])


async def test_the_owner_withdraws_and_the_same_form_twice_pays_once(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    seller, available = await _owner_with_money(client, app, database)
    page = await client.get(f"{seller.base}/finance", headers=HTML)
    assert re.search(r'<label for="f-amount-usd">Amount</label>', page.text)
    assert re.search(r'<button type="submit" class="button button--primary">Withdraw</button>', page.text)
    form = withdraw_form(page.text)
    assert form["amount"] == "47.00"
    assert form["idempotency_key"]
    first = await client.post(f"{seller.base}/finance/payouts", data=form, headers=HTML, follow_redirects=False)
    again = await client.post(f"{seller.base}/finance/payouts", data=form, headers=HTML, follow_redirects=False)
    assert (first.status_code, again.status_code) == (303, 303), again.text
    assert first.headers["location"] == f"{seller.base}/finance?currency=USD"
    assert first.cookies.get("shoppable_toast") == "payout_sent"
    (payout,) = await _payouts(client, seller)
    assert (payout["amount"], payout["status"]) == (available, "paid")
    shown = await client.get(f"{seller.base}/finance", headers=HTML)
    assert figures(shown.text)["available"] == money(0, "USD")
    assert "Withdrawal sent" in shown.text
    assert "Paid" in shown.text
    assert "Nothing to withdraw" in shown.text


async def test_withdraw_errors_sit_beside_the_field(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    seller, available = await _owner_with_money(client, app, database)
    form = withdraw_form((await client.get(f"{seller.base}/finance", headers=HTML)).text)
    for typed, message in (
        ("47.01", "You can withdraw at most $47.00"),
        ("0", "Enter an amount more than zero"),
        ("-5", "Enter an amount more than zero"),
        ("ten dollars", "Enter an amount in USD, like 12.50"),
        ("1.005", "Enter an amount with at most 2 decimals"),
        ("", "Enter the amount to withdraw"),
    ):
        answer = await client.post(f"{seller.base}/finance/payouts", data={**form, "amount": typed}, headers=HTML)
        assert answer.status_code == 422, typed
        assert re.search(r'class="field__error" id="f-amount-usd-error">.*?' + re.escape(message), answer.text), typed
        assert f'value="{typed}"' in answer.text  # what was typed stays
        assert 'aria-invalid="true"' in answer.text
    assert await _payouts(client, seller) == []
    # Exact parsing: "$12.34" and "12.3" are 1234 and 1230 cents, no float on the way.
    for typed in ("$12.34", "12.3"):
        page = withdraw_form((await client.get(f"{seller.base}/finance", headers=HTML)).text)
        sent = await client.post(
            f"{seller.base}/finance/payouts", data={**page, "amount": typed}, headers=HTML, follow_redirects=False
        )
        assert sent.status_code == 303, sent.text
    assert sorted(p["amount"] for p in await _payouts(client, seller)) == [1230, 1234]
    assert available - 2464 == (await ledger_figures(database, seller.shop["id"]))["available"]


async def test_staff_see_the_figures_but_cannot_withdraw(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    owner, available = await _owner_with_money(client, app, database)
    form = withdraw_form((await client.get(f"{owner.base}/finance", headers=HTML)).text)
    staff = await page_staff(client, owner)
    page = await client.get(f"{owner.base}/finance", headers=HTML)
    assert page.status_code == 200
    assert figures(page.text)["available"] == money(available, "USD")
    assert "Withdraw</button>" not in page.text
    assert "Only the shop's owners can withdraw" in page.text
    refused = await client.post(
        f"{owner.base}/finance/payouts", data={**form, "csrf_token": staff.csrf}, headers=HTML, follow_redirects=False
    )
    assert refused.status_code == 403
    assert "owners can do this" in refused.text
    assert await _payouts(client, owner) == []


async def test_no_csrf_token_no_withdrawal_and_strangers_see_nothing(
    client: httpx.AsyncClient, app: FastAPI, database: Database
) -> None:
    owner, available = await _owner_with_money(client, app, database)
    form = withdraw_form((await client.get(f"{owner.base}/finance", headers=HTML)).text)
    no_token = {key: value for key, value in form.items() if key != "csrf_token"}
    assert (await client.post(f"{owner.base}/finance/payouts", data=no_token, headers=HTML)).status_code == 403
    forged = await client.post(f"{owner.base}/finance/payouts", data={**form, "csrf_token": "x"}, headers=HTML)
    assert forged.status_code == 403
    assert await _payouts(client, owner) == []
    async with other_client(client) as stranger_client:
        stranger = await page_seller(stranger_client, name="Other Shop")
        assert (await stranger_client.get(f"{owner.base}/finance", headers=HTML)).status_code == 404
        answer = await stranger_client.post(
            f"{owner.base}/finance/payouts", data={**form, "csrf_token": stranger.csrf}, headers=HTML
        )
        assert answer.status_code == 404
    assert await _payouts(client, owner) == []
    assert (await ledger_figures(database, owner.shop["id"]))["available"] == available
