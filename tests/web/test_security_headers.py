"""Every response carries nosniff and a referrer policy; HTML carries a strict CSP and refuses to be framed; a
user's file is sandboxed and served with the type sniffed from its bytes; API answers to a credential are never
stored by a cache."""

from __future__ import annotations

import struct
import zlib

import httpx
import pytest

from tests.content.samples import png
from tests.helpers import register
from tests.web.session_helpers import sign_up_page

PAGES = ["/", "/search?q=tee", "/signin", "/signup", "/feed", "/docs", "/redoc", "/no-such-page"]
OTHERS = ["/api/v1/products", "/api/v1/no-such", "/openapi.json", "/healthz", "/static/style.css", "/l/nosuchcode"]


def _assert_always(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff", response.request.url
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin", response.request.url


def _directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    pairs = (part.strip().partition(" ") for part in policy.split(";") if part.strip())
    return {name: value for name, _, value in pairs}


@pytest.mark.parametrize("path", PAGES)
async def test_pages_carry_a_strict_policy_and_refuse_framing(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"accept": "text/html"})
    assert response.headers["content-type"].startswith("text/html"), path
    _assert_always(response)
    csp = _directives(response)
    assert csp["script-src"] == "'self'", "no inline or outside script on any page, /docs and /redoc included"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert csp["default-src"] == "'self'"
    assert response.headers["x-frame-options"] == "DENY"
    if path != "/redoc":  # Redoc's styling writes <style> elements; only its styles are let inline
        assert csp["style-src"] == "'self'"


@pytest.mark.parametrize("path", OTHERS)
async def test_every_other_response_carries_nosniff_and_a_referrer_policy(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    _assert_always(response)


async def test_authenticated_api_answers_are_not_stored_public_ones_may_be(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    by_token = await client.get("/api/v1/me", headers=ana.headers)
    assert by_token.status_code == 200
    assert by_token.headers["cache-control"] == "no-store"
    await sign_up_page(client)
    by_cookie = await client.get("/api/v1/me")
    assert by_cookie.status_code == 200
    assert by_cookie.headers["cache-control"] == "no-store"
    client.cookies.clear()
    anonymous = await client.get("/api/v1/products")
    assert "no-store" not in anonymous.headers.get("cache-control", "")


async def test_a_polyglot_image_is_served_as_an_image_nosniffed_and_sandboxed(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    script = b"comment\x00<html><script>alert(document.cookie)</script></html>"
    text_chunk = struct.pack(">I", len(script)) + b"tEXt" + script + struct.pack(">I", zlib.crc32(b"tEXt" + script))
    image = png()
    polyglot = image[:33] + text_chunk + image[33:]  # after the signature and IHDR: a valid PNG holding a script
    uploaded = await client.post(
        "/api/v1/media", files={"file": ("cute.html", polyglot, "text/html")}, headers=ana.headers
    )
    assert uploaded.status_code == 201, uploaded.text
    served = await client.get(uploaded.json()["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    _assert_always(served)
    csp = _directives(served)
    assert "sandbox" in csp
    assert csp["default-src"] == "'none'"
