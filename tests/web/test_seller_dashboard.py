"""The dashboard page over HTTP: members only (staff too; the 404 page for anyone else), its figures kept in step
with the orders by the worker (a refund lowers net sales, a cancellation takes the order out of GMV), what waits
for the shop linked, the chart's numbers as a table of the 30 days, and refunds of another shop never counted."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from shoppable.kit.db import Database
from shoppable.worker import Worker
from tests.web.seller_helpers import HTML, attributed_order, other_client, page_seller, page_staff


def figure(page: httpx.Response, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', page.text)
    assert found, name
    return found.group(1)


async def dispatch(app: FastAPI, database: Database) -> None:
    await Worker(database, app.state.settings, app.state.payment_provider).dispatch()


async def test_staff_see_the_dashboard_and_outsiders_get_the_404_page(client: httpx.AsyncClient) -> None:
    owner = await page_seller(client)
    async with other_client(client) as outsider_client:
        await page_seller(outsider_client, name="Someone Else's Shop")
        refused = await outsider_client.get(owner.base, headers=HTML)
        assert refused.status_code == 404
        assert "Harbour Ceramics" not in refused.text
    await page_staff(client, owner)
    page = await client.get(owner.base, headers=HTML)
    assert page.status_code == 200
    assert figure(page, "month_gmv") == "$0.00"


async def test_the_figures_follow_payments_refunds_and_cancellations(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    seller = await page_seller(client)
    headers = seller.account.headers
    kept, creator, _ = await attributed_order(client, seller, quantity=2, price=2500)
    cancelled, _, _ = await attributed_order(client, seller, quantity=1, price=1000)
    await dispatch(app, database)
    page = await client.get(seller.base, headers=HTML)
    assert (figure(page, "month_gmv"), figure(page, "month_orders")) == ("$60.00", "2")
    assert (figure(page, "month_units"), figure(page, "to_ship"), figure(page, "returns_waiting")) == ("3", "2", "0")
    assert f'href="{seller.base}/orders?status=paid"' in page.text
    assert f'href="{seller.base}/returns"' in page.text
    assert f"@{creator['handle']}" in page.text
    assert "Get your first sale" not in page.text

    refund = await client.post(
        f"/api/v1/orders/{kept['id']}/refunds",
        json={"lines": [{"line_id": kept["lines"][0]["id"], "quantity": 1}], "reason": "chipped"},
        headers=headers,
    )
    assert refund.status_code == 201, refund.text
    assert (await client.post(f"/api/v1/orders/{cancelled['id']}/cancel", json={}, headers=headers)).status_code == 200
    # another shop's refund does not touch this shop's figures
    async with other_client(client) as elsewhere:
        other = await page_seller(elsewhere, name="Other Shop")
        theirs, _, _ = await attributed_order(elsewhere, other, quantity=1, price=7000)
        answer = await elsewhere.post(
            f"/api/v1/orders/{theirs['id']}/refunds",
            json={"lines": [{"line_id": theirs["lines"][0]["id"], "quantity": 1}], "reason": "lost"},
            headers=other.account.headers,
        )
        assert answer.status_code == 201, answer.text
    await dispatch(app, database)
    page = await client.get(seller.base, headers=HTML)
    assert (figure(page, "month_gmv"), figure(page, "month_net_sales")) == ("$50.00", "$25.00")
    assert (figure(page, "month_orders"), figure(page, "month_units"), figure(page, "to_ship")) == ("1", "2", "1")


async def test_the_chart_s_numbers_are_a_table_of_the_30_days(
    app: FastAPI, client: httpx.AsyncClient, database: Database
) -> None:
    seller = await page_seller(client)
    await attributed_order(client, seller, quantity=1, price=4200)
    await dispatch(app, database)
    page = await client.get(seller.base, headers=HTML)
    assert re.search(r'<svg class="chart"[^>]*role="img"[^>]*aria-labelledby="chart-title"', page.text)
    assert '<title id="chart-title">' in page.text
    assert len(re.findall(r'<rect class="chart__bar"', page.text)) == 30
    table = page.text[page.text.index('aria-label="GMV by day"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">(\d+)</td><td class="num">([^<]+)</td>', table)
    assert len(rows) == 30
    # newest day first; the one order falls on one of them (today, or yesterday if midnight just passed)
    assert [row[1:] for row in rows if row[1] != "0"] == [("1", "$42.00")]
    assert [row for row in rows if row[1] == "0"] == [row for row in rows if row[2] == "$0.00"]
