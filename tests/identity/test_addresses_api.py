"""Saved addresses through HTTP: save, list, delete, dedupe and the cap; only the owner sees them."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from shoppable.identity import addresses
from shoppable.kit.db import Database
from shoppable.kit.errors import ShoppableError
from tests.helpers import ADDRESS, Account, register

HOME = {
    "name": "Ana Buyer",
    "line1": "1 Main St",
    "line2": "Flat 2",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
    "region": "IL",
    "phone": "+1 555 0100",
}


async def _save(client: httpx.AsyncClient, who: Account, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/v1/me/addresses", json=body, headers=who.headers)


async def _saved(client: httpx.AsyncClient, who: Account, body: dict[str, Any]) -> dict[str, Any]:
    response = await _save(client, who, body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _listed(client: httpx.AsyncClient, who: Account) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/me/addresses", headers=who.headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"items"}
    return list(response.json()["items"])


async def test_save_list_and_delete(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    assert await _listed(client, ana) == []
    home = await _saved(client, ana, HOME)
    assert home == {"id": home["id"], **HOME}
    work = await _saved(client, ana, ADDRESS)
    assert work == {"id": work["id"], **ADDRESS, "line2": None, "region": None, "phone": None}
    assert await _listed(client, ana) == [work, home]  # newest first
    deleted = await client.delete(f"/api/v1/me/addresses/{home['id']}", headers=ana.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert await _listed(client, ana) == [work]
    again = await client.delete(f"/api/v1/me/addresses/{home['id']}", headers=ana.headers)
    assert (again.status_code, again.json()["code"]) == (404, "not_found")


async def test_input_is_cleaned_as_at_checkout(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    saved = await _saved(client, ana, {**ADDRESS, "name": "  Ana Buyer ", "country": "de"})
    assert (saved["name"], saved["country"]) == ("Ana Buyer", "DE")


async def test_an_identical_address_is_saved_once(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    first = await _saved(client, ana, ADDRESS)
    assert await _saved(client, ana, ADDRESS) == first
    assert await _saved(client, ana, {**ADDRESS, "line2": "", "phone": None, "country": "us"}) == first
    other = await _saved(client, ana, {**ADDRESS, "line2": "Flat 2"})
    assert other["id"] != first["id"]
    assert len(await _listed(client, ana)) == 2


async def test_at_most_twenty_addresses(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    saved = [await _saved(client, ana, {**ADDRESS, "line1": f"{i} Main St"}) for i in range(addresses.MAX_ADDRESSES)]
    extra = await _save(client, ana, {**ADDRESS, "line1": "99 Main St"})
    assert (extra.status_code, extra.json()["code"]) == (422, "too_many_addresses")
    assert await _saved(client, ana, {**ADDRESS, "line1": "0 Main St"}) == saved[0]  # still found when full
    await client.delete(f"/api/v1/me/addresses/{saved[5]['id']}", headers=ana.headers)
    assert (await _save(client, ana, {**ADDRESS, "line1": "99 Main St"})).status_code == 201
    assert len(await _listed(client, ana)) == addresses.MAX_ADDRESSES


async def test_saves_at_once_keep_the_cap_and_save_an_address_once(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    many = [{**ADDRESS, "line1": f"{i} Side St"} for i in range(addresses.MAX_ADDRESSES + 5)]
    responses = await asyncio.gather(*(_save(client, ana, body) for body in many))
    assert sorted(r.status_code for r in responses) == [201] * addresses.MAX_ADDRESSES + [422] * 5
    bob = await register(client)
    same = await asyncio.gather(*(_save(client, bob, HOME) for _ in range(8)))
    assert {r.status_code for r in same} == {201}
    assert len({r.json()["id"] for r in same}) == 1
    assert len(await _listed(client, bob)) == 1


async def test_another_users_address_is_invisible(client: httpx.AsyncClient, database: Database) -> None:
    ana, bob = await register(client), await register(client)
    home = await _saved(client, ana, HOME)
    assert await _listed(client, bob) == []
    stolen = await client.delete(f"/api/v1/me/addresses/{home['id']}", headers=bob.headers)
    assert (stolen.status_code, stolen.json()["code"]) == (404, "not_found")
    assert await _listed(client, ana) == [home]
    assert (await _saved(client, bob, HOME))["id"] != home["id"]  # the same address is Bob's own
    async with database.session(write=False) as session:
        assert await addresses.get_address(session, ana.id, home["id"]) == home
        with pytest.raises(ShoppableError) as refused:
            await addresses.get_address(session, bob.id, home["id"])
    assert (refused.value.status, refused.value.code) == (404, "not_found")


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/api/v1/me/addresses"),
        await client.post("/api/v1/me/addresses", json=ADDRESS),
        await client.delete("/api/v1/me/addresses/adr_any"),
    ):
        assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"country": "XX"}, ["body", "country"]),
        ({"country": "USA"}, ["body", "country"]),
        ({"name": ""}, ["body", "name"]),
        ({"name": "   "}, ["body", "name"]),
        ({"line1": "x" * 201}, ["body", "line1"]),
        ({"postal_code": "1" * 21}, ["body", "postal_code"]),
        ({"phone": "1" * 33}, ["body", "phone"]),
        ({"city": None}, ["body", "city"]),
        ({"label": "home"}, ["body", "label"]),
    ],
)
async def test_bad_input_is_422_with_field_errors(
    client: httpx.AsyncClient, change: dict[str, Any], loc: list[str]
) -> None:
    ana = await register(client)
    response = await _save(client, ana, {**ADDRESS, **change})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert loc in [error["loc"] for error in problem["errors"]]
    assert await _listed(client, ana) == []


async def test_a_missing_field_is_422(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    response = await _save(client, ana, {key: value for key, value in ADDRESS.items() if key != "postal_code"})
    assert response.status_code == 422
    assert ["body", "postal_code"] in [error["loc"] for error in response.json()["errors"]]
