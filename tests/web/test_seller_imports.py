"""Seller Center imports over HTTP: upload an export through the page (multipart with the CSRF token), the progress
fragment, the finished report equal to the API's import record, the shared-SKU warnings, past imports newest first,
and the refusals (no CSRF, another shop's import, no file)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from shoppable.catalog.models import ProductImport
from shoppable.kit.db import Database
from tests.helpers import register
from tests.web.seller_helpers import HTML, SellerAtWork, page_seller, page_staff

FIXTURES = Path(__file__).parents[1] / "fixtures"
SHARED_DATA = Path(__file__).parents[3] / "shared" / "data"
CSV = "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty\n"


def key_of(page: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert found, "the import form carries an idempotency key"
    return found.group(1)


async def upload(
    client: httpx.AsyncClient, seller: SellerAtWork, name: str, content: bytes, **fields: str
) -> httpx.Response:
    form = await client.get(f"{seller.base}/imports", headers=HTML)
    data = {"csrf_token": seller.csrf, "idempotency_key": key_of(form.text)} | fields
    return await client.post(f"{seller.base}/imports", data=data, files={"file": (name, content)}, headers=HTML)


def count(page: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">(\d+)<', page)
    assert found, f"the report shows {name}"
    return int(found.group(1))


async def test_upload_runs_in_the_background_and_the_report_equals_the_api_record(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    seller = await page_seller(client)
    empty = await client.get(f"{seller.base}/imports", headers=HTML)
    assert empty.status_code == 200
    assert '<label for="f-file">Export file</label>' in empty.text
    assert re.search(r">\s*Import\s*</button>", empty.text)
    assert "No imports yet" in empty.text

    content = (
        CSV + "mug,Mug,Size,S,MUG-S,10.00,4\nmug,,,M,MUG-M,12.00,2\nbad,Bad,Title,Default Title,B-1,abc,1\n"
    ).encode()
    started = await upload(client, seller, "mugs.csv", content)
    assert started.status_code == 303
    location = started.headers["location"]
    import_id = location.rsplit("/", 1)[1]
    assert location == f"{seller.base}/imports/{import_id}"

    # Before the runner has run it (it starts after the request's commit), the page shows the bar and polls.
    waiting = await client.get(location, headers=HTML)
    assert waiting.status_code == 200
    assert "<progress" in waiting.text
    assert f'hx-get="{location}/progress"' in waiting.text
    assert 'hx-trigger="every 1s"' in waiting.text
    assert "htmx.min.js" in waiting.text

    await app.state.import_runner.drain()
    fragment = await client.get(f"{location}/progress", headers=HTML)
    assert fragment.status_code == 200
    assert "hx-trigger" not in fragment.text  # finished: the polling stops
    assert "<html" not in fragment.text
    record = (await client.get(f"/api/v1/imports/{import_id}", headers=seller.account.headers)).json()
    assert record["status"] == "succeeded"
    report = await client.get(location, headers=HTML)
    assert "Import finished" in report.text
    assert '<label for="f-file">Export file</label>' in report.text  # another file can follow from here
    assert re.search(r">\s*Import\s*</button>", report.text)
    assert count(report.text, "rows_total") == record["rows_total"] == 3
    assert count(report.text, "created") == record["created"] == 1
    assert count(report.text, "updated") == record["updated"] == 0
    assert count(report.text, "skipped") == len({s["row"] for s in record["skipped"]}) == 1
    assert count(report.text, "warnings") == len(record["warnings"]) == 0
    skipped = record["skipped"][0]
    assert (skipped["row"], skipped["handle"]) == (4, "bad")
    assert "&#39;abc&#39;" in report.text or "'abc'" in report.text

    listed = await client.get(f"{seller.base}/imports", headers=HTML)
    assert f'href="{location}"' in listed.text
    assert "mugs.csv" in listed.text
    assert "Finished" in listed.text


async def test_shared_sku_export_imports_both_products_and_the_report_warns(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    seller = await page_seller(client)
    started = await upload(client, seller, "shared.csv", (FIXTURES / "shopify_shared_sku.csv").read_bytes())
    assert started.status_code == 303
    await app.state.import_runner.drain()
    report = await client.get(started.headers["location"], headers=HTML)
    assert count(report.text, "created") == 3
    assert count(report.text, "skipped") == 0
    assert count(report.text, "warnings") == 2
    assert "Warnings: imported, but worth a look" in report.text
    assert report.text.count("<td>MUG-ENAMEL</td>") == 2
    assert "enamel-mug-gift-set" in report.text
    assert "enamel-camp-mug" in report.text
    products = (await client.get(f"/api/v1/shops/{seller.shop['id']}/products", headers=seller.account.headers)).json()
    assert len(products["items"]) == 3


async def test_real_shopify_export_and_newest_imports_first(client: httpx.AsyncClient, app: FastAPI) -> None:
    source = SHARED_DATA / "shopify-csv" / "apparel.csv"
    if not source.exists():
        pytest.skip("../shared/data is absent")
    seller = await page_seller(client)
    first = await upload(client, seller, "apparel.csv", source.read_bytes(), format="shopify_csv")
    await app.state.import_runner.drain()
    second = await upload(client, seller, "apparel-again.csv", source.read_bytes())
    await app.state.import_runner.drain()
    again = await client.get(second.headers["location"], headers=HTML)
    record = (
        await client.get(
            f"/api/v1/imports/{second.headers['location'].rsplit('/', 1)[1]}", headers=seller.account.headers
        )
    ).json()
    assert count(again.text, "created") == record["created"] == 0  # the same file again creates nothing twice
    assert count(again.text, "updated") == record["updated"] > 0
    listed = (await client.get(f"{seller.base}/imports", headers=HTML)).text
    assert listed.index(second.headers["location"]) < listed.index(first.headers["location"])


async def test_the_same_form_sent_twice_imports_once(client: httpx.AsyncClient, app: FastAPI) -> None:
    seller = await page_seller(client)
    form = await client.get(f"{seller.base}/imports", headers=HTML)
    data = {"csrf_token": seller.csrf, "idempotency_key": key_of(form.text)}
    files = {"file": ("once.csv", (CSV + "once,Once,Title,Default Title,O-1,1.00,1\n").encode())}
    answers = [await client.post(f"{seller.base}/imports", data=data, files=files, headers=HTML) for _ in range(2)]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    await app.state.import_runner.drain()
    listed = (await client.get(f"{seller.base}/imports", headers=HTML)).text
    assert listed.count("once.csv</a>") == 1


async def test_upload_errors_show_beside_the_field(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    form = await client.get(f"{seller.base}/imports", headers=HTML)
    data = {"csrf_token": seller.csrf, "idempotency_key": key_of(form.text)}
    missing = await client.post(f"{seller.base}/imports", data=data, files={"file": ("", b"")}, headers=HTML)
    assert missing.status_code == 422
    assert 'id="f-file-error"' in missing.text
    assert "Choose the export file" in missing.text
    unknown = await client.post(
        f"{seller.base}/imports", data=data, files={"file": ("notes.txt", b"just some notes\n")}, headers=HTML
    )
    assert unknown.status_code == 422
    assert "could not tell which export this is" in unknown.text
    unknown_format = await client.post(
        f"{seller.base}/imports",
        data=data | {"format": "shopify_csv"},
        files={"file": ("notes.txt", b"just some notes\n")},
        headers=HTML,
    )
    assert unknown_format.status_code == 303  # the format chosen, the file's own problem lands in the report
    listed = (await client.get(f"{seller.base}/imports", headers=HTML)).text
    assert listed.count("notes.txt</a>") == 1


async def test_without_csrf_nothing_is_imported(client: httpx.AsyncClient, app: FastAPI) -> None:
    seller = await page_seller(client)
    content = (CSV + "sneaky,Sneaky,Title,Default Title,S-1,1.00,1\n").encode()
    refused = await client.post(f"{seller.base}/imports", files={"file": ("sneaky.csv", content)}, headers=HTML)
    assert refused.status_code == 403
    await app.state.import_runner.drain()
    assert "sneaky.csv" not in (await client.get(f"{seller.base}/imports", headers=HTML)).text
    products = (await client.get(f"/api/v1/shops/{seller.shop['id']}/products", headers=seller.account.headers)).json()
    assert products["items"] == []


async def test_another_shop_s_import_is_the_404_page_and_staff_may_import(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    other = await register(client)
    other_shop = (
        await client.post("/api/v1/shops", json={"name": "Other Goods", "currency": "USD"}, headers=other.headers)
    ).json()
    theirs = await client.post(
        f"/api/v1/shops/{other_shop['id']}/imports",
        files={"file": ("theirs.csv", (CSV + "theirs,Theirs,Title,Default Title,T-1,1.00,1\n").encode())},
        headers=other.headers,
    )
    await app.state.import_runner.drain()
    owner = await page_seller(client)
    for path in (f"/imports/{theirs.json()['id']}", f"/imports/{theirs.json()['id']}/progress", "/imports/imp_none"):
        page = await client.get(f"{owner.base}{path}", headers=HTML)
        assert page.status_code == 404, path
        assert "theirs.csv" not in page.text
    staff = await page_staff(client, owner)
    started = await upload(
        client, staff, "staff.csv", (CSV + "by-staff,By Staff,Title,Default Title,,2.00,1\n").encode()
    )
    assert started.status_code == 303
    await app.state.import_runner.drain()
    assert count((await client.get(started.headers["location"], headers=HTML)).text, "created") == 1


async def test_the_fragment_shows_how_far_a_running_import_is(
    client: httpx.AsyncClient, app: FastAPI, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the runner works, the fragment keeps polling and shows its progress (a figure when this process runs
    it, a bar without one when it cannot know)."""
    seller = await page_seller(client)
    runner = app.state.import_runner
    monkeypatch.setattr(runner, "enqueue", lambda import_id: None)  # keep the import queued for the test
    started = await upload(client, seller, "slow.csv", (CSV + "slow,Slow,Title,Default Title,S-1,1.00,1\n").encode())
    location = started.headers["location"]
    import_id = location.rsplit("/", 1)[1]
    queued = await client.get(f"{location}/progress", headers=HTML)
    assert "Waiting to start" in queued.text
    assert 'hx-trigger="every 1s"' in queued.text
    async with database.session() as session:
        await session.execute(update(ProductImport).where(ProductImport.id == import_id).values(status="running"))
    unknown = await client.get(f"{location}/progress", headers=HTML)
    assert "Importing" in unknown.text
    assert re.search(r"<progress[^>]*max=\"100\"[^>]*>", unknown.text)
    assert 'value="' not in re.search(r"<progress[^>]*>", unknown.text).group(0)  # type: ignore[union-attr]
    monkeypatch.setattr(runner, "progress", lambda job_id: 0.42 if job_id == import_id else None)
    moving = await client.get(f"{location}/progress", headers=HTML)
    assert 'value="42"' in moving.text
    assert "42% of the file read" in moving.text
    assert 'hx-trigger="every 1s"' in moving.text
    async with database.session() as session:
        await session.execute(update(ProductImport).where(ProductImport.id == import_id).values(status="queued"))
    monkeypatch.undo()
    runner.enqueue(import_id)
    await runner.drain()
    done = await client.get(f"{location}/progress", headers=HTML)
    assert "Import finished" in done.text
    assert "hx-trigger" not in done.text


async def test_an_export_larger_than_a_form_body_reaches_the_import(client: httpx.AsyncClient) -> None:
    """The page takes files up to the import limit (not the 2 MB of an ordinary form): a 3 MB PDF is read and
    refused for what it is, beside the field."""
    seller = await page_seller(client)
    form = await client.get(f"{seller.base}/imports", headers=HTML)
    data = {"csrf_token": seller.csrf, "idempotency_key": key_of(form.text)}
    pdf = b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024)
    refused = await client.post(f"{seller.base}/imports", data=data, files={"file": ("big.pdf", pdf)}, headers=HTML)
    assert refused.status_code == 422
    assert "PDF document" in refused.text
