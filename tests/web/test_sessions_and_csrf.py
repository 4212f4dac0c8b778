"""Page sessions and CSRF over HTTP: forms without their token are refused and change nothing, revoked sessions
are signed out, ?next= only returns to this site, and the API takes the session cookie with the CSRF header."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from tests.helpers import list_product, stock_of
from tests.web.session_helpers import PAGE_PASSWORD, csrf_of, sign_up_page


@pytest.fixture
async def browser_like(app: object) -> httpx.AsyncClient:
    """A client with its own cookie jar, as one browser profile."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers={"accept": "text/html"}) as http:
        yield http


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(browser_like: httpx.AsyncClient) -> None:
    await sign_up_page(browser_like)
    refused = await browser_like.post(
        "/account/addresses",
        data={"name": "Eve", "line1": "1 Evil St", "city": "Nowhere", "postal_code": "666", "country": "US"},
    )
    assert refused.status_code == 403
    assert "did not come from this site" in refused.text
    wrong = await browser_like.post("/account/addresses", data={"name": "Eve", "csrf_token": "forged"})
    assert wrong.status_code == 403
    assert "No saved address yet" in (await browser_like.get("/account")).text
    # Signing out needs the token too (no log-out CSRF), and sign-in forms carry one before any session.
    assert (await browser_like.post("/signout")).status_code == 403
    assert (await browser_like.get("/account")).status_code == 200


async def test_sign_in_form_needs_the_visitor_token(client: httpx.AsyncClient, browser_like: httpx.AsyncClient) -> None:
    email, _ = await sign_up_page(browser_like)
    fresh = httpx.AsyncClient(transport=browser_like._transport, base_url="http://test")
    async with fresh:
        refused = await fresh.post("/signin", data={"email": email, "password": PAGE_PASSWORD})
        assert refused.status_code == 403
        assert "shoppable_session" not in fresh.cookies
        page = await fresh.get("/signin")
        signed = await fresh.post(
            "/signin", data={"email": email, "password": PAGE_PASSWORD, "csrf_token": csrf_of(page.text)}
        )
        assert signed.status_code == 303
        assert "shoppable_session" in fresh.cookies


