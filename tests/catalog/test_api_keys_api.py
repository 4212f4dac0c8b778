"""A shop's API keys through HTTP: its owner lists them (a prefix to recognise each, never the key) and revokes
them (the key then authenticates as nothing); a key's last use is kept to the minute without a write per request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from shoppable.identity.models import ApiKey
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from tests.helpers import Account, add_staff, create_product, create_shop, register

SUMMARY_FIELDS = {"id", "name", "prefix", "created_at", "last_used_at", "revoked_at"}


async def _new_key(client: httpx.AsyncClient, owner: Account, shop_id: str, name: str = "ERP") -> dict[str, Any]:
    created = await client.post(f"/api/v1/shops/{shop_id}/api-keys", json={"name": name}, headers=owner.headers)
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _keys(client: httpx.AsyncClient, owner: Account, shop_id: str) -> list[dict[str, Any]]:
    listed = await client.get(f"/api/v1/shops/{shop_id}/api-keys", headers=owner.headers)
    assert listed.status_code == 200, listed.text
    return list(listed.json()["items"])


def _bearer(key: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {key['key']}"}


async def test_the_list_shows_a_prefix_never_the_key(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    erp = await _new_key(client, owner, shop["id"], "ERP")
    pos = await _new_key(client, owner, shop["id"], "Till")
    assert erp["prefix"] == erp["key"][:12]
    assert erp["prefix"].startswith("spk_")
    listed = await client.get(f"/api/v1/shops/{shop['id']}/api-keys", headers=owner.headers)
    assert erp["key"] not in listed.text
    assert pos["key"] not in listed.text
    items = listed.json()["items"]
    assert [set(item) for item in items] == [SUMMARY_FIELDS, SUMMARY_FIELDS]
    assert [(i["id"], i["name"], i["prefix"]) for i in items] == [
        (pos["id"], "Till", pos["prefix"]),
        (erp["id"], "ERP", erp["prefix"]),
    ]
    assert all(i["last_used_at"] is None and i["revoked_at"] is None for i in items)
    first = (await client.get(f"/api/v1/shops/{shop['id']}/api-keys?limit=1", headers=owner.headers)).json()
    assert [i["id"] for i in first["items"]] == [pos["id"]]
    rest = await client.get(
        f"/api/v1/shops/{shop['id']}/api-keys?limit=1&cursor={first['next_cursor']}", headers=owner.headers
    )
    assert [i["id"] for i in rest.json()["items"]] == [erp["id"]]
    assert rest.json()["next_cursor"] is None


async def test_keys_made_before_prefixes_list_without_one(client: httpx.AsyncClient, database: Database) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    key = await _new_key(client, owner, shop["id"])
    async with database.session() as session:  # as migration 0011 leaves the keys it finds
        await session.execute(update(ApiKey).where(ApiKey.id == key["id"]).values(prefix=None))
    (listed,) = await _keys(client, owner, shop["id"])
    assert listed["prefix"] is None
    assert (await client.get(f"/api/v1/shops/{shop['id']}/products", headers=_bearer(key))).status_code == 200


async def test_a_revoked_key_authenticates_as_nothing(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    key = await _new_key(client, owner, shop["id"])
    kept = await _new_key(client, owner, shop["id"], "Kept")
    products = f"/api/v1/shops/{shop['id']}/products"
    assert (await client.get(products, headers=_bearer(key))).status_code == 200
    revoked = await client.delete(f"/api/v1/shops/{shop['id']}/api-keys/{key['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    refused = await client.get(products, headers=_bearer(key))
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_token"
    product = await create_product(client, owner, shop["id"])
    # The read path (a product, public but saying more to its shop) refuses the revoked key too.
    assert (await client.get(f"/api/v1/products/{product['id']}", headers=_bearer(key))).status_code == 401
    assert (await client.get(products, headers=_bearer(kept))).status_code == 200
    listed = {i["id"]: i for i in await _keys(client, owner, shop["id"])}
    revoked_at = listed[key["id"]]["revoked_at"]
    assert revoked_at is not None
    assert listed[kept["id"]]["revoked_at"] is None
    again = await client.delete(f"/api/v1/shops/{shop['id']}/api-keys/{key['id']}", headers=owner.headers)
    assert again.status_code == 204
    assert {i["id"]: i for i in await _keys(client, owner, shop["id"])}[key["id"]]["revoked_at"] == revoked_at


async def test_last_use_moves_at_most_once_a_minute(client: httpx.AsyncClient, database: Database) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    key = await _new_key(client, owner, shop["id"])
    products = f"/api/v1/shops/{shop['id']}/products"

    async def last_used() -> Any:
        async with database.session() as session:
            return await session.scalar(select(ApiKey.last_used_at).where(ApiKey.id == key["id"]))

    assert await last_used() is None
    before = utcnow()
    assert (await client.get(products, headers=_bearer(key))).status_code == 200
    first = await last_used()
    assert first is not None
    assert first >= before - timedelta(seconds=1)
    (listed,) = await _keys(client, owner, shop["id"])
    assert listed["last_used_at"] is not None
    # Used again within the minute: no write, the time stays.
    assert (await client.get(products, headers=_bearer(key))).status_code == 200
    assert await last_used() == first
    # Its last use was a while ago (the clock moved on): the next use moves it, on a read path as well.
    product = await create_product(client, owner, shop["id"])
    for path in (products, f"/api/v1/products/{product['id']}"):
        long_ago = utcnow() - timedelta(minutes=5)
        async with database.session() as session:
            await session.execute(update(ApiKey).where(ApiKey.id == key["id"]).values(last_used_at=long_ago))
        assert (await client.get(path, headers=_bearer(key))).status_code == 200
        moved = await last_used()
        assert moved > long_ago + timedelta(minutes=4), path


async def test_only_the_owner_lists_and_revokes_and_only_their_shops_keys(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    other_owner = await register(client)
    other_shop = await create_shop(client, other_owner)
    staff = await register(client)
    await add_staff(client, owner, shop["id"], staff)
    key = await _new_key(client, owner, shop["id"])
    theirs = await _new_key(client, other_owner, other_shop["id"])
    base = f"/api/v1/shops/{shop['id']}/api-keys"
    as_key = Account(id="key", email="", token=key["key"])
    for who in (staff, other_owner, as_key):
        assert (await client.get(base, headers=who.headers)).status_code == 403
        assert (await client.delete(f"{base}/{key['id']}", headers=who.headers)).status_code == 403
    assert (await client.get(base)).status_code == 401
    assert (await client.delete(f"{base}/{key['id']}")).status_code == 401
    # Another shop's key named through this shop is not found, and stays working.
    assert (await client.delete(f"{base}/{theirs['id']}", headers=owner.headers)).status_code == 404
    assert (await client.delete(f"{base}/key_missing", headers=owner.headers)).status_code == 404
    assert theirs["id"] not in str(await _keys(client, owner, shop["id"]))
    other_products = f"/api/v1/shops/{other_shop['id']}/products"
    assert (await client.get(other_products, headers=_bearer(theirs))).status_code == 200
    assert (await client.get("/api/v1/shops/shop_missing/api-keys", headers=owner.headers)).status_code == 404
    assert (
        await client.delete(f"/api/v1/shops/shop_missing/api-keys/{key['id']}", headers=owner.headers)
    ).status_code == 404
    assert (await client.get(f"/api/v1/shops/{shop['id']}/products", headers=_bearer(key))).status_code == 200
