"""API shapes of the catalog: shops, products, variants, inventory and imports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from shoppable.catalog.rules import check_slug, check_time_zone
from shoppable.kit.urls import WebUrl

ProductStatus = Literal["active", "draft", "archived"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=80), AfterValidator(check_slug)]
Handle = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(check_slug)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Url = WebUrl
Amount = Annotated[int, Field(ge=0, le=10**15)]
ShopName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TimeZone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(check_time_zone),
    Field(description="An IANA time zone (the dashboard's days and the pages' times)", examples=["Europe/London"]),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- shops ---------------------------------------------------------------------------------------


class ShopCreate(Strict):
    name: Name
    currency: Currency
    slug: Slug | None = None
    time_zone: TimeZone = "UTC"


class ShopUpdate(Strict):
    """Only the fields given change."""

    name: ShopName | None = None
    time_zone: TimeZone | None = None


class ShopRead(BaseModel):
    id: str
    slug: str
    name: str
    currency: str
    status: str
    time_zone: str


class MemberRead(BaseModel):
    user_id: str
    name: str
    email: str
    role: Literal["owner", "staff"]
    since: datetime


class ApiKeyCreate(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = "API key"


class ApiKeyRead(BaseModel):
    id: str
    key: str = Field(description="The secret key, shown only in this response.")
    prefix: str = Field(description="The key's first characters, as the list of the shop's keys shows them")
    name: str
    shop_id: str


# --- products ------------------------------------------------------------------------------------


class ImageIn(Strict):
    url: Url
    alt: Annotated[str, StringConstraints(max_length=512)] = ""


class OptionIn(Strict):
    name: Name
    values: list[Name] | None = Field(
        None,
        max_length=250,
        description="Allowed values in display order; derived from the variants when absent.",
    )


class VariantIn(Strict):
    id: str | None = Field(None, description="On PATCH: the variant to update; absent creates a new one.")
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)] | None = None
    options: dict[Name, Name] = Field(default_factory=dict, max_length=3)
    price: Amount
    compare_at_price: Amount | None = None
    currency: Currency | None = Field(None, description="Must be the shop's currency when given.")
    inventory_quantity: Annotated[int, Field(ge=0, le=10**9)] | None = None
    weight_grams: Annotated[int, Field(ge=0, le=10**7)] | None = None
    image_url: Url | None = None


class ProductCreate(Strict):
    handle: Handle | None = None
    title: Name
    description_html: Annotated[str, StringConstraints(max_length=65_536)] = ""
    vendor: Name | None = None
    category: Name | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=250)
    status: ProductStatus = "active"
    images: list[ImageIn] = Field(default_factory=list, max_length=250)
    options: list[OptionIn] = Field(default_factory=list, max_length=3)
    variants: list[VariantIn] = Field(min_length=1, max_length=250)


class ProductUpdate(Strict):
    handle: Handle | None = None
    title: Name | None = None
    description_html: Annotated[str, StringConstraints(max_length=65_536)] | None = None
    vendor: Name | None = None
    category: Name | None = None
    tags: list[Tag] | None = Field(None, max_length=250)
    status: ProductStatus | None = None
    images: list[ImageIn] | None = Field(None, max_length=250)
    options: list[OptionIn] | None = Field(None, max_length=3)
    variants: list[VariantIn] | None = Field(
        None,
        min_length=1,
        max_length=250,
        description="The full new variant list: entries with an id update that variant, entries without one "
        "are created, variants left out are removed.",
    )

    @model_validator(mode="after")
    def _options_need_variants(self) -> Self:
        if self.options is not None and self.variants is None:
            raise ValueError("changing options needs the variants too")
        return self


class ImageRead(BaseModel):
    url: str
    alt: str


class OptionRead(BaseModel):
    name: str
    values: list[str]


class VariantRead(BaseModel):
    id: str
    sku: str | None
    title: str
    options: dict[str, str]
    price: int
    compare_at_price: int | None
    currency: str
    inventory_quantity: int
    weight_grams: int | None
    image_url: str | None = None


class ProductRead(BaseModel):
    id: str
    shop_id: str
    handle: str
    title: str
    description_html: str
    vendor: str | None
    category: str | None
    tags: list[str]
    status: ProductStatus
    images: list[ImageRead]
    options: list[OptionRead]
    variants: list[VariantRead]
    created_at: datetime
    updated_at: datetime


class ProductPage(BaseModel):
    items: list[ProductRead]
    next_cursor: str | None


# --- inventory -----------------------------------------------------------------------------------


class InventoryChange(Strict):
    set: Annotated[int, Field(ge=0, le=10**9)] | None = None
    adjust: Annotated[int, Field(ge=-(10**9), le=10**9)] | None = None
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.set is None) == (self.adjust is None):
            raise ValueError('give exactly one of "set" or "adjust"')
        return self


class InventoryMovementRead(BaseModel):
    id: str
    variant_id: str
    delta: int
    quantity_after: int
    reason: str
    actor: str
    created_at: datetime


class InventoryMovementPage(BaseModel):
    items: list[InventoryMovementRead]
    next_cursor: str | None


# --- imports -------------------------------------------------------------------------------------

ImportFormat = Literal["shopify_csv", "shopify_json", "woocommerce_csv"]


class SkippedRowRead(BaseModel):
    row: int
    handle: str | None
    reason: str


class ImportWarningRead(BaseModel):
    row: int = Field(description="The file row where the product starts")
    handle: str
    sku: str
    message: str


class ImportRead(BaseModel):
    id: str
    shop_id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    format: str
    filename: str
    rows_total: int
    created: int
    updated: int
    skipped: list[SkippedRowRead] = Field(description="Rows left out, each with its row number, handle and reason")
    warnings: list[ImportWarningRead] = Field(
        default_factory=list,
        description="Products imported whole that are worth a look: each product of the file whose SKU another "
        "product of the shop also carries (Shopify allows it; a SKU is distinct only within a product, and each "
        "product keeps its own stock).",
    )
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class MemberCreate(Strict):
    email: EmailStr = Field(description="Whoever signs in with this email may accept; an account need not exist yet")
    role: Literal["owner", "staff"] = "staff"
