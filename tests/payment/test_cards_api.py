"""Saved cards through HTTP: save, list, delete, dedupe and the cap; only the owner sees them; buying with one."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from shoppable.kit.db import Database
from shoppable.kit.errors import ShoppableError
from shoppable.payment import cards
from tests.helpers import Account, buy, list_product, register

VISA = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"


async def _save(
    client: httpx.AsyncClient, who: Account, number: str = VISA, exp_month: int = 12, exp_year: int = 2030, **extra: Any
) -> httpx.Response:
    return await client.post(
        "/api/v1/me/cards",
        json={"number": number, "exp_month": exp_month, "exp_year": exp_year, **extra},
        headers=who.headers,
    )


async def _saved(client: httpx.AsyncClient, who: Account, number: str = VISA, **body: Any) -> dict[str, Any]:
    response = await _save(client, who, number, **body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _listed(client: httpx.AsyncClient, who: Account) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/me/cards", headers=who.headers)
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"items"}
    return list(response.json()["items"])


async def test_save_list_and_delete(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    assert await _listed(client, ana) == []
    response = await _save(client, ana, VISA, cvc="123")
    assert response.status_code == 201
    card = response.json()
    assert card == {
        "id": card["id"],
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2030,
        "token": "tok_visa",
    }
    assert "4242424242" not in response.text
    master = await _saved(client, ana, "5555-5555-5555-4444", exp_month=1, exp_year=2031)
    assert (master["brand"], master["last4"], master["token"]) == ("mastercard", "4444", "tok_visa")
    assert [c["id"] for c in await _listed(client, ana)] == [master["id"], card["id"]]  # newest first
    deleted = await client.delete(f"/api/v1/me/cards/{card['id']}", headers=ana.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert await _listed(client, ana) == [master]
    again = await client.delete(f"/api/v1/me/cards/{card['id']}", headers=ana.headers)
    assert (again.status_code, again.json()["code"]) == (404, "not_found")


async def test_the_same_card_is_saved_once(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    first = await _saved(client, ana, VISA)
    assert await _saved(client, ana, "4242-4242-4242-4242", cvc="999") == first
    assert await _saved(client, ana, "4242424242424242") == first
    renewed = await _saved(client, ana, VISA, exp_year=2031)  # a new expiry is a new card
    assert renewed["id"] != first["id"]
    assert len(await _listed(client, ana)) == 2


async def test_at_most_ten_cards(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    saved = [await _saved(client, ana, VISA, exp_year=2030 + i) for i in range(cards.MAX_CARDS)]
    eleventh = await _save(client, ana, VISA, exp_year=2050)
    assert (eleventh.status_code, eleventh.json()["code"]) == (422, "too_many_cards")
    assert await _saved(client, ana, VISA, exp_year=2030) == saved[0]  # one already saved is still returned
    await client.delete(f"/api/v1/me/cards/{saved[3]['id']}", headers=ana.headers)
    assert (await _save(client, ana, VISA, exp_year=2050)).status_code == 201
    assert len(await _listed(client, ana)) == cards.MAX_CARDS


async def test_saves_at_once_keep_the_cap_and_save_a_card_once(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    years = range(2030, 2030 + cards.MAX_CARDS + 4)
    responses = await asyncio.gather(*(_save(client, ana, VISA, exp_year=year) for year in years))
    assert sorted(r.status_code for r in responses) == [201] * cards.MAX_CARDS + [422] * 4
    bob = await register(client)
    same = await asyncio.gather(*(_save(client, bob, VISA) for _ in range(8)))
    assert {r.status_code for r in same} == {201}
    assert len({r.json()["id"] for r in same}) == 1
    assert len(await _listed(client, bob)) == 1


async def test_another_users_card_is_invisible(client: httpx.AsyncClient, database: Database) -> None:
    ana, bob = await register(client), await register(client)
    card = await _saved(client, ana)
    assert await _listed(client, bob) == []
    stolen = await client.delete(f"/api/v1/me/cards/{card['id']}", headers=bob.headers)
    assert (stolen.status_code, stolen.json()["code"]) == (404, "not_found")
    assert await _listed(client, ana) == [card]
    # Bob saving the same card gets a card of his own.
    assert (await _saved(client, bob))["id"] != card["id"]
    async with database.session(write=False) as session:
        assert await cards.get_card(session, ana.id, card["id"]) == card
        with pytest.raises(ShoppableError) as refused:
            await cards.get_card(session, bob.id, card["id"])
    assert (refused.value.status, refused.value.code) == (404, "not_found")


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/api/v1/me/cards"),
        await client.post("/api/v1/me/cards", json={"number": VISA, "exp_month": 12, "exp_year": 2030}),
        await client.delete("/api/v1/me/cards/card_any"),
    ):
        assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


@pytest.mark.parametrize(
    ("body", "code", "loc"),
    [
        ({"number": "4242 4242 4242 4241"}, "invalid_card_number", ["body", "number"]),
        ({"number": "not a card"}, "invalid_card_number", ["body", "number"]),
        ({"number": "4111 1111 1111 1111"}, "unsupported_card", ["body", "number"]),
        ({"exp_year": 2020}, "card_expired", ["body", "exp_year"]),
        ({"exp_month": 13}, "validation_error", ["body", "exp_month"]),
        ({"exp_month": 0}, "validation_error", ["body", "exp_month"]),
        ({"exp_year": 30}, "validation_error", ["body", "exp_year"]),
        ({"cvc": "12"}, "validation_error", ["body", "cvc"]),
        ({"cvc": "12345"}, "validation_error", ["body", "cvc"]),
        ({"cvc": "12a"}, "validation_error", ["body", "cvc"]),
        ({"number": ""}, "validation_error", ["body", "number"]),
        ({"number": "4" * 41}, "validation_error", ["body", "number"]),
        ({"number": None}, "validation_error", ["body", "number"]),
        ({"nickname": "x"}, "validation_error", ["body", "nickname"]),
    ],
)
async def test_bad_input_is_422_with_field_errors(
    client: httpx.AsyncClient, body: dict[str, Any], code: str, loc: list[str]
) -> None:
    ana = await register(client)
    response = await client.post(
        "/api/v1/me/cards", json={"number": VISA, "exp_month": 12, "exp_year": 2030, **body}, headers=ana.headers
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == code
    assert loc in [error["loc"] for error in problem["errors"]]
    assert "4242424242424241" not in response.text
    assert await _listed(client, ana) == []


async def test_a_four_digit_cvc_is_accepted_and_never_returned(client: httpx.AsyncClient) -> None:
    ana = await register(client)
    response = await _save(client, ana, VISA, cvc="1234")
    assert response.status_code == 201
    assert "1234" not in response.text
    assert "cvc" not in response.json()


async def test_buying_with_a_saved_card(client: httpx.AsyncClient) -> None:
    listing = await list_product(client, (1500, 5))
    variant = listing.variant_ids[0]
    buyer = await register(client)
    good = await _saved(client, buyer, VISA)
    bought = await buy(client, buyer, [{"variant_id": variant, "quantity": 1}], token=good["token"])
    assert bought.status_code == 201, bought.text
    assert bought.json()["payment"]["status"] == "captured"
    declined = await _saved(client, buyer, DECLINED)
    assert (declined["brand"], declined["last4"]) == ("visa", "0002")  # saving it is fine
    refused = await buy(client, buyer, [{"variant_id": variant, "quantity": 1}], token=declined["token"])
    assert (refused.status_code, refused.json()["code"]) == (402, "payment_declined")
    failing = await _saved(client, buyer, "4000 0000 0000 0119")
    failed = await buy(client, buyer, [{"variant_id": variant, "quantity": 1}], token=failing["token"])
    assert (failed.status_code, failed.json()["code"]) == (502, "payment_provider_error")
    orders = (await client.get("/api/v1/orders", headers=buyer.headers)).json()["items"]
    assert len(orders) == 1  # the refused payments kept no order
