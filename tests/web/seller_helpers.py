"""The Seller Center over HTTP: a person signed in on the client's cookies who owns a shop, with a bearer token
too (for arranging things through the API), and the pages' CSRF token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.helpers import Account, add_staff, create_shop
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
