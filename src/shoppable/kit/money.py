"""Exact money: integer minor units with their ISO 4217 currency, allocation, rounding and formatting."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency

from shoppable.kit.errors import ShoppableError

# ISO 4217 currencies whose minor unit is not 2 decimals. Everything else listed in
# KNOWN_CURRENCIES has two.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}

KNOWN_CURRENCIES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
    GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
    KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
    NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
    SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYI UYU
    UYW UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
    """.split()  # noqa: SIM905 - a table is easier to read than 160 quoted codes
)

_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def check_currency(currency: str) -> str:
    """Return the currency code if it is a known ISO 4217 code, else raise a 422."""
    if currency not in KNOWN_CURRENCIES:
        raise ShoppableError("unknown_currency", 422, f"{currency!r} is not an ISO 4217 currency code.")
    return currency


def exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (JPY 0, USD 2, KWD 3)."""
    return _EXPONENTS.get(check_currency(currency), 2)


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount is an integer number of minor units")
        check_currency(self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    def format(self, locale: str = "en_US") -> str:
        return format_currency(self.to_decimal(), self.currency, locale=locale)

    def apply_bps(self, bps: int) -> Money:
        """This amount times bps / 10,000, rounded half-even to the minor unit."""
        return Money(apply_bps(self.amount, bps), self.currency)

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        return [Money(part, self.currency) for part in allocate(self.amount, weights)]


def to_minor_units(text: str | int | float | Decimal, currency: str) -> int:
    """Parse a decimal amount ("19.99", "1500", 12.5) into exact minor units of ``currency``.

    Rejects amounts with more precision than the currency has (``19.999`` USD) rather than
    rounding a price silently.
    """
    places = exponent(currency)
    if isinstance(text, bool):
        raise ValueError("not an amount")
    if isinstance(text, float):
        text = repr(text)
    if isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, Decimal):
        value = text
    else:
        cleaned = text.strip().replace(",", "") if text.count(".") <= 1 else text.strip()
        if not _DECIMAL_TEXT.match(cleaned):
            raise ValueError(f"{text!r} is not a decimal amount")
        try:
            value = Decimal(cleaned)
        except InvalidOperation as exc:
            raise ValueError(f"{text!r} is not a decimal amount") from exc
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a finite amount")
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} has more decimals than {currency} allows ({places})")
    return int(scaled)


def round_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, ties to even. Exact for any ints."""
    if denominator == 0:
        raise ZeroDivisionError("denominator is zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def apply_bps(amount: int, bps: int) -> int:
    return round_half_even(amount * bps, 10_000)


def share_of_remaining(*, total: int, units: int, units_done: int, amount_done: int, units_now: int) -> int:
    """The part of ``total`` (spread over ``units``) that ``units_now`` more units take, when ``units_done``
    units already took ``amount_done``: the rest shared over the units left, rounded half-even, and the last
    units take exactly what is left. So partial shares never add up to more than ``total``, and all of them
    add up to it exactly. The caller checks ``0 < units_now <= units - units_done``.
    """
    units_left = units - units_done
    amount_left = total - amount_done
    if units_now == units_left:
        return amount_left
    return round_half_even(amount_left * units_now, units_left)


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` in proportion to non-negative ``weights`` so the parts sum exactly to it.

    Largest-remainder method: every part is the floor of its exact share, and the minor units left
    over go one each to the parts with the largest remainders (earliest first on ties).
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    if any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative")
    total = sum(weights)
    if total == 0:
        raise ValueError("weights must not all be zero")
    sign = -1 if amount < 0 else 1
    magnitude = abs(amount)
    parts = [magnitude * w // total for w in weights]
    remainders = [magnitude * w % total for w in weights]
    leftover = magnitude - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]:
        parts[index] += 1
    return [sign * p for p in parts]
