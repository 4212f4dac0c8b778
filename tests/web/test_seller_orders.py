"""The shop's orders and returns in the Seller Center over HTTP: the list filtered by status, an order with the
creator it credits, shipping with carrier and tracking (the buyer sees it), delivering, refunding chosen units
once however often the form is sent, cancelling; returns approved or rejected with a reason. Refusals: another
shop's order is the 404 page, a form without its CSRF token changes nothing."""

from __future__ import annotations

import re

import httpx

from tests.helpers import bought, create_product, list_product, register, unique
from tests.web.seller_helpers import HTML, attributed_order, other_client, page_seller, page_staff


async def _order(client: httpx.AsyncClient, who_headers: dict[str, str], order_id: str) -> dict:
    answer = await client.get(f"/api/v1/orders/{order_id}", headers=who_headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_orders_list_filters_by_status_and_names_the_creator(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    order, creator, _ = await attributed_order(client, seller)
    page = await client.get(f"{seller.base}/orders", headers=HTML)
    assert page.status_code == 200
    assert order["number"] in page.text
    assert f"@{creator['handle']}" in page.text
    to_ship = await client.get(f"{seller.base}/orders?status=paid", headers=HTML)
    assert order["number"] in to_ship.text
    shipped = await client.get(f"{seller.base}/orders?status=shipped", headers=HTML)
    assert order["number"] not in shipped.text
    assert "No orders here yet" in shipped.text


async def test_order_page_shows_attribution_and_ships_with_tracking(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    order, creator, buyer = await attributed_order(client, seller, quantity=2, price=2500)
    page = await client.get(f"{seller.base}/orders/{order['id']}", headers=HTML)
    assert page.status_code == 200
    assert f'Credited to <a href="/creators/{creator["handle"]}">@{creator["handle"]}</a>' in page.text
    assert "commission 15 % = $7.50" in page.text  # 15 % of the $50.00 the buyer paid for the line
    assert re.search(r">\s*Ship\s*</button>", page.text)
    assert 'for="f-carrier">Carrier<' in page.text
    assert 'for="f-tracking-number">Tracking number<' in page.text

    missing = await client.post(
        f"{seller.base}/orders/{order['id']}/ship", data={"csrf_token": seller.csrf, "carrier": "UPS"}, headers=HTML
    )
    assert missing.status_code == 422
    assert 'id="f-tracking-number-error"' in missing.text
    assert 'value="UPS"' in missing.text
    assert (await _order(client, seller.account.headers, order["id"]))["status"] == "paid"

    shipped = await client.post(
        f"{seller.base}/orders/{order['id']}/ship",
        data={"csrf_token": seller.csrf, "carrier": "UPS", "tracking_number": "1Z999AA10123456784"},
        headers=HTML,
    )
    assert shipped.status_code == 303
    seen_by_buyer = await _order(client, buyer.headers, order["id"])
    assert seen_by_buyer["status"] == "shipped"
    assert (seen_by_buyer["carrier"], seen_by_buyer["tracking_number"]) == ("UPS", "1Z999AA10123456784")
    after = await client.get(f"{seller.base}/orders/{order['id']}", headers=HTML)
    assert "1Z999AA10123456784" in after.text
    assert not re.search(r">\s*Ship\s*</button>", after.text)

    delivered = await client.post(
        f"{seller.base}/orders/{order['id']}/deliver", data={"csrf_token": seller.csrf}, headers=HTML
    )
    assert delivered.status_code == 303
    assert (await _order(client, seller.account.headers, order["id"]))["status"] == "delivered"


async def test_refund_form_refunds_once_however_often_it_is_sent(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    order, _, _ = await attributed_order(client, seller, quantity=2, price=2500)
    line_id = order["lines"][0]["id"]
    page = await client.get(f"{seller.base}/orders/{order['id']}", headers=HTML)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert key
    assert re.search(r">\s*Refund\s*</button>", page.text)
    too_many = await client.post(
        f"{seller.base}/orders/{order['id']}/refunds",
        data={"csrf_token": seller.csrf, "idempotency_key": key.group(1), f"refund-{line_id}": "3"},
        headers=HTML,
    )
    assert too_many.status_code == 422
    assert "At most 2 of this item can still be refunded" in too_many.text
    form = {"csrf_token": seller.csrf, "idempotency_key": key.group(1), f"refund-{line_id}": "1"}
    for _ in range(3):
        sent = await client.post(f"{seller.base}/orders/{order['id']}/refunds", data=form, headers=HTML)
        assert sent.status_code == 303, sent.text
    refunded = await _order(client, seller.account.headers, order["id"])
    assert refunded["refunded_total"] == 2500
    assert refunded["lines"][0]["refunded_quantity"] == 1
    nothing = await client.post(
        f"{seller.base}/orders/{order['id']}/refunds",
        data={"csrf_token": seller.csrf, "idempotency_key": unique("k")},
        headers=HTML,
    )
    assert nothing.status_code == 422
    assert "Choose how many units" in nothing.text


async def test_another_shop_s_order_is_the_404_page(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    listing = await list_product(client, (1000, 5))
    buyer = await register(client)
    theirs = await bought(client, buyer, listing.variant_ids[0])
    page = await client.get(f"{seller.base}/orders/{theirs['id']}", headers=HTML)
    assert page.status_code == 404
    shipped = await client.post(
        f"{seller.base}/orders/{theirs['id']}/ship",
        data={"csrf_token": seller.csrf, "carrier": "UPS", "tracking_number": "X1"},
        headers=HTML,
    )
    assert shipped.status_code == 404
    assert (await _order(client, listing.seller.headers, theirs["id"]))["status"] == "paid"


async def test_a_member_of_both_shops_still_gets_404_under_the_wrong_shop(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    second = await client.post(
        "/api/v1/shops", json={"name": "Second Shop", "currency": "USD"}, headers=seller.account.headers
    )
    product = await create_product(client, seller.account, second.json()["id"])
    buyer = await register(client)
    order = await bought(client, buyer, product["variants"][0]["id"])
    assert (await client.get(f"{seller.base}/orders/{order['id']}", headers=HTML)).status_code == 404
    right = await client.get(f"/seller/{second.json()['slug']}/orders/{order['id']}", headers=HTML)
    assert right.status_code == 200


async def test_forms_without_csrf_change_nothing(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    order, _, _ = await attributed_order(client, seller)
    shipped = await client.post(
        f"{seller.base}/orders/{order['id']}/ship", data={"carrier": "UPS", "tracking_number": "T1"}, headers=HTML
    )
    assert shipped.status_code == 403
    refunded = await client.post(
        f"{seller.base}/orders/{order['id']}/refunds",
        data={f"refund-{order['lines'][0]['id']}": "1", "idempotency_key": "k1"},
        headers=HTML,
    )
    assert refunded.status_code == 403
    after = await _order(client, seller.account.headers, order["id"])
    assert after["status"] == "paid"
    assert after["refunded_total"] == 0


async def test_staff_ship_orders(client: httpx.AsyncClient) -> None:
    owner = await page_seller(client)
    order, _, _ = await attributed_order(client, owner)
    staff = await page_staff(client, owner)
    shipped = await client.post(
        f"{staff.base}/orders/{order['id']}/ship",
        data={"csrf_token": staff.csrf, "carrier": "DHL", "tracking_number": "JD0001"},
        headers=HTML,
    )
    assert shipped.status_code == 303
    assert (await _order(client, owner.account.headers, order["id"]))["tracking_number"] == "JD0001"


async def test_shop_cancels_before_shipping(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    order, _, _ = await attributed_order(client, seller)
    cancelled = await client.post(
        f"{seller.base}/orders/{order['id']}/cancel",
        data={"csrf_token": seller.csrf, "reason": "Out of stock"},
        headers=HTML,
    )
    assert cancelled.status_code == 303
    assert (await _order(client, seller.account.headers, order["id"]))["status"] == "cancelled"


async def test_returns_are_approved_or_rejected_with_a_reason(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    returns = []
    buyers = []
    for _ in range(2):
        order, _, buyer = await attributed_order(client, seller, quantity=1, price=4000)
        for step in ("ship", "deliver"):
            body = {"carrier": "UPS", "tracking_number": "T"} if step == "ship" else None
            done = await client.post(f"/api/v1/orders/{order['id']}/{step}", json=body, headers=seller.account.headers)
            assert done.status_code == 200, done.text
        asked = await client.post(
            f"/api/v1/orders/{order['id']}/returns",
            json={"lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}], "reason": "It doesn't fit"},
            headers=buyer.headers,
        )
        assert asked.status_code == 201, asked.text
        returns.append((order, asked.json()))
        buyers.append(buyer)
    page = await client.get(f"{seller.base}/returns", headers=HTML)
    assert page.status_code == 200
    for _, item in returns:
        assert f'aria-labelledby="return-{item["id"]}"' in page.text
    assert len(re.findall(r">\s*Approve\s*</button>", page.text)) == 2
    assert len(re.findall(r">\s*Reject\s*</button>", page.text)) == 2

    (first_order, first), (second_order, second) = returns
    no_reason = await client.post(
        f"{seller.base}/returns/{second['id']}/reject", data={"csrf_token": seller.csrf}, headers=HTML
    )
    assert no_reason.status_code == 422
    assert "Tell the buyer why" in no_reason.text
    approved = await client.post(
        f"{seller.base}/returns/{first['id']}/approve", data={"csrf_token": seller.csrf}, headers=HTML
    )
    assert approved.status_code == 303
    assert (await _order(client, seller.account.headers, first_order["id"]))["refunded_total"] == 4000
    rejected = await client.post(
        f"{seller.base}/returns/{second['id']}/reject",
        data={"csrf_token": seller.csrf, "reason": "Worn and washed"},
        headers=HTML,
    )
    assert rejected.status_code == 303
    assert (await _order(client, seller.account.headers, second_order["id"]))["refunded_total"] == 0
    waiting = await client.get(f"{seller.base}/returns", headers=HTML)
    assert "No returns waiting" in waiting.text
    decided = await client.get(f"{seller.base}/returns?status=all", headers=HTML)
    assert "Worn and washed" in decided.text


async def test_another_shop_s_return_is_the_404_page(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    async with other_client(client) as elsewhere:
        listing = await list_product(elsewhere, (1000, 5))
        buyer = await register(elsewhere)
        order = await bought(elsewhere, buyer, listing.variant_ids[0])
        for step, body in (("ship", {"carrier": "UPS", "tracking_number": "T"}), ("deliver", None)):
            await elsewhere.post(f"/api/v1/orders/{order['id']}/{step}", json=body, headers=listing.seller.headers)
        asked = await elsewhere.post(
            f"/api/v1/orders/{order['id']}/returns",
            json={"lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}], "reason": "No"},
            headers=buyer.headers,
        )
    refused = await client.post(
        f"{seller.base}/returns/{asked.json()['id']}/approve", data={"csrf_token": seller.csrf}, headers=HTML
    )
    assert refused.status_code == 404
