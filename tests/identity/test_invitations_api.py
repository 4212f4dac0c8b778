"""Shop invitations through HTTP: nobody becomes a member without accepting, the shop learns nothing about whether
an email has an account, invitations can be declined, revoked and expire, and each one is its invitee's alone."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from shoppable.identity import invitations
from shoppable.identity.models import ShopInvitation
from shoppable.kit.clock import utcnow
from shoppable.kit.db import Database
from shoppable.kit.errors import ShoppableError
from tests.helpers import Account, add_staff, create_product, create_shop, invite, product_body, register, unique

INVITATION_FIELDS = {"id", "email", "role", "status", "created_at", "expires_at", "responded_at"}


async def _me(client: httpx.AsyncClient, who: Account) -> dict[str, Any]:
    response = await client.get("/api/v1/me", headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def _shop_invitations(client: httpx.AsyncClient, owner: Account, shop_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/shops/{shop_id}/invitations", headers=owner.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_an_invited_user_is_not_a_member_until_they_accept(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    invitee = await register(client, name="Ivy Invitee")
    invitation = await invite(client, owner, shop["id"], invitee.email)
    assert set(invitation) == INVITATION_FIELDS
    assert (invitation["email"], invitation["role"], invitation["status"]) == (invitee.email, "staff", "pending")
    assert invitation["responded_at"] is None
    assert invitation["expires_at"] > invitation["created_at"]

    # Invited is not a member: the shop's endpoints refuse them, /me lists the invitation and no shop.
    me = await _me(client, invitee)
    assert me["shops"] == []
    assert me["invitations"] == [
        {
            "id": invitation["id"],
            "shop": {"id": shop["id"], "name": shop["name"]},
            "role": "staff",
            "created_at": invitation["created_at"],
            "expires_at": invitation["expires_at"],
        }
    ]
    listed = await client.get("/api/v1/me/invitations", headers=invitee.headers)
    assert listed.json() == {"items": me["invitations"], "next_cursor": None}
    products = f"/api/v1/shops/{shop['id']}/products"
    assert (await client.get(products, headers=invitee.headers)).status_code == 403
    assert (await client.post(products, json=product_body(), headers=invitee.headers)).status_code == 403

    accepted = await client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=invitee.headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json() == {"id": shop["id"], "name": shop["name"], "role": "staff"}
    me = await _me(client, invitee)
    assert me["shops"] == [{"id": shop["id"], "name": shop["name"], "role": "staff"}]
    assert me["invitations"] == []
    assert (await client.get(products, headers=invitee.headers)).status_code == 200
    await create_product(client, invitee, shop["id"])

    (answered,) = await _shop_invitations(client, owner, shop["id"])
    assert answered["status"] == "accepted"
    assert answered["responded_at"] is not None
    again = await client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=invitee.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "invitation_not_pending"


async def test_the_inviter_learns_nothing_about_whether_an_email_has_an_account(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    registered = await register(client, name="Rita Registered")
    nobody = f"{unique('nobody')}@example.com"
    answers = [
        await client.post(f"/api/v1/shops/{shop['id']}/members", json={"email": email}, headers=owner.headers)
        for email in (registered.email, nobody)
    ]
    for answer in answers:
        assert answer.status_code == 202
        assert answer.headers["content-type"] == "application/json"
        assert set(answer.json()) == INVITATION_FIELDS
        assert answer.json()["status"] == "pending"
    with_account, without = (answer.json() for answer in answers)
    assert {k: v for k, v in with_account.items() if k not in {"id", "email", "created_at", "expires_at"}} == {
        k: v for k, v in without.items() if k not in {"id", "email", "created_at", "expires_at"}
    }
    assert "Rita" not in answers[0].text
    assert registered.id not in answers[0].text
    listed = await _shop_invitations(client, owner, shop["id"])
    assert [set(item) for item in listed] == [INVITATION_FIELDS, INVITATION_FIELDS]
    assert "Rita" not in str(listed)
    assert registered.id not in str(listed)

    # Whoever registers with the email later finds the invitation waiting.
    created = await client.post(
        "/api/v1/auth/register", json={"email": nobody.upper(), "password": "later-pass-1", "name": "Newcomer"}
    )
    assert created.status_code == 201
    token = await client.post("/api/v1/auth/token", data={"username": nobody, "password": "later-pass-1"})
    newcomer = Account(id=created.json()["id"], email=nobody, token=token.json()["access_token"])
    (waiting,) = (await _me(client, newcomer))["invitations"]
    assert waiting["id"] == without["id"]
    accepted = await client.post(f"/api/v1/me/invitations/{waiting['id']}/accept", headers=newcomer.headers)
    assert accepted.status_code == 200


async def test_emails_match_whatever_their_case(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    invitee = await register(client)
    invitation = await invite(client, owner, shop["id"], invitee.email.upper())
    assert invitation["email"] == invitee.email
    assert [i["id"] for i in (await _me(client, invitee))["invitations"]] == [invitation["id"]]


async def test_declining_makes_no_member(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    invitee = await register(client)
    invitation = await invite(client, owner, shop["id"], invitee.email, role="owner")
    declined = await client.post(f"/api/v1/me/invitations/{invitation['id']}/decline", headers=invitee.headers)
    assert declined.status_code == 204
    me = await _me(client, invitee)
    assert (me["shops"], me["invitations"]) == ([], [])
    (answered,) = await _shop_invitations(client, owner, shop["id"])
    assert answered["status"] == "declined"
    late = await client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=invitee.headers)
    assert late.status_code == 409
    assert late.json()["code"] == "invitation_not_pending"
    assert (await client.get(f"/api/v1/shops/{shop['id']}/products", headers=invitee.headers)).status_code == 403


async def test_someone_elses_invitation_is_404(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    invitee = await register(client)
    stranger = await register(client)
    invitation = await invite(client, owner, shop["id"], invitee.email)
    for action in ("accept", "decline"):
        for invitation_id in (invitation["id"], "inv_missing"):
            refused = await client.post(f"/api/v1/me/invitations/{invitation_id}/{action}", headers=stranger.headers)
            assert refused.status_code == 404, (action, invitation_id)
            assert refused.json()["code"] == "not_found"
    assert (await _me(client, stranger))["shops"] == []
    # The owner who sent it cannot answer it either: it is the invitee's.
    own = await client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=owner.headers)
    assert own.status_code == 404
    assert (await _me(client, stranger))["invitations"] == []
    still = await client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=invitee.headers)
    assert still.status_code == 200


async def test_inviting_again_updates_the_pending_invitation(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    invitee = await register(client)
    first = await invite(client, owner, shop["id"], invitee.email, role="staff")
    second = await invite(client, owner, shop["id"], invitee.email, role="owner")
    assert second["id"] == first["id"]
    assert second["role"] == "owner"
    assert second["expires_at"] >= first["expires_at"]
    assert [i["id"] for i in await _shop_invitations(client, owner, shop["id"])] == [first["id"]]
    accepted = await client.post(f"/api/v1/me/invitations/{first['id']}/accept", headers=invitee.headers)
    assert accepted.json()["role"] == "owner"
    # A member is invited like anyone else (a role changes only with their yes); after an answer, a new one.
    third = await invite(client, owner, shop["id"], invitee.email, role="staff")
    assert third["id"] != first["id"]
    assert (await _me(client, invitee))["shops"][0]["role"] == "owner"
    await client.post(f"/api/v1/me/invitations/{third['id']}/accept", headers=invitee.headers)
    assert (await _me(client, invitee))["shops"][0]["role"] == "staff"


async def test_owners_revoke_pending_invitations(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    other_owner = await register(client)
    other_shop = await create_shop(client, other_owner)
    invitee = await register(client)
    invitation = await invite(client, owner, shop["id"], invitee.email)
    path = f"/api/v1/shops/{shop['id']}/invitations/{invitation['id']}"
    # Another shop's owner: refused on this shop, and the invitation is not theirs to find through their own.
    assert (await client.delete(path, headers=other_owner.headers)).status_code == 403
    foreign = await client.delete(
        f"/api/v1/shops/{other_shop['id']}/invitations/{invitation['id']}", headers=other_owner.headers
    )
    assert foreign.status_code == 404
    assert (await client.delete(path)).status_code == 401

    assert (await client.delete(path, headers=owner.headers)).status_code == 204
    assert (await _me(client, invitee))["invitations"] == []
    late = await client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=invitee.headers)
    assert late.status_code == 409
    assert late.json()["code"] == "invitation_not_pending"
    (revoked,) = await _shop_invitations(client, owner, shop["id"])
    assert revoked["status"] == "revoked"
    twice = await client.delete(path, headers=owner.headers)
    assert twice.status_code == 409
    assert twice.json()["code"] == "invitation_not_pending"
    missing = await client.delete(f"/api/v1/shops/{shop['id']}/invitations/inv_missing", headers=owner.headers)
    assert missing.status_code == 404


async def test_only_owners_invite_list_and_revoke(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    staff = await register(client)
    stranger = await register(client)
    await add_staff(client, owner, shop["id"], staff)
    invitation = await invite(client, owner, shop["id"], f"{unique('x')}@example.com")
    key = (await client.post(f"/api/v1/shops/{shop['id']}/api-keys", headers=owner.headers)).json()["key"]
    as_key = Account(id="key", email="", token=key)
    base = f"/api/v1/shops/{shop['id']}"
    for who, status in ((staff, 403), (stranger, 403), (as_key, 403)):
        invited = await client.post(f"{base}/members", json={"email": "a@example.com"}, headers=who.headers)
        assert invited.status_code == status
        assert (await client.get(f"{base}/invitations", headers=who.headers)).status_code == status
        revoked = await client.delete(f"{base}/invitations/{invitation['id']}", headers=who.headers)
        assert revoked.status_code == status
    # A shop key is not a user: it has no invitations of its own.
    assert (await client.get("/api/v1/me/invitations", headers=as_key.headers)).status_code == 403
    assert (await client.get("/api/v1/shops/shop_missing/invitations", headers=owner.headers)).status_code == 404
    statuses = {i["id"]: i["status"] for i in await _shop_invitations(client, owner, shop["id"])}
    assert statuses[invitation["id"]] == "pending"


async def test_bad_invitations_are_422(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    members = f"/api/v1/shops/{shop['id']}/members"
    not_email = await client.post(members, json={"email": "not-an-email"}, headers=owner.headers)
    assert not_email.status_code == 422
    assert not_email.json()["errors"][0]["loc"] == ["body", "email"]
    bad_role = await client.post(members, json={"email": "a@example.com", "role": "admin"}, headers=owner.headers)
    assert bad_role.status_code == 422
    yourself = await client.post(members, json={"email": owner.email.upper()}, headers=owner.headers)
    assert yourself.status_code == 422
    assert yourself.json()["code"] == "cannot_invite_yourself"
    assert yourself.json()["errors"][0]["loc"] == ["body", "email"]

    monkeypatch.setattr(invitations, "MAX_PENDING_PER_SHOP", 2)
    for _ in range(2):
        await invite(client, owner, shop["id"], f"{unique('many')}@example.com")
    full = await client.post(members, json={"email": f"{unique('one')}@example.com"}, headers=owner.headers)
    assert full.status_code == 409
    assert full.json()["code"] == "too_many_invitations"


async def test_invitations_page_through(client: httpx.AsyncClient) -> None:
    invitee = await register(client)
    sent = []
    for _ in range(3):
        owner = await register(client)
        shop = await create_shop(client, owner)
        sent.append(await invite(client, owner, shop["id"], invitee.email))
    first = (await client.get("/api/v1/me/invitations?limit=2", headers=invitee.headers)).json()
    assert [i["id"] for i in first["items"]] == [sent[2]["id"], sent[1]["id"]]
    rest = await client.get(f"/api/v1/me/invitations?limit=2&cursor={first['next_cursor']}", headers=invitee.headers)
    assert [i["id"] for i in rest.json()["items"]] == [sent[0]["id"]]
    assert rest.json()["next_cursor"] is None
    bad = await client.get("/api/v1/me/invitations?cursor=nonsense", headers=invitee.headers)
    assert bad.status_code == 400


async def test_invitations_expire(client: httpx.AsyncClient, database: Database) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    invitee = await register(client)
    invitation = await invite(client, owner, shop["id"], invitee.email)
    me = await _me(client, invitee)
    ttl_days = round((_parse(invitation["expires_at"]) - _parse(invitation["created_at"])).total_seconds() / 86400)
    assert ttl_days == 14  # SHOPPABLE_INVITATION_TTL_DAYS

    # The clock moved past the expiry: nothing waits, nothing can be accepted.
    later = utcnow() + timedelta(days=15)
    async with database.session() as session:
        waiting, _ = await invitations.pending_for(session, invitee.email, limit=10, cursor=None, now=later)
        assert waiting == []
        assert await invitations.count_pending_for(session, invitee.email, now=later) == 0
        with pytest.raises(ShoppableError) as expired:
            await invitations.accept(session, invitation_id=invitation["id"], user_id=me["id"], now=later)
        assert (expired.value.status, expired.value.code) == (409, "invitation_expired")
        (row,), _ = await invitations.shop_invitations(session, shop["id"], limit=10, cursor=None)
        assert invitations.read_model(row, later)["status"] == "expired"

    # The same through HTTP, once the invitation's time is up.
    async with database.session() as session:
        await session.execute(
            update(ShopInvitation)
            .where(ShopInvitation.id == invitation["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await _me(client, invitee))["invitations"] == []
    late = await client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=invitee.headers)
    assert late.status_code == 409
    assert late.json()["code"] == "invitation_expired"
    assert (await _me(client, invitee))["shops"] == []
    (listed,) = await _shop_invitations(client, owner, shop["id"])
    assert listed["status"] == "expired"

    # Inviting again renews it.
    renewed = await invite(client, owner, shop["id"], invitee.email)
    assert (renewed["id"], renewed["status"]) == (invitation["id"], "pending")
    accepted = await client.post(f"/api/v1/me/invitations/{invitation['id']}/accept", headers=invitee.headers)
    assert accepted.status_code == 200


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


async def test_racing_invitations_and_answers_settle_on_one(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    invitee = await register(client)
    members = f"/api/v1/shops/{shop['id']}/members"
    both = await asyncio.gather(
        *(
            client.post(members, json={"email": invitee.email, "role": role}, headers=owner.headers)
            for role in ("staff", "owner")
        )
    )
    assert [answer.status_code for answer in both] == [202, 202]
    assert both[0].json()["id"] == both[1].json()["id"]
    (only,) = await _shop_invitations(client, owner, shop["id"])
    answers = await asyncio.gather(
        *(
            client.post(f"/api/v1/me/invitations/{only['id']}/{action}", headers=invitee.headers)
            for action in ("accept", "decline")
        )
    )
    assert sorted(answer.status_code for answer in answers) in ([200, 409], [204, 409])
    (settled,) = await _shop_invitations(client, owner, shop["id"])
    member = settled["status"] == "accepted"
    assert settled["status"] in {"accepted", "declined"}
    assert bool((await _me(client, invitee))["shops"]) is member
