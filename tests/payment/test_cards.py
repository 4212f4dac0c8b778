"""Card numbers to test-provider tokens: Stripe's test cards, the Luhn check and expiry, without a database."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from shoppable.kit.errors import ShoppableError
from shoppable.payment.cards import TEST_CARDS, CardDetails, card_from_number, passes_luhn

TODAY = date(2026, 5, 15)


def _refused(number: str, exp_month: int = 12, exp_year: int = 2030) -> ShoppableError:
    with pytest.raises(ShoppableError) as refused:
        card_from_number(number, exp_month, exp_year, today=TODAY)
    assert refused.value.status == 422
    return refused.value


@pytest.mark.parametrize(
    ("number", "token", "brand", "last4"),
    [
        ("4242424242424242", "tok_visa", "visa", "4242"),
        ("5555555555554444", "tok_visa", "mastercard", "4444"),
        ("4000000000000002", "tok_chargeDeclined", "visa", "0002"),
        ("4000000000000119", "tok_processingError", "visa", "0119"),
    ],
)
def test_every_test_card_maps_to_its_token(number: str, token: str, brand: str, last4: str) -> None:
    assert card_from_number(number, 12, 2030, today=TODAY) == CardDetails(
        token=token, brand=brand, last4=last4, exp_month=12, exp_year=2030
    )


def test_the_table_is_exactly_the_published_test_cards() -> None:
    assert set(TEST_CARDS) == {"4242424242424242", "5555555555554444", "4000000000000002", "4000000000000119"}
    assert all(passes_luhn(number) for number in TEST_CARDS)


@pytest.mark.parametrize(
    "written",
    [
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
        " 4242424242424242 ",
        "4242 - 4242 - 4242 - 4242",
        "42424242 42424242",
    ],
)
def test_spaces_and_dashes_are_allowed(written: str) -> None:
    assert card_from_number(written, 1, 2027, today=TODAY).token == "tok_visa"


def test_details_never_hold_the_number() -> None:
    details = card_from_number("4242 4242 4242 4242", 12, 2030, today=TODAY)
    assert {field.name for field in dataclasses.fields(details)} == {
        "token",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
    }
    assert "4242424242424242" not in repr(details)


@pytest.mark.parametrize(
    "number",
    [
        "4242424242424241",  # Luhn fails
        "4242424242424243",
        "5555555555554445",
        "4000000000000001",
        "",
        "4242",  # too short
        "42424242424242424242",  # 20 digits
        "4242 4242 4242 424x",
        "4242_4242_4242_4242",
        "\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12\uff14\uff12",  # wide
        "---- ----",
    ],
)
def test_invalid_numbers(number: str) -> None:
    refused = _refused(number)
    assert refused.code == "invalid_card_number"
    assert refused.errors == [{"loc": ["body", "number"], "msg": "not a valid card number"}]


@pytest.mark.parametrize("number", list(TEST_CARDS))
def test_luhn_catches_every_single_digit_typo(number: str) -> None:
    for position, digit in enumerate(number):
        for other in "0123456789".replace(digit, ""):
            assert not passes_luhn(number[:position] + other + number[position + 1 :])


def _with_check_digit(prefix: str) -> str:
    (number,) = [prefix + digit for digit in "0123456789" if passes_luhn(prefix + digit)]
    return number


@pytest.mark.parametrize("prefix", ["411111111111111", "400012345678901", "52000000000000", "4242424242424", "3"])
def test_a_real_looking_card_that_is_not_a_test_card_is_unsupported(prefix: str) -> None:
    number = _with_check_digit(prefix.ljust(15, "0"))
    refused = _refused(number)
    assert refused.code == "unsupported_card"
    assert "4242 4242 4242 4242" in refused.detail
    assert refused.errors is not None
    assert refused.errors[0]["loc"] == ["body", "number"]
    assert number not in str(refused.errors) + refused.detail


@pytest.mark.parametrize(
    ("exp_month", "exp_year", "field"),
    [(4, 2026, "exp_month"), (1, 2026, "exp_month"), (12, 2025, "exp_year"), (6, 2001, "exp_year")],
)
def test_a_past_expiry_is_expired(exp_month: int, exp_year: int, field: str) -> None:
    refused = _refused("4242424242424242", exp_month, exp_year)
    assert refused.code == "card_expired"
    assert refused.errors is not None
    assert refused.errors[0]["loc"] == ["body", field]


@pytest.mark.parametrize(("exp_month", "exp_year"), [(5, 2026), (6, 2026), (1, 2027), (12, 2099)])
def test_a_card_is_good_through_its_expiry_month(exp_month: int, exp_year: int) -> None:
    assert card_from_number("4242424242424242", exp_month, exp_year, today=TODAY).exp_month == exp_month


@pytest.mark.parametrize("exp_month", [0, 13, -1, 99])
def test_a_month_out_of_range_is_a_validation_error(exp_month: int) -> None:
    refused = _refused("4242424242424242", exp_month, 2030)
    assert refused.code == "validation_error"
    assert refused.errors is not None
    assert refused.errors[0]["loc"] == ["body", "exp_month"]
