"""The Seller Center over HTTP: a person signed in on the client's cookies who owns a shop, with a bearer token
too (for arranging things through the API), and the pages' CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.helpers import (
    Account,
    add_staff,
    attribution_cookie,
    become_creator,
    buy,
    click,
    create_product,
    create_shop,
    link_for,
    open_plan,
    register,
    unique,
)
from tests.web.session_helpers import PAGE_PASSWORD, sign_up_page

HTML = {"Accept": "text/html"}


async def page_account(client: httpx.AsyncClient, name: str = "Page Seller") -> tuple[Account, str]:
    """Someone signed up through the pages (the client keeps the session); their API token; the CSRF token."""
    email, csrf = await sign_up_page(client, name=name)
    token = await client.post("/api/v1/auth/token", data={"username": email, "password": PAGE_PASSWORD})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = await client.get("/api/v1/me", headers=headers)
    return Account(id=me.json()["id"], email=email, token=token.json()["access_token"]), csrf


@dataclass
class SellerAtWork:
    account: Account
    csrf: str
    shop: dict[str, Any]

    @property
    def base(self) -> str:
        return f"/seller/{self.shop['slug']}"


async def page_seller(client: httpx.AsyncClient, name: str = "Harbour Ceramics") -> SellerAtWork:
    """A person signed in on the client's cookies who owns a fresh shop."""
    account, csrf = await page_account(client)
    shop = await create_shop(client, account, name=name)
    return SellerAtWork(account, csrf, shop)


async def page_staff(client: httpx.AsyncClient, owner: SellerAtWork) -> SellerAtWork:
    """Someone signed in on the client's cookies (instead of the owner) as staff of the owner's shop."""
    account, csrf = await page_account(client, name="Page Staff")
    await add_staff(client, owner.account, owner.shop["id"], account)
    return SellerAtWork(account, csrf, owner.shop)


def other_client(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A second browser on the same app, with its own cookies (a shopper beside the signed-in seller)."""
    return httpx.AsyncClient(transport=client._transport, base_url=client.base_url)


async def attributed_order(
    client: httpx.AsyncClient, seller: SellerAtWork, *, quantity: int = 2, price: int = 2500
) -> tuple[dict[str, Any], dict[str, Any], Account]:
    """A paid order at the seller's shop that a creator's link brought: (the order, the creator, the buyer).
    The clicks happen in another client, so the seller stays signed in on ``client``."""
    product = await create_product(
        client,
        seller.account,
        seller.shop["id"],
        variants=[{"sku": unique("SKU-"), "options": {"Size": "M"}, "price": price, "inventory_quantity": 50}],
    )
    await open_plan(client, seller.account, seller.shop["id"], kind="shop", bps=1500)
    async with other_client(client) as shopper:
        creator_account = await register(shopper)
        creator = await become_creator(shopper, creator_account)
        link = await link_for(shopper, creator_account, product["id"])
        cookie = attribution_cookie(await click(shopper, link["code"]))
        buyer = await register(shopper)
        answer = await buy(
            shopper, buyer, [{"variant_id": product["variants"][0]["id"], "quantity": quantity}], cookie=cookie
        )
        assert answer.status_code == 201, answer.text
        (order,) = answer.json()["orders"]
    return dict(order), creator, buyer
