"""Shop invitations in the browser over HTTP: the page lists what waits for the signed-in person, Accept makes them
a member (the shop then shows on /account), Decline does not; forms need the CSRF token; signed out, to /signin."""

from __future__ import annotations

import re

import httpx

from tests.helpers import Account, create_shop, invite, register
from tests.web.session_helpers import PAGE_PASSWORD, sign_up_page

HTML = {"Accept": "text/html"}


async def _page_person(client: httpx.AsyncClient) -> tuple[Account, str]:
    """Someone signed in on the client's cookies, with a bearer token for the API too; and the pages' CSRF token."""
    email, csrf = await sign_up_page(client, name="Page Invitee")
    token = await client.post("/api/v1/auth/token", data={"username": email, "password": PAGE_PASSWORD})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = await client.get("/api/v1/me", headers=headers)
    return Account(id=me.json()["id"], email=email, token=token.json()["access_token"]), csrf


async def _shops_of(client: httpx.AsyncClient, who: Account) -> list[dict[str, str]]:
    return list((await client.get("/api/v1/me", headers=who.headers)).json()["shops"])


async def test_signed_out_invitations_page_sends_to_sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/account/invitations", headers=HTML)
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=/account/invitations"
    answer = await client.post("/account/invitations/inv_any/accept", headers=HTML)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin?next=")


async def test_accepting_on_the_page_makes_a_member_and_shows_the_shop(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner, name="Harbour Ceramics")
    person, csrf = await _page_person(client)
    empty = await client.get("/account/invitations", headers=HTML)
    assert "No invitations waiting" in empty.text
    account = await client.get("/account", headers=HTML)
    assert "You don&#39;t work for a shop yet" in account.text or "You don't work for a shop yet" in account.text
    assert 'href="/account/invitations"' in account.text

    invitation = await invite(client, owner, shop["id"], person.email)
    assert "Invitations (1 waiting)" in (await client.get("/account", headers=HTML)).text
    page = await client.get("/account/invitations", headers=HTML)
    assert page.status_code == 200
    assert f'aria-labelledby="invitation-{invitation["id"]}"' in page.text
    assert "Harbour Ceramics" in page.text
    assert re.search(r">\s*Accept\s*</button>", page.text)
    assert re.search(r">\s*Decline\s*</button>", page.text)

    accepted = await client.post(
        f"/account/invitations/{invitation['id']}/accept", data={"csrf_token": csrf}, headers=HTML
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/account#shops"
    account = await client.get("/account", headers=HTML)
    assert "Invitation accepted" in account.text
    assert "<strong>Harbour Ceramics</strong>" in account.text
    assert "Invitations (1 waiting)" not in account.text
    assert await _shops_of(client, person) == [{"id": shop["id"], "name": "Harbour Ceramics", "role": "staff"}]

    # Answered already (another tab): the page says so and changes nothing.
    again = await client.post(
        f"/account/invitations/{invitation['id']}/accept", data={"csrf_token": csrf}, headers=HTML
    )
    assert again.status_code == 200
    assert "already been answered" in again.text


async def test_declining_on_the_page_makes_no_member(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    person, csrf = await _page_person(client)
    invitation = await invite(client, owner, shop["id"], person.email)
    declined = await client.post(
        f"/account/invitations/{invitation['id']}/decline", data={"csrf_token": csrf}, headers=HTML
    )
    assert declined.status_code == 303
    assert declined.headers["location"] == "/account/invitations"
    page = await client.get("/account/invitations", headers=HTML)
    assert "Invitation declined" in page.text
    assert "No invitations waiting" in page.text
    assert await _shops_of(client, person) == []


async def test_forms_without_their_csrf_token_are_refused_and_change_nothing(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    person, _ = await _page_person(client)
    invitation = await invite(client, owner, shop["id"], person.email)
    for action in ("accept", "decline"):
        for data in ({}, {"csrf_token": "forged"}):
            refused = await client.post(f"/account/invitations/{invitation['id']}/{action}", data=data, headers=HTML)
            assert refused.status_code == 403, (action, data)
    assert await _shops_of(client, person) == []
    waiting = (await client.get("/api/v1/me", headers=person.headers)).json()["invitations"]
    assert [i["id"] for i in waiting] == [invitation["id"]]


async def test_someone_elses_invitation_is_not_found_on_the_page(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    invitee = await register(client)
    invitation = await invite(client, owner, shop["id"], invitee.email)
    person, csrf = await _page_person(client)
    assert invitation["id"] not in (await client.get("/account/invitations", headers=HTML)).text
    refused = await client.post(
        f"/account/invitations/{invitation['id']}/accept", data={"csrf_token": csrf}, headers=HTML
    )
    assert refused.status_code == 404
    assert await _shops_of(client, person) == []
    still = await client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=invitee.headers)
    assert still.status_code == 200
