"""Passwords too easy to guess are refused (zxcvbn, with the account's email and name as what it must not be
built from): on sign-up through the API and the page, and when changing the password."""

from __future__ import annotations

import httpx
import pytest

from shoppable.identity.rules import check_password, password_hints
from shoppable.kit.errors import ShoppableError
from tests.helpers import unique
from tests.web.session_helpers import PAGE_PASSWORD, csrf_of, sign_up_page


def _weak(password: str, *, email: str = "ana.banana@example.com", name: str = "Ana Banana") -> str:
    with pytest.raises(ShoppableError) as refused:
        check_password(password, email=email, name=name)
    assert (refused.value.code, refused.value.status) == ("weak_password", 422)
    assert refused.value.errors == [{"loc": ["body", "password"], "msg": refused.value.detail}]
    return refused.value.detail


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "12345678",
        " " * 8,
        "qwertyuiop",
        "iloveyou1",
        "ana.banana123",
        "anabanana",
        "Ana Banana",
        "banana12",
    ],
)
def test_common_and_personal_passwords_are_refused(password: str) -> None:
    assert _weak(password).startswith("This password is too easy to guess.")


def test_the_message_carries_zxcvbns_advice() -> None:
    assert "This is a top-10 common password." in _weak("password")
    assert 'Repeats like "aaa" are easy to guess.' in _weak(" " * 8)


@pytest.mark.parametrize("password", ["correct horse battery", "a-long-password", "demo-shopper-pass"])
def test_passphrases_pass(password: str) -> None:
    check_password(password, email="ana@example.com", name="Ana")


def test_only_the_first_32_characters_are_judged_so_a_long_one_costs_little() -> None:
    check_password("correct horse battery staple" + "!" * 500, email="ana@example.com", name="Ana")
    _weak("a" * 32 + "k9#Lq2$vX7!mZp4@wR8^")  # a weak start is refused: what follows is not looked at


def test_the_hints_are_the_email_its_parts_and_the_name() -> None:
    assert password_hints("ana.b_2@example.com", "Ana Banana") == [
        "ana.b_2@example.com",
        "ana.b_2",
        "Ana Banana",
        "AnaBanana",
        "ana",
        "b",
        "2",
        "Ana",
        "Banana",
    ]


@pytest.mark.parametrize(
    ("password", "name"),
    [("password", "Ana"), ("12345678", "Ana"), (" " * 8, "Ana"), ("{local}123", "Ana"), ("Ana Lima Costa", None)],
)
async def test_sign_up_refuses_a_weak_password_with_its_field(
    client: httpx.AsyncClient, password: str, name: str | None
) -> None:
    local = unique("ana")
    body = {
        "email": f"{local}@example.com",
        "password": password.format(local=local),
        "name": name or "Ana Lima Costa",
    }
    response = await client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "weak_password"
    assert problem["errors"][0]["loc"] == ["body", "password"]
    assert problem["detail"].startswith("This password is too easy to guess.")
    assert (
        await client.post("/api/v1/auth/token", data={"username": body["email"], "password": "x"})
    ).status_code == 401


async def test_sign_up_takes_a_passphrase(client: httpx.AsyncClient) -> None:
    body = {"email": f"{unique('ana')}@example.com", "password": "correct horse battery", "name": "Ana"}
    assert (await client.post("/api/v1/auth/register", json=body)).status_code == 201


async def test_the_sign_up_page_shows_the_advice_beside_the_field(app: object) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers={"accept": "text/html"}) as http:
        csrf = csrf_of((await http.get("/signup")).text)
        email = f"{unique('page')}@example.com"
        data = {"name": "Ana", "email": email, "password": "12345678", "csrf_token": csrf}
        answer = await http.post("/signup", data=data)
        assert answer.status_code == 200
        assert 'id="f-password-error"' in answer.text
        assert "This is a top-10 common password." in answer.text
        assert "shoppable_session" not in http.cookies


async def test_changing_to_a_weak_password_is_refused_on_the_account_page(app: object) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers={"accept": "text/html"}) as http:
        email, csrf = await sign_up_page(http, name="Rita Moreno")
        change = {"current_password": PAGE_PASSWORD, "new_password": "Rita Moreno", "csrf_token": csrf}
        refused = await http.post("/account/password", data=change)
        assert refused.status_code == 200
        assert 'id="f-new-password-error"' in refused.text
        assert "This password is too easy to guess." in refused.text
        # The old password still signs in; a passphrase is taken.
        token = await http.post("/api/v1/auth/token", data={"username": email, "password": PAGE_PASSWORD})
        assert token.status_code == 200
        change["new_password"] = "violet tram orbit"
        assert (await http.post("/account/password", data=change)).status_code == 303
