"""Signing a test client in through the pages, as a browser does: the visitor cookie and CSRF token of the sign-up
form, then the session cookie the form sets (httpx keeps the cookies on the client)."""

from __future__ import annotations

import re

import httpx

from tests.helpers import unique

PAGE_PASSWORD = "correct horse battery"
_HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def csrf_of(html: str) -> str:
    """The CSRF token of a page (the meta tag every page carries)."""
    found = _META_CSRF.search(html)
    assert found, "no CSRF token on the page"
    assert found.group(1), "an empty CSRF token on the page"
    return found.group(1)


async def sign_up_page(client: httpx.AsyncClient, name: str = "Page Shopper") -> tuple[str, str]:
    """Sign up a new person through /signup (whoever the client was signed in as before is forgotten); (email,
    the CSRF token of the signed-in pages). The password is ``PAGE_PASSWORD``."""
    client.cookies.clear()
    form = await client.get("/signup")
    assert form.status_code == 200, form.text
    token = _HIDDEN_CSRF.search(form.text)
    assert token, "no CSRF field on the sign-up form"
    email = f"{unique('page')}@example.com"
    answer = await client.post(
        "/signup",
        data={"name": name, "email": email, "password": PAGE_PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text
    assert client.cookies.get("shoppable_session"), "signing up set no session cookie"
    page = await client.get("/")
    assert page.status_code == 200, page.text
    return email, csrf_of(page.text)
