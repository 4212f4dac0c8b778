"""Pure order rules: the lifecycle table and refunds that never give back more than was paid."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoppable.kit.errors import ShoppableError
from shoppable.order.rules import Actor, OrderEvent, OrderStatus, allowed_events, next_status, refund_amount

S, E, A = OrderStatus, OrderEvent, Actor


@pytest.mark.parametrize(
    ("status", "event", "actor", "expected"),
    [
        (S.PENDING_PAYMENT, E.PAY, A.SYSTEM, S.PAID),
        (S.PENDING_PAYMENT, E.EXPIRE, A.SYSTEM, S.CANCELLED),
        (S.PAID, E.SHIP, A.SHOP, S.SHIPPED),
        (S.PAID, E.CANCEL, A.BUYER, S.CANCELLED),
        (S.SHIPPED, E.CANCEL, A.SHOP, S.CANCELLED),
        (S.SHIPPED, E.DELIVER, A.SHOP, S.DELIVERED),
        (S.DELIVERED, E.COMPLETE, A.SYSTEM, S.COMPLETED),
    ],
)
def test_allowed_transitions(status: OrderStatus, event: OrderEvent, actor: Actor, expected: OrderStatus) -> None:
    assert next_status(status, event, actor) == expected


@pytest.mark.parametrize(
    ("status", "event", "actor", "code"),
    [
        (S.PAID, E.SHIP, A.BUYER, "forbidden"),  # a shopper cannot ship
        (S.SHIPPED, E.CANCEL, A.BUYER, "invalid_transition"),  # their order, but it has shipped: a return
        (S.DELIVERED, E.CANCEL, A.BUYER, "invalid_transition"),
        (S.DELIVERED, E.CANCEL, A.SHOP, "invalid_transition"),  # shops only until delivery
        (S.COMPLETED, E.CANCEL, A.SHOP, "invalid_transition"),
        (S.CANCELLED, E.PAY, A.SYSTEM, "invalid_transition"),
        (S.PENDING_PAYMENT, E.SHIP, A.SHOP, "invalid_transition"),
        (S.SHIPPED, E.COMPLETE, A.SYSTEM, "invalid_transition"),
    ],
)
def test_refused_transitions(status: OrderStatus, event: OrderEvent, actor: Actor, code: str) -> None:
    with pytest.raises(ShoppableError) as refused:
        next_status(status, event, actor)
    assert refused.value.code == code


def test_terminal_states_allow_nothing() -> None:
    for actor in Actor:
        assert allowed_events(S.COMPLETED, actor) == []
        assert allowed_events(S.CANCELLED, actor) == []
    assert allowed_events(S.PAID, A.BUYER) == [E.CANCEL]


def test_refund_examples() -> None:
    assert refund_amount(line_total=1000, line_quantity=3, refunded_quantity=0, refunded_amount=0, quantity=1) == 333
    assert refund_amount(line_total=1000, line_quantity=3, refunded_quantity=1, refunded_amount=333, quantity=1) == 334
    assert refund_amount(line_total=1000, line_quantity=3, refunded_quantity=2, refunded_amount=667, quantity=1) == 333
    with pytest.raises(ShoppableError, match="1 are left"):
        refund_amount(line_total=1000, line_quantity=3, refunded_quantity=2, refunded_amount=667, quantity=2)


@given(
    total=st.integers(min_value=0, max_value=10**12),
    steps=st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=20),
)
def test_refunds_in_any_steps_sum_to_the_line_total_and_never_exceed_it(total: int, steps: list[int]) -> None:
    quantity = sum(steps)
    refunded_quantity = refunded_amount = 0
    for step in steps:
        amount = refund_amount(
            line_total=total,
            line_quantity=quantity,
            refunded_quantity=refunded_quantity,
            refunded_amount=refunded_amount,
            quantity=step,
        )
        assert amount >= 0
        refunded_quantity += step
        refunded_amount += amount
        assert refunded_amount <= total
    assert refunded_amount == total
