"""API shapes of carts, orders, refunds and returns."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from babel import Locale
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shoppable.order.rules import MAX_QUANTITY

Text100 = Field(min_length=1, max_length=100)


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    return frozenset(
        code for code in Locale("en").territories if isinstance(code, str) and len(code) == 2 and code.isalpha()
    )


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ShippingAddress(_In):
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    postal_code: str = Field(min_length=1, max_length=20)
    country: str = Field(description="ISO 3166-1 alpha-2, e.g. `US`, `DE`", examples=["US"])
    region: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, max_length=32)

    @field_validator("country")
    @classmethod
    def _iso_country(cls, value: str) -> str:
        code = value.upper()
        if code not in _countries():
            raise ValueError("not an ISO 3166-1 alpha-2 country code")
        return code


class Source(_In):
    """What made the shopper buy: stored on the line as given (the affiliate engine resolves it)."""

    type: Literal["video", "live", "showcase", "link"]
    id: str = Field(min_length=1, max_length=64)


class ItemIn(_In):
    variant_id: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    source: Source | None = None


class PaymentIn(_In):
    token: str = Field(min_length=1, max_length=255, description="`tok_visa` with the built-in test provider")


class BuyNow(_In):
    items: list[ItemIn] = Field(min_length=1, max_length=100)
    shipping_address: ShippingAddress
    payment: PaymentIn
    coupon_code: str | None = Field(None, max_length=64)


class CheckoutIn(_In):
    shipping_address: ShippingAddress
    payment: PaymentIn
    coupon_code: str | None = Field(None, max_length=64)


class CartItemIn(ItemIn):
    pass


class CartLineUpdate(_In):
    quantity: int = Field(ge=0, le=MAX_QUANTITY, description="0 removes the line")


class ShipIn(_In):
    carrier: str = Text100
    tracking_number: str = Text100


class CancelIn(_In):
    reason: str = Field("", max_length=500)


class LineQuantity(_In):
    line_id: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class RefundIn(_In):
    lines: list[LineQuantity] = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=500)


class ReturnIn(RefundIn):
    pass


class RejectIn(_In):
    reason: str = Field(min_length=1, max_length=500)


# --- read shapes (documentation of what the endpoints return) ---------------------------------------------------


class AttributionRead(BaseModel):
    creator_id: str
    source_type: str
    source_id: str
    commission_bps: int
    commission: int


class OrderLineRead(BaseModel):
    id: str
    variant_id: str
    product_id: str
    sku: str | None
    title: str
    image_url: str | None
    quantity: int
    unit_price: int
    discount: int
    total: int
    platform_fee: int
    refunded_quantity: int
    refunded_amount: int
    source: dict[str, Any] | None
    attribution: AttributionRead | None


class TimelineEntry(BaseModel):
    at: str
    event: str
    actor: str
    detail: dict[str, Any]


class OrderPayment(BaseModel):
    id: str
    status: str | None


class OrderRead(BaseModel):
    id: str
    number: str
    shop_id: str
    buyer_id: str
    status: Literal["pending_payment", "paid", "shipped", "delivered", "completed", "cancelled"]
    refund_status: Literal["none", "partial", "full"]
    currency: str
    subtotal: int
    discount_total: int
    shipping_total: int
    total: int
    refunded_total: int
    platform_fee_total: int
    payment: OrderPayment
    shipping_address: dict[str, Any]
    carrier: str | None
    tracking_number: str | None
    lines: list[OrderLineRead]
    created_at: str
    updated_at: str
    expires_at: str | None
    paid_at: str | None
    shipped_at: str | None
    delivered_at: str | None
    return_window_ends_at: str | None
    completed_at: str | None
    cancelled_at: str | None
    timeline: list[TimelineEntry]


class OrderPage(BaseModel):
    items: list[OrderRead]
    next_cursor: str | None


class PaymentRead(BaseModel):
    id: str
    amount: int
    currency: str
    status: str


class PurchasePayment(BaseModel):
    status: str
    payments: list[PaymentRead]


class PurchaseRead(BaseModel):
    orders: list[OrderRead]
    payment: PurchasePayment


class CartLineRead(BaseModel):
    id: str
    variant_id: str
    quantity: int
    source: dict[str, Any] | None
    available: bool
    product_id: str | None = None
    shop_id: str | None = None
    sku: str | None = None
    title: str | None = None
    variant_title: str | None = None
    image_url: str | None = None
    unit_price: int | None = None
    total: int | None = None
    currency: str | None = None
    in_stock: int | None = None


class CartTotal(BaseModel):
    currency: str
    subtotal: int


class CartRead(BaseModel):
    lines: list[CartLineRead]
    totals: list[CartTotal]


class RefundRead(BaseModel):
    id: str
    order_id: str
    amount: int
    currency: str
    platform_fee_reversed: int
    reason: str
    lines: list[dict[str, Any]]
    return_id: str | None
    status: str
    created_at: str


class ReturnPage(BaseModel):
    items: list[ReturnRead]
    next_cursor: str | None


class ReturnRead(BaseModel):
    id: str
    order_id: str
    status: Literal["requested", "approved", "rejected"]
    lines: list[dict[str, Any]]
    reason: str
    decision_reason: str | None
    refund_id: str | None
    created_at: str
    decided_at: str | None


class ShopPayoutCreate(_In):
    amount: int = Field(gt=0, le=10**15, description="Minor units, at most the available balance")
    currency: str = Field(min_length=3, max_length=3, description="One of the shop's payable currencies")


class ShopPayoutRead(BaseModel):
    id: str
    shop_id: str
    amount: int
    currency: str
    status: Literal["processing", "paid", "failed"]
    provider: str
    provider_reference: str | None
    failure_reason: str | None
    requested_by: str
    created_at: str
    updated_at: str


class ShopPayoutPage(BaseModel):
    items: list[ShopPayoutRead]
    next_cursor: str | None


class ShopFinanceRead(BaseModel):
    """One currency's money of a shop, in minor units, from the ledger:
    sales - refunds - fees - commissions = pending + available + in_transit + paid_out."""

    currency: str
    pending: int = Field(description="Owed for orders not completed yet")
    available: int = Field(description="Owed and free to withdraw")
    in_transit: int = Field(description="Withdrawals handed to the payout provider, not yet confirmed")
    paid_out: int = Field(description="Withdrawals the provider paid")
    sales: int = Field(description="Payments captured for the shop's orders")
    refunds: int = Field(description="Refunded to buyers")
    fees: int = Field(description="Referral fees the platform kept (net of fees returned with refunds)")
    commissions: int = Field(description="Creators' commissions kept (net of reversals)")
