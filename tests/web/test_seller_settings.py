"""The Seller Center's settings over HTTP: shop details (members see them, owners change them), staff and
invitations, API keys (the key shown once, then only its prefix); staff get the 403 page on the owner-only pages
and forms; a form without its CSRF token changes nothing."""

from __future__ import annotations

import re

import httpx

from tests.helpers import register
from tests.web.seller_helpers import HTML, SellerAtWork, other_client, page_account, page_seller, page_staff


async def _shop(client: httpx.AsyncClient, seller: SellerAtWork) -> dict[str, object]:
    return dict((await client.get(f"/api/v1/shops/{seller.shop['id']}")).json())


async def _keys(client: httpx.AsyncClient, seller: SellerAtWork) -> list[dict[str, object]]:
    listed = await client.get(f"/api/v1/shops/{seller.shop['id']}/api-keys", headers=seller.account.headers)
    return list(listed.json()["items"])


async def _invitations(client: httpx.AsyncClient, seller: SellerAtWork) -> list[dict[str, object]]:
    listed = await client.get(f"/api/v1/shops/{seller.shop['id']}/invitations", headers=seller.account.headers)
    return list(listed.json()["items"])


async def test_the_owner_saves_the_shop_details(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    page = await client.get(f"{seller.base}/settings", headers=HTML)
    assert page.status_code == 200
    assert '<label for="f-name">Shop name</label>' in page.text
    assert '<label for="f-time-zone">Time zone</label>' in page.text
    assert '<option value="UTC" selected>' in page.text
    assert f'href="{seller.base}/settings/staff"' in page.text
    assert f'href="{seller.base}/settings/api-keys"' in page.text
    saved = await client.post(
        f"{seller.base}/settings",
        data={"csrf_token": seller.csrf, "name": "Harbour Pottery", "time_zone": "Europe/Lisbon"},
        headers=HTML,
        follow_redirects=False,
    )
    assert (saved.status_code, saved.headers["location"]) == (303, f"{seller.base}/settings")
    shop = await _shop(client, seller)
    assert (shop["name"], shop["time_zone"]) == ("Harbour Pottery", "Europe/Lisbon")
    again = await client.get(f"{seller.base}/settings", headers=HTML)
    assert '<option value="Europe/Lisbon" selected>' in again.text
    assert "Harbour Pottery" in again.text


async def test_detail_errors_sit_beside_their_fields_and_change_nothing(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client, name="Kept Name")
    answer = await client.post(
        f"{seller.base}/settings",
        data={"csrf_token": seller.csrf, "name": "", "time_zone": "Mars/Olympus"},
        headers=HTML,
    )
    assert answer.status_code == 422
    assert re.search(r'id="f-name-error">.*Enter the shop&#39;s name', answer.text)
    assert re.search(r'id="f-time-zone-error">.*Choose the shop&#39;s time zone', answer.text)
    too_long = await client.post(
        f"{seller.base}/settings", data={"csrf_token": seller.csrf, "name": "x" * 201, "time_zone": "UTC"}, headers=HTML
    )
    assert too_long.status_code == 422
    assert 'value="' + "x" * 201 + '"' in too_long.text
    shop = await _shop(client, seller)
    assert (shop["name"], shop["time_zone"]) == ("Kept Name", "UTC")


async def test_no_csrf_token_changes_nothing(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client, name="Kept Name")
    posts = [
        (f"{seller.base}/settings", {"name": "Changed", "time_zone": "Asia/Tokyo"}),
        (f"{seller.base}/settings/staff/invitations", {"email": "someone@example.com", "role": "staff"}),
        (f"{seller.base}/settings/api-keys", {"name": "Sneaky"}),
    ]
    for path, data in posts:
        for token in (None, "forged"):
            body = data if token is None else {**data, "csrf_token": token}
            assert (await client.post(path, data=body, headers=HTML)).status_code == 403, path
    shop = await _shop(client, seller)
    assert (shop["name"], shop["time_zone"]) == ("Kept Name", "UTC")
    assert await _keys(client, seller) == []
    assert await _invitations(client, seller) == []


async def test_an_api_key_is_shown_once_then_only_its_prefix(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    empty = await client.get(f"{seller.base}/settings/api-keys", headers=HTML)
    assert empty.status_code == 200
    assert "No keys yet" in empty.text
    created = await client.post(
        f"{seller.base}/settings/api-keys", data={"csrf_token": seller.csrf, "name": "Warehouse sync"}, headers=HTML
    )
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    secret = re.search(r'<code class="secret" id="new-key" tabindex="0">([^<]+)</code>', created.text)
    assert secret is not None
    key = secret.group(1)
    assert "only time it is shown" in created.text
    assert key not in str(created.url)
    assert all(key not in value for value in created.headers.values())
    # The key works for the shop through the API.
    products = await client.get(f"/api/v1/shops/{seller.shop['id']}/orders", headers={"Authorization": f"Bearer {key}"})
    assert products.status_code == 200
    (listed,) = await _keys(client, seller)
    assert listed["name"] == "Warehouse sync"
    assert key.startswith(str(listed["prefix"]))
    # Never again: the list shows the prefix only.
    later = await client.get(f"{seller.base}/settings/api-keys", headers=HTML)
    assert key not in later.text
    assert f"<code>{listed['prefix']}…</code>" in later.text
    assert "Warehouse sync" in later.text
    # Revoked: it stops working, and the list says so.
    revoked = await client.post(
        f"{seller.base}/settings/api-keys/{listed['id']}/revoke",
        data={"csrf_token": seller.csrf},
        headers=HTML,
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    refused = await client.get(f"/api/v1/shops/{seller.shop['id']}/orders", headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 401
    page = await client.get(f"{seller.base}/settings/api-keys", headers=HTML)
    assert "Revoked" in page.text
    assert f'aria-label="Revoke Warehouse sync ({listed["prefix"]})"' not in page.text


async def test_another_shops_key_is_the_404_page(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    async with other_client(client) as elsewhere:
        other = await page_seller(elsewhere, name="Other Shop")
        made = await elsewhere.post(f"/api/v1/shops/{other.shop['id']}/api-keys", headers=other.account.headers)
    answer = await client.post(
        f"{seller.base}/settings/api-keys/{made.json()['id']}/revoke", data={"csrf_token": seller.csrf}, headers=HTML
    )
    assert answer.status_code == 404
    assert (await client.get(f"/api/v1/shops/{other.shop['id']}", headers=other.account.headers)).status_code == 200
    listed = await client.get(f"/api/v1/shops/{other.shop['id']}/api-keys", headers=other.account.headers)
    assert listed.json()["items"][0]["revoked_at"] is None


async def test_the_owner_invites_revokes_and_removes_staff(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    page = await client.get(f"{seller.base}/settings/staff", headers=HTML)
    assert page.status_code == 200
    assert '<label for="f-email">Email</label>' in page.text
    assert '<label for="f-role">Role</label>' in page.text
    assert "(you)" in page.text
    sent = await client.post(
        f"{seller.base}/settings/staff/invitations",
        data={"csrf_token": seller.csrf, "email": "New.Person@Example.com", "role": "staff"},
        headers=HTML,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    (invitation,) = await _invitations(client, seller)
    assert (invitation["email"], invitation["role"], invitation["status"]) == (
        "new.person@example.com",
        "staff",
        "pending",
    )
    listed = await client.get(f"{seller.base}/settings/staff", headers=HTML)
    assert 'aria-label="Revoke the invitation to new.person@example.com"' in listed.text
    revoke = await client.post(
        f"{seller.base}/settings/staff/invitations/{invitation['id']}/revoke",
        data={"csrf_token": seller.csrf},
        headers=HTML,
        follow_redirects=False,
    )
    assert revoke.status_code == 303
    assert (await _invitations(client, seller))[0]["status"] == "revoked"
    twice = await client.post(
        f"{seller.base}/settings/staff/invitations/{invitation['id']}/revoke",
        data={"csrf_token": seller.csrf},
        headers=HTML,
    )
    assert twice.status_code == 409
    assert "already answered" in twice.text
    # Someone who accepted is listed with their role, and can be removed.
    async with other_client(client) as staff_client:
        staff = await page_staff(staff_client, seller)
        assert (await staff_client.get(f"{seller.base}/orders", headers=HTML)).status_code == 200
        members = await client.get(f"{seller.base}/settings/staff", headers=HTML)
        assert 'aria-label="Page Staff, Staff"' in members.text
        removed = await client.post(
            f"{seller.base}/settings/staff/members/{staff.account.id}/remove",
            data={"csrf_token": seller.csrf},
            headers=HTML,
            follow_redirects=False,
        )
        assert removed.status_code == 303
        assert (await staff_client.get(f"{seller.base}/orders", headers=HTML)).status_code == 404
    yourself = await client.post(
        f"{seller.base}/settings/staff/members/{seller.account.id}/remove",
        data={"csrf_token": seller.csrf},
        headers=HTML,
    )
    assert yourself.status_code == 409
    assert (await client.get(f"{seller.base}/settings", headers=HTML)).status_code == 200


async def test_invitation_errors_sit_beside_the_field(client: httpx.AsyncClient) -> None:
    seller = await page_seller(client)
    for email, message in (
        ("", "Enter the email address"),
        ("not an email", "Enter an email address like name@example.com"),
        (seller.account.email, "You cannot invite yourself"),
    ):
        answer = await client.post(
            f"{seller.base}/settings/staff/invitations",
            data={"csrf_token": seller.csrf, "email": email, "role": "staff"},
            headers=HTML,
        )
        assert answer.status_code == 422, email
        assert re.search(r'id="f-email-error">.*' + re.escape(message), answer.text), email
    bad_role = await client.post(
        f"{seller.base}/settings/staff/invitations",
        data={"csrf_token": seller.csrf, "email": "a@example.com", "role": "admin"},
        headers=HTML,
    )
    assert bad_role.status_code == 422
    assert await _invitations(client, seller) == []


async def test_staff_get_the_403_page_on_owner_pages_and_forms(client: httpx.AsyncClient) -> None:
    owner = await page_seller(client, name="Kept Name")
    made = await client.post(f"/api/v1/shops/{owner.shop['id']}/api-keys", headers=owner.account.headers)
    invited = await client.post(
        f"/api/v1/shops/{owner.shop['id']}/members",
        json={"email": "waiting@example.com", "role": "staff"},
        headers=owner.account.headers,
    )
    staff = await page_staff(client, owner)
    # Staff read the shop's details, without the form or the owner-only links.
    details = await client.get(f"{owner.base}/settings", headers=HTML)
    assert details.status_code == 200
    assert "Kept Name" in details.text
    assert "Save details" not in details.text
    assert f'href="{owner.base}/settings/staff"' not in details.text
    assert f'href="{owner.base}/settings/api-keys"' not in details.text
    for path in (f"{owner.base}/settings/staff", f"{owner.base}/settings/api-keys"):
        assert (await client.get(path, headers=HTML)).status_code == 403, path
    posts = [
        (f"{owner.base}/settings", {"name": "Taken Over", "time_zone": "Asia/Tokyo"}),
        (f"{owner.base}/settings/staff/invitations", {"email": "friend@example.com", "role": "owner"}),
        (f"{owner.base}/settings/staff/invitations/{invited.json()['id']}/revoke", {}),
        (f"{owner.base}/settings/staff/members/{owner.account.id}/remove", {}),
        (f"{owner.base}/settings/api-keys", {"name": "Mine now"}),
        (f"{owner.base}/settings/api-keys/{made.json()['id']}/revoke", {}),
    ]
    for path, data in posts:
        answer = await client.post(path, data={**data, "csrf_token": staff.csrf}, headers=HTML, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "owners can do this" in answer.text
    shop = await _shop(client, owner)
    assert (shop["name"], shop["time_zone"]) == ("Kept Name", "UTC")
    keys = await _keys(client, owner)
    assert [(k["id"], k["revoked_at"]) for k in keys] == [(made.json()["id"], None)]
    waiting = {i["email"]: i["status"] for i in await _invitations(client, owner)}
    assert waiting["waiting@example.com"] == "pending"
    assert "friend@example.com" not in waiting
    members = await client.get(f"/api/v1/shops/{owner.shop['id']}/members", headers=owner.account.headers)
    assert {m["role"] for m in members.json()} == {"owner", "staff"}


async def test_non_members_get_the_404_page(client: httpx.AsyncClient) -> None:
    owner = await page_seller(client)
    async with other_client(client) as stranger_client:
        _, csrf = await page_account(stranger_client, name="Stranger")
        for path in ("/settings", "/settings/staff", "/settings/api-keys"):
            assert (await stranger_client.get(owner.base + path, headers=HTML)).status_code == 404
        answer = await stranger_client.post(
            f"{owner.base}/settings", data={"csrf_token": csrf, "name": "Mine", "time_zone": "UTC"}, headers=HTML
        )
        assert answer.status_code == 404
    outsider = await register(client)
    assert (await client.get(f"/api/v1/shops/{owner.shop['id']}/members", headers=outsider.headers)).status_code == 403
