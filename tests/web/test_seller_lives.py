"""The shop's own lives in the Seller Center over HTTP: scheduled with the shop's products at a time read in the
shop's time zone, listed, gone live and ended from the host console; another shop's live is the 404 page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx

from shoppable.web.seller.lives import local_moment
from tests.helpers import create_product, register
from tests.web.seller_helpers import HTML, other_client, page_seller


def test_local_moment_reads_the_shop_s_zone() -> None:
    moment = local_moment("2027-01-03T19:30", ZoneInfo("Asia/Tokyo"))
    assert moment is not None
    assert moment.astimezone(UTC) == datetime(2027, 1, 3, 10, 30, tzinfo=UTC)
    assert local_moment("tomorrow", ZoneInfo("UTC")) is None
    assert local_moment("2027-01-03T19:30+02:00", ZoneInfo("UTC")) is None


async def test_schedule_go_live_and_end(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    product = await create_product(client, seller.account, seller.shop["id"], title="Glazed Bowl")
    refused = await client.post(
        f"{seller.base}/lives",
        data={"csrf_token": seller.csrf, "title": "", "scheduled_at": "2020-01-01T10:00"},
        headers=HTML,
    )
    assert refused.status_code == 422
    for field in ("title", "scheduled-at", "product-ids"):
        assert f'id="f-{field}-error"' in refused.text, field
    scheduled = await client.post(
        f"{seller.base}/lives",
        data={
            "csrf_token": seller.csrf,
            "title": "Kiln opening",
            "scheduled_at": "2099-05-01T18:00",
            "product_ids": product["id"],
        },
        headers=HTML,
    )
    assert scheduled.status_code == 303
    console_url = scheduled.headers["location"]
    live_id = console_url.rsplit("/", 1)[1]
    live = (await client.get(f"/api/v1/lives/{live_id}")).json()
    assert live["host"] == {"type": "shop", "id": seller.shop["id"]}
    assert live["scheduled_at"].startswith("2099-05-01T18:00")
    listed = await client.get(f"{seller.base}/lives", headers=HTML)
    assert "Kiln opening" in listed.text
    console = await client.get(console_url, headers=HTML)
    assert re.search(r">\s*Go live\s*</button>", console.text)
    assert "Glazed Bowl" in console.text
    for step in ("start", "start"):  # a second click, or another tab, changes nothing more
        answer = await client.post(f"{console_url}/{step}", data={"csrf_token": seller.csrf}, headers=HTML)
        assert answer.status_code == 303
    assert (await client.get(f"/api/v1/lives/{live_id}")).json()["status"] == "live"
    on_air = await client.get(console_url, headers=HTML)
    assert re.search(r">\s*End live\s*</button>", on_air.text)
    ended = await client.post(f"{console_url}/end", data={"csrf_token": seller.csrf}, headers=HTML)
    assert ended.status_code == 303
    assert (await client.get(f"/api/v1/lives/{live_id}")).json()["status"] == "ended"


async def test_another_shop_s_live_is_the_404_page(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    async with other_client(client) as elsewhere:
        other = await register(elsewhere)
        shop = (
            await elsewhere.post("/api/v1/shops", json={"name": "Elsewhere", "currency": "USD"}, headers=other.headers)
        ).json()
        product = await create_product(elsewhere, other, shop["id"])
        live = await elsewhere.post(
            "/api/v1/lives",
            json={"title": "Theirs", "product_ids": [product["id"]], "shop_id": shop["id"]},
            headers=other.headers,
        )
        assert live.status_code == 201, live.text
    assert (await client.get(f"{seller.base}/lives/{live.json()['id']}", headers=HTML)).status_code == 404
    started = await client.post(
        f"{seller.base}/lives/{live.json()['id']}/start", data={"csrf_token": seller.csrf}, headers=HTML
    )
    assert started.status_code == 404
    assert "Theirs" not in (await client.get(f"{seller.base}/lives", headers=HTML)).text


async def test_host_steps_need_csrf_and_a_known_step(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    product = await create_product(client, seller.account, seller.shop["id"])
    scheduled = await client.post(
        f"{seller.base}/lives",
        data={"csrf_token": seller.csrf, "title": "Studio tour", "product_ids": product["id"]},
        headers=HTML,
    )
    console_url = scheduled.headers["location"]
    live_id = console_url.rsplit("/", 1)[1]
    no_token = await client.post(f"{console_url}/start", headers=HTML)
    assert no_token.status_code == 403
    unknown = await client.post(f"{console_url}/pause", data={"csrf_token": seller.csrf}, headers=HTML)
    assert unknown.status_code == 404
    assert (await client.get(f"/api/v1/lives/{live_id}")).json()["status"] == "scheduled"
