"""Identity through HTTP: register, sign in, /me, and every refusal."""

from __future__ import annotations

import httpx

from tests.helpers import create_shop, register, unique


async def test_register_sign_in_and_me(client: httpx.AsyncClient) -> None:
    email = f"{unique('ana')}@Example.com"
    created = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": "s3cret-pass", "name": "Ana"}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["email"] == email.lower()
    assert set(body) == {"id", "email", "name"}
    token = await client.post("/api/v1/auth/token", data={"username": email.upper(), "password": "s3cret-pass"})
    assert token.status_code == 200
    assert token.json()["token_type"] == "bearer"
    assert token.json()["expires_in"] > 0
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "id": body["id"],
        "email": email.lower(),
        "name": "Ana",
        "shops": [],
        "creator": None,
        "invitations": [],
    }


async def test_me_lists_shops_with_roles(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner, name="Ana's Shop")
    me = (await client.get("/api/v1/me", headers=owner.headers)).json()
    assert me["shops"] == [{"id": shop["id"], "name": "Ana's Shop", "role": "owner"}]


async def test_email_taken_is_409_case_insensitive(client: httpx.AsyncClient) -> None:
    email = f"{unique('dup')}@example.com"
    first = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": "first-long-pass", "name": "A"}
    )
    assert first.status_code == 201
    again = await client.post(
        "/api/v1/auth/register", json={"email": email.upper(), "password": "second-long-pass", "name": "B"}
    )
    assert again.status_code == 409
    assert again.json()["code"] == "email_taken"
    assert again.headers["content-type"].startswith("application/problem+json")


async def test_register_validation_errors_have_field_locations(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/register", json={"email": "not-an-email", "password": "short"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_error"
    locations = {tuple(e["loc"]) for e in problem["errors"]}
    assert ("body", "email") in locations
    assert ("body", "password") in locations
    assert ("body", "name") in locations


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"


async def test_wrong_password_and_unknown_email_are_401(client: httpx.AsyncClient) -> None:
    account = await register(client, password="right-password")
    wrong = await client.post("/api/v1/auth/token", data={"username": account.email, "password": "wrong-password"})
    unknown = await client.post("/api/v1/auth/token", data={"username": "nobody@example.com", "password": "x"})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"


async def test_me_refuses_missing_and_bad_tokens(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/me")
    assert missing.status_code == 401
    assert missing.json()["code"] == "not_authenticated"
    assert missing.headers["www-authenticate"] == "Bearer"
    bad = await client.get("/api/v1/me", headers={"Authorization": "Bearer spt_forged"})
    assert bad.status_code == 401
    assert bad.json()["code"] == "invalid_token"


async def test_shop_api_key_is_not_a_user(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    key = (await client.post(f"/api/v1/shops/{shop['id']}/api-keys", headers=owner.headers)).json()["key"]
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403
    assert response.json()["code"] == "user_required"


async def test_tokens_are_stored_hashed(client: httpx.AsyncClient, database: object) -> None:
    from sqlalchemy import select

    from shoppable.identity.models import AccessToken
    from shoppable.identity.tokens import digest

    account = await register(client)
    async with database.session(write=False) as session:  # type: ignore[attr-defined]
        stored = list(await session.scalars(select(AccessToken.token_hash)))
    assert account.token not in stored
    assert digest(account.token) in stored


async def test_sign_out_revokes_only_that_token(client: httpx.AsyncClient) -> None:
    account = await register(client, password="sign-out-pass")
    second = await client.post("/api/v1/auth/token", data={"username": account.email, "password": "sign-out-pass"})
    other_headers = {"Authorization": f"Bearer {second.json()['access_token']}"}
    assert (await client.delete("/api/v1/auth/token", headers=account.headers)).status_code == 204
    revoked = await client.get("/api/v1/me", headers=account.headers)
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "invalid_token"
    assert (await client.get("/api/v1/me", headers=other_headers)).status_code == 200