async def test_wrong_password_is_shown_beside_the_field(browser_like: httpx.AsyncClient) -> None:
    email, _ = await sign_up_page(browser_like)
    browser_like.cookies.delete("shoppable_session")
    page = await browser_like.get("/signin")
    answer = await browser_like.post(
        "/signin", data={"email": email, "password": "not it", "csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 200
    assert 'id="f-password-error"' in answer.text
    assert "The email or password is wrong" in answer.text
    assert 'aria-describedby="f-password-error"' in answer.text


async def test_a_revoked_session_is_signed_out(app: object) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://test") as first,
        httpx.AsyncClient(transport=transport, base_url="http://test") as second,
    ):
        email, token = await sign_up_page(first)
        stolen = first.cookies["shoppable_session"]
        page = await second.get("/signin")
        await second.post("/signin", data={"email": email, "password": PAGE_PASSWORD, "csrf_token": csrf_of(page.text)})
        assert (await second.get("/account")).status_code == 200
        # Signing out revokes the session itself: the same cookie, replayed, is signed out.
        assert (await first.post("/signout", data={"csrf_token": token})).status_code == 303
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as thief:
            thief.cookies.set("shoppable_session", stolen)
            replayed = await thief.get("/account")
            assert replayed.status_code == 303
            assert replayed.headers["location"] == "/signin?next=/account"
            assert "shoppable_session=" in replayed.headers.get("set-cookie", "")  # the dead cookie is cleared
            thief.cookies.set("shoppable_session", stolen)
            assert (await thief.get("/api/v1/me")).status_code == 401
        # "Sign out everywhere else" from the second browser ends every other session of the account.
        page = await first.get("/signin")
        await first.post("/signin", data={"email": email, "password": PAGE_PASSWORD, "csrf_token": csrf_of(page.text)})
        assert (await first.get("/account")).status_code == 200
        token_two = csrf_of((await second.get("/account")).text)
        assert (await second.post("/account/sessions/end-others", data={"csrf_token": token_two})).status_code == 303
        assert (await first.get("/account")).status_code == 303
        assert (await second.get("/account")).status_code == 200


@pytest.mark.parametrize(
    "target",
    ["https://evil.example", "//evil.example/path", "/\\evil.example", "https:/evil.example", "javascript:alert(1)"],
)
async def test_next_only_returns_to_this_site(browser_like: httpx.AsyncClient, target: str) -> None:
    email, _ = await sign_up_page(browser_like)
    browser_like.cookies.delete("shoppable_session")
    page = await browser_like.get("/signin", params={"next": target})
    assert "evil.example" not in page.text.split("<main", 1)[1].split("</main>", 1)[0] or 'value="/"' in page.text
    answer = await browser_like.post(
        "/signin", data={"email": email, "password": PAGE_PASSWORD, "csrf_token": csrf_of(page.text), "next": target}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


async def test_next_returns_to_a_page_of_this_site(browser_like: httpx.AsyncClient) -> None:
    email, _ = await sign_up_page(browser_like)
    browser_like.cookies.delete("shoppable_session")
    gated = await browser_like.get("/cart")
    assert gated.status_code == 303
    assert gated.headers["location"] == "/signin?next=/cart"
    page = await browser_like.get(gated.headers["location"])
    answer = await browser_like.post(
        "/signin", data={"email": email, "password": PAGE_PASSWORD, "csrf_token": csrf_of(page.text), "next": "/cart"}
    )
    assert answer.headers["location"] == "/cart"


async def test_the_api_takes_the_session_cookie_and_wants_the_csrf_header(
    client: httpx.AsyncClient, browser_like: httpx.AsyncClient
) -> None:
    email, token = await sign_up_page(browser_like)
    me = await browser_like.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == email
    listing = await list_product(client, (1500, 3))
    item = {"variant_id": listing.variant_ids[0], "quantity": 1}
    refused = await browser_like.post("/api/v1/cart/items", json=item)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert (await browser_like.get("/api/v1/cart")).json()["lines"] == []
    added = await browser_like.post("/api/v1/cart/items", json=item, headers={"x-csrf-token": token})
    assert added.status_code == 200, added.text
    assert len(added.json()["lines"]) == 1


def _checkout_form(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html))
    return fields | {
        "name": "Rosa Shopper",
        "line1": "12 Rua Augusta",
        "city": "Lisbon",
        "postal_code": "1100-053",
        "country": "PT",
        "card_number": "4242 4242 4242 4242",
        "expiry": "12/34",
        "cvc": "123",
        "save_address": "1",
        "save_card": "1",
    }


async def test_placing_the_same_checkout_form_twice_orders_once(
    client: httpx.AsyncClient, browser_like: httpx.AsyncClient
) -> None:
    email, token = await sign_up_page(browser_like)
    listing = await list_product(client, (2500, 5))
    variant = listing.variant_ids[0]
    page = await browser_like.get("/checkout", params={"buy": variant, "quantity": 2})
    assert page.status_code == 200
    form = _checkout_form(page.text)
    assert form["idempotency_key"]
    assert form["buy"] == variant
    first, second = await asyncio.gather(
        browser_like.post("/checkout", data=form), browser_like.post("/checkout", data=form)
    )
    again = await browser_like.post("/checkout", data=form)  # the back button and "resubmit the form?"
    assert first.status_code == second.status_code == again.status_code == 303, (first.text, second.text)
    assert first.headers["location"] == second.headers["location"] == again.headers["location"]
    orders = (await browser_like.get("/api/v1/orders")).json()["items"]
    assert len(orders) == 1
    assert orders[0]["status"] == "paid"
    assert orders[0]["total"] == 5000
    assert await stock_of(client, listing.product["id"], variant) == 3
    done = await browser_like.get(first.headers["location"])
    assert orders[0]["number"] in done.text
    saved = (await browser_like.get("/api/v1/me/cards")).json()["items"]
    assert [card["last4"] for card in saved] == ["4242"]


async def test_a_declined_card_keeps_nothing_and_says_so(
    client: httpx.AsyncClient, browser_like: httpx.AsyncClient
) -> None:
    await sign_up_page(browser_like)
    listing = await list_product(client, (2500, 5))
    variant = listing.variant_ids[0]
    page = await browser_like.get("/checkout", params={"buy": variant})
    form = _checkout_form(page.text) | {"card_number": "4000 0000 0000 0002"}
    answer = await browser_like.post("/checkout", data=form)
    assert answer.status_code == 200
    assert "Your card was declined" in answer.text
    assert 'id="f-card-number-error"' in answer.text
    assert (await browser_like.get("/api/v1/orders")).json()["items"] == []
    assert await stock_of(client, listing.product["id"], variant) == 5
    assert (await browser_like.get("/api/v1/me/cards")).json()["items"] == []
    assert (await browser_like.get("/api/v1/me/addresses")).json()["items"] == []
    # The page offers a fresh attempt: a new key, so the next card is a new purchase.
    assert _checkout_form(answer.text)["idempotency_key"] != form["idempotency_key"]


async def test_pages_that_need_a_sign_in_send_there_and_errors_are_pages(browser_like: httpx.AsyncClient) -> None:
    for path in ("/cart", "/checkout", "/account", "/orders"):
        answer = await browser_like.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/signin?next={path}"
    missing = await browser_like.get("/products/prod_missing")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]
    assert "We couldn&#39;t find that page" in missing.text
    unknown = await browser_like.get("/no/such/page")
    assert unknown.status_code == 404
    assert "Back to the shop" in unknown.text
    api = await browser_like.get("/api/v1/products/prod_missing")
    assert api.headers["content-type"].startswith("application/problem+json")
