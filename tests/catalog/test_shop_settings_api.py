"""A shop's details over HTTP: the owner renames it and sets its time zone (an IANA name); staff, the shop's
API key and strangers cannot."""

from __future__ import annotations

import httpx

from tests.helpers import Account, add_staff, create_shop, register


async def _patch(client: httpx.AsyncClient, who: Account, shop_id: str, body: dict[str, object]) -> httpx.Response:
    return await client.patch(f"/api/v1/shops/{shop_id}", json=body, headers=who.headers)


async def test_the_owner_changes_the_name_and_time_zone(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner, name="Harbour Ceramics")
    assert shop["time_zone"] == "UTC"
    renamed = await _patch(client, owner, shop["id"], {"name": "  Harbour Pottery  "})
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["time_zone"]) == ("Harbour Pottery", "UTC")
    zoned = await _patch(client, owner, shop["id"], {"time_zone": "Europe/Lisbon"})
    assert (zoned.json()["name"], zoned.json()["time_zone"]) == ("Harbour Pottery", "Europe/Lisbon")
    read = (await client.get(f"/api/v1/shops/{shop['id']}")).json()
    assert (read["name"], read["time_zone"], read["slug"]) == ("Harbour Pottery", "Europe/Lisbon", shop["slug"])


async def test_a_shop_opens_in_its_time_zone(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    opened = await client.post(
        "/api/v1/shops", json={"name": "Tokyo Tea", "currency": "JPY", "time_zone": "Asia/Tokyo"}, headers=owner.headers
    )
    assert (opened.status_code, opened.json()["time_zone"]) == (201, "Asia/Tokyo")
    bad = await client.post(
        "/api/v1/shops", json={"name": "Nowhere", "currency": "USD", "time_zone": "Mars/Olympus"}, headers=owner.headers
    )
    assert bad.status_code == 422


async def test_bad_zones_and_names_are_refused(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    for body in (
        {"time_zone": "Mars/Olympus"},
        {"time_zone": "europe/london"},
        {"time_zone": "localtime"},
        {"time_zone": ""},
        {"name": ""},
        {"name": "x" * 201},
        {"slug": "new-slug"},
        {"currency": "EUR"},
    ):
        refused = await _patch(client, owner, shop["id"], body)
        assert refused.status_code == 422, body
    assert (await client.get(f"/api/v1/shops/{shop['id']}")).json()["time_zone"] == "UTC"


async def test_only_the_owner_edits_the_shop(client: httpx.AsyncClient) -> None:
    owner, staff, stranger = await register(client), await register(client), await register(client)
    shop = await create_shop(client, owner, name="Kept Name")
    await add_staff(client, owner, shop["id"], staff)
    key = (await client.post(f"/api/v1/shops/{shop['id']}/api-keys", headers=owner.headers)).json()["key"]
    for who in (staff, stranger, Account(id="", email="", token=key)):
        refused = await _patch(client, who, shop["id"], {"name": "Taken Over", "time_zone": "Asia/Tokyo"})
        assert refused.status_code == 403, refused.text
    assert (await client.patch(f"/api/v1/shops/{shop['id']}", json={"name": "x"})).status_code == 401
    read = (await client.get(f"/api/v1/shops/{shop['id']}")).json()
    assert (read["name"], read["time_zone"]) == ("Kept Name", "UTC")
    missing = await _patch(client, owner, "shop_missing", {"name": "x"})
    assert missing.status_code == 404


async def test_the_owner_lists_and_removes_members(client: httpx.AsyncClient) -> None:
    owner, staff = await register(client, name="Olga Owner"), await register(client, name="Sam Staff")
    shop = await create_shop(client, owner)
    await add_staff(client, owner, shop["id"], staff)
    listed = await client.get(f"/api/v1/shops/{shop['id']}/members", headers=owner.headers)
    assert listed.status_code == 200
    assert [(m["user_id"], m["role"], m["name"]) for m in listed.json()] == [
        (owner.id, "owner", "Olga Owner"),
        (staff.id, "staff", "Sam Staff"),
    ]
    # Staff see neither the list nor the way to remove anyone.
    assert (await client.get(f"/api/v1/shops/{shop['id']}/members", headers=staff.headers)).status_code == 403
    refused = await client.delete(f"/api/v1/shops/{shop['id']}/members/{owner.id}", headers=staff.headers)
    assert refused.status_code == 403
    yourself = await client.delete(f"/api/v1/shops/{shop['id']}/members/{owner.id}", headers=owner.headers)
    assert (yourself.status_code, yourself.json()["code"]) == (409, "cannot_remove_self")
    removed = await client.delete(f"/api/v1/shops/{shop['id']}/members/{staff.id}", headers=owner.headers)
    assert removed.status_code == 204
    assert (await client.get(f"/api/v1/shops/{shop['id']}/orders", headers=staff.headers)).status_code == 403
    again = await client.delete(f"/api/v1/shops/{shop['id']}/members/{staff.id}", headers=owner.headers)
    assert again.status_code == 404
    after = await client.get(f"/api/v1/shops/{shop['id']}/members", headers=owner.headers)
    assert [m["user_id"] for m in after.json()] == [owner.id]
