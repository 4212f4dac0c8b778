"""Money rules: exact parsing, half-even rounding, allocation that never loses or invents a minor unit."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoppable.kit.errors import ShoppableError
from shoppable.kit.money import Money, allocate, apply_bps, exponent, round_half_even, to_minor_units

amounts = st.integers(min_value=-(10**15), max_value=10**15)
weights = st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=40).filter(lambda w: sum(w) > 0)


@given(amount=amounts, parts=weights)
def test_allocation_sums_exactly(amount: int, parts: list[int]) -> None:
    shares = allocate(amount, parts)
    assert sum(shares) == amount
    assert len(shares) == len(parts)


@given(amount=amounts, parts=weights)
def test_allocation_is_within_one_unit_of_the_exact_share(amount: int, parts: list[int]) -> None:
    total = sum(parts)
    for share, weight in zip(allocate(amount, parts), parts, strict=True):
        exact = Decimal(amount) * weight / total
        assert abs(Decimal(share) - exact) < 1
        if weight == 0:
            assert share == 0


@given(amount=st.integers(min_value=0, max_value=10**12), count=st.integers(min_value=1, max_value=50))
def test_equal_split_differs_by_at_most_one(amount: int, count: int) -> None:
    shares = allocate(amount, [1] * count)
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)


@given(
    numerator=st.integers(min_value=-(10**18), max_value=10**18),
    denominator=st.integers(min_value=1, max_value=10**9),
)
def test_round_half_even_matches_decimal(numerator: int, denominator: int) -> None:
    expected = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    # Decimal division is exact at this precision only when it terminates; compare with a wide context.
    from decimal import localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        expected = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    assert round_half_even(numerator, denominator) == int(expected)


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 10, 0), (15, 10, 2), (25, 10, 2), (35, 10, 4), (-5, 10, 0), (-15, 10, -2), (14, 10, 1), (16, 10, 2)],
)
def test_round_half_even_ties(numerator: int, denominator: int, expected: int) -> None:
    assert round_half_even(numerator, denominator) == expected


def test_apply_bps_rounds_half_even() -> None:
    assert apply_bps(1999, 1250) == 250  # 249.875
    assert apply_bps(100, 50) == 0  # 0.5 -> 0 (even)
    assert apply_bps(300, 50) == 2  # 1.5 -> 2 (even)
    assert Money(1999, "USD").apply_bps(1000) == Money(200, "USD")


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("19.99", "USD", 1999),
        ("1500", "JPY", 1500),
        ("0.5", "EUR", 50),
        ("1.234", "KWD", 1234),
        ("  7 ", "USD", 700),
        ("1,299.00", "USD", 129900),
        ("12.", "USD", 1200),
        (".5", "USD", 50),
        ("0", "KRW", 0),
    ],
)
def test_to_minor_units(text: str, currency: str, minor: int) -> None:
    assert to_minor_units(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("19.999", "USD"),
        ("1500.5", "JPY"),
        ("abc", "USD"),
        ("", "USD"),
        ("1e3", "USD"),
        ("NaN", "USD"),
        ("1.2.3", "USD"),
    ],
)
def test_to_minor_units_refuses_what_it_cannot_represent(text: str, currency: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the input
        to_minor_units(text, currency)


@given(
    minor=st.integers(min_value=0, max_value=10**12),
    currency=st.sampled_from(["USD", "JPY", "KWD", "EUR", "CLF"]),
)
def test_minor_units_round_trip_through_decimal_text(minor: int, currency: str) -> None:
    text = str(Money(minor, currency).to_decimal())
    assert to_minor_units(text, currency) == minor


def test_zero_decimal_currencies() -> None:
    assert exponent("JPY") == 0
    assert exponent("KRW") == 0
    assert exponent("USD") == 2
    assert exponent("BHD") == 3
    assert Money(1500, "JPY").format() == "¥1,500"
    assert Money(1999, "USD").format() == "$19.99"


def test_money_never_mixes_currencies() -> None:
    with pytest.raises(ValueError, match="cannot combine"):
        _ = Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(TypeError):
        Money(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(ShoppableError):
        Money(1, "XXX1")


def test_allocate_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="at least one"):
        allocate(10, [])
    with pytest.raises(ValueError, match="all be zero"):
        allocate(10, [0, 0])
    with pytest.raises(ValueError, match="non-negative"):
        allocate(10, [1, -1])
