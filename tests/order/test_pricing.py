"""Pure pricing: one order per shop from a frozen snapshot, the referral fee per line, clear refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoppable.catalog.stock import VariantForSale
from shoppable.kit.errors import ShoppableError
from shoppable.order.rules import Item, merge_items, price_orders


def _variant(
    variant_id: str,
    shop_id: str = "shop_a",
    *,
    price: int = 1000,
    stock: int = 10,
    currency: str = "USD",
    buyable: bool = True,
) -> VariantForSale:
    return VariantForSale(
        variant_id=variant_id,
        product_id=f"prod_{variant_id}",
        shop_id=shop_id,
        sku=f"SKU-{variant_id}",
        product_title=f"Product {variant_id}",
        variant_title="Default Title",
        price=price,
        currency=currency,
        in_stock=stock,
        image_url=None,
        is_buyable=buyable,
    )


def test_one_order_per_shop_in_the_order_shops_appear() -> None:
    snapshot = {
        "a1": _variant("a1", price=1999),
        "b1": _variant("b1", "shop_b", price=500, currency="JPY"),
        "a2": _variant("a2", price=1),
    }
    drafts = price_orders([Item("a1", 2), Item("b1", 3), Item("a2", 1)], snapshot, fee_bps=600)
    assert [(d.shop_id, d.currency, d.subtotal, d.total) for d in drafts] == [
        ("shop_a", "USD", 3999, 3999),
        ("shop_b", "JPY", 1500, 1500),
    ]
    first = drafts[0]
    assert [(line.variant_id, line.total, line.fee) for line in first.lines] == [("a1", 3998, 240), ("a2", 1, 0)]
    assert first.fee_total == 240
    assert first.lines[0].title == "Product a1"  # "Default Title" variants read as the product alone


def test_the_fee_rounds_half_even_per_line() -> None:
    # 6 % of 25 is 1.5 -> 2 (even); 6 % of 75 is 4.5 -> 4 (even).
    snapshot = {"x": _variant("x", price=25), "y": _variant("y", price=75)}
    drafts = price_orders([Item("x", 1), Item("y", 1)], snapshot, fee_bps=600)
    assert [line.fee for line in drafts[0].lines] == [2, 4]


def test_repeated_variants_merge_and_keep_the_first_source() -> None:
    merged = merge_items(
        [Item("a", 1, {"type": "video", "id": "v1"}), Item("b", 1), Item("a", 2, {"type": "live", "id": "l"})]
    )
    assert merged == [Item("a", 3, {"type": "video", "id": "v1"}), Item("b", 1)]


@pytest.mark.parametrize(
    ("items", "snapshot", "code", "status"),
    [
        ([], {}, "empty_order", 422),
        ([Item("nope", 1)], {}, "variant_not_found", 422),
        ([Item("a", 1)], {"a": _variant("a", buyable=False)}, "product_unavailable", 422),
        ([Item("a", 0)], {"a": _variant("a")}, "invalid_quantity", 422),
        ([Item("a", 11)], {"a": _variant("a", stock=10)}, "out_of_stock", 409),
        ([Item("a", 6), Item("a", 5)], {"a": _variant("a", stock=10)}, "out_of_stock", 409),
    ],
)
def test_refusals(items: list[Item], snapshot: dict[str, VariantForSale], code: str, status: int) -> None:
    with pytest.raises(ShoppableError) as refused:
        price_orders(items, snapshot, fee_bps=600)
    assert (refused.value.code, refused.value.status) == (code, status)


@given(
    prices=st.lists(st.integers(0, 10**9), min_size=1, max_size=8),
    quantities=st.lists(st.integers(1, 999), min_size=8, max_size=8),
    fee_bps=st.integers(0, 10_000),
)
def test_totals_are_exact_sums_and_fees_never_exceed_lines(
    prices: list[int], quantities: list[int], fee_bps: int
) -> None:
    snapshot = {f"v{i}": _variant(f"v{i}", f"shop_{i % 3}", price=p, stock=1000) for i, p in enumerate(prices)}
    items = [Item(f"v{i}", quantities[i]) for i in range(len(prices))]
    drafts = price_orders(items, snapshot, fee_bps=fee_bps)
    assert sum(d.total for d in drafts) == sum(p * q for p, q in zip(prices, quantities, strict=False))
    for draft in drafts:
        assert draft.total == sum(line.total for line in draft.lines)
        assert draft.fee_total == sum(line.fee for line in draft.lines)
        assert all(0 <= line.fee <= line.total for line in draft.lines)
