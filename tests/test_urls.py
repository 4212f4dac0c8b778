"""Every URL a person or a file supplies is http(s) or a path on this site, checked in one place
(``kit/urls.py``): a 422 in the API, a left-out image in an import, and never rendered by a page."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from shoppable.catalog.models import Product
from shoppable.kit.db import Database
from shoppable.kit.urls import is_web_url
from tests.catalog.test_imports_api import all_products, finished, start_import
from tests.helpers import become_creator, create_product, create_shop, product_body, register

HOSTILE = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x.png",
    "/\\evil.example/x.png",
    "https://",
    "https:///path",
    "ftp://files.example/x.png",
    "https://shop.example/a b.png",
    "https://shop.example/\x00.png",
    "http://[::1",
    "x" * 10,
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_urls_are_not_web_urls(url: str) -> None:
    assert not is_web_url(url)


@pytest.mark.parametrize(
    "url", ["https://cdn.shop.example/tee.png?v=2", "http://shop.example/a.mp4", "/media/files/med_1", "HTTPS://X.IO/"]
)
def test_http_urls_and_site_paths_are(url: str) -> None:
    assert is_web_url(url)


def _rejects(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert field in [part for e in response.json()["errors"] for part in e["loc"]]


async def test_the_api_refuses_a_javascript_url_in_every_field(client: httpx.AsyncClient) -> None:
    bad = "javascript:alert(document.cookie)"
    person = await register(client)
    _rejects(
        await client.post("/api/v1/creators", json={"handle": "c_js", "display_name": "C", "avatar_url": bad},
                          headers=person.headers),
        "avatar_url",
    )  # fmt: skip
    shop = await create_shop(client, person)
    _rejects(
        await client.post(f"/api/v1/shops/{shop['id']}/products", json=product_body(images=[{"url": bad}]),
                          headers=person.headers),
        "url",
    )  # fmt: skip
    body = product_body()
    body["variants"][0]["image_url"] = bad
    _rejects(await client.post(f"/api/v1/shops/{shop['id']}/products", json=body, headers=person.headers), "image_url")
    await become_creator(client, person)
    video = {"title": "Clip", "duration_s": 10, "media_url": "https://cdn.example/clip.mp4"}
    _rejects(await client.post("/api/v1/videos", json={**video, "media_url": bad}, headers=person.headers), "media_url")
    _rejects(
        await client.post("/api/v1/videos", json={**video, "poster_url": bad}, headers=person.headers), "poster_url"
    )
    made = await client.post("/api/v1/videos", json=video, headers=person.headers)
    assert made.status_code == 201, made.text
    _rejects(
        await client.patch(f"/api/v1/videos/{made.json()['id']}", json={"poster_url": bad}, headers=person.headers),
        "poster_url",
    )
    _rejects(
        await client.post("/api/v1/lives", json={"title": "Live", "stream_url": bad}, headers=person.headers),
        "stream_url",
    )


async def test_an_import_leaves_a_javascript_image_out_and_keeps_the_product(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    csv = (
        b"Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Image Src,Image Position\n"
        b"js-tee,JS Tee,Size,S,JS-S,10.00,javascript:alert(1),1\n"
        b"js-tee,,,,,,https://cdn.example/tee.png,2\n"
    )
    started = await start_import(client, owner, shop["id"], "products.csv", csv, fmt="shopify_csv")
    assert started.status_code == 202, started.text
    report = await finished(client, app, owner, started.json()["id"])
    assert report["status"] == "succeeded", report
    assert report["created"] == 1
    assert [s["reason"] for s in report["skipped"]] == ["image 'javascript:alert(1)' left out: not an http(s) URL"]
    (product,) = await all_products(client, owner, shop["id"])
    assert [image["url"] for image in product["images"]] == ["https://cdn.example/tee.png"]


async def test_a_page_never_renders_a_stored_javascript_url(client: httpx.AsyncClient, database: Database) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    product = await create_product(client, owner, shop["id"], images=[{"url": "https://cdn.example/ok.png"}])
    async with database.session() as session:  # a row stored before URLs were checked
        await session.execute(
            update(Product)
            .where(Product.id == product["id"])
            .values(images=[{"url": "javascript:alert(1)", "alt": ""}])
        )
    page = await client.get(f"/products/{product['id']}")
    assert page.status_code == 200
    assert "javascript:" not in page.text
