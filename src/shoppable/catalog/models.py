"""Catalog tables: shops, products, variants, inventory movements and product imports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from shoppable.kit.db import Base


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="active")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")  # the dashboard's days
    created_at: Mapped[datetime]


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("shop_id", "handle"),
        Index("ix_products_status_created", "status", "created_at", "id"),
        Index("ix_products_status_price", "status", "price_min", "id"),
        Index("ix_products_status_sales", "status", "sales_count", "id"),
        Index("ix_products_shop_created", "shop_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    handle: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    description_html: Mapped[str] = mapped_column(Text, default="")
    vendor: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(255), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Derived from the variants on every write, for sorting and price filters without a join.
    price_min: Mapped[int] = mapped_column(BigInteger, default=0)
    sales_count: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Variant(Base):
    __tablename__ = "variants"
    # A SKU is the seller's own label: distinct among one product's variants, shared across products as Shopify
    # allows (shared/API.md). The index serves the import's look-up of SKUs that several products carry.
    __table_args__ = (
        UniqueConstraint("product_id", "sku"),
        Index("ix_variants_shop_sku", "shop_id", "sku"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"))
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    options: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    price: Mapped[int] = mapped_column(BigInteger)
    compare_at_price: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    inventory_quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    image_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InventoryMovement(Base):
    """Every change of a variant's stock, with who and why: the audit trail of inventory."""

    __tablename__ = "inventory_movements"
    __table_args__ = (Index("ix_inventory_movements_variant_at", "variant_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    variant_id: Mapped[str] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    shop_id: Mapped[str] = mapped_column(String(40))
    delta: Mapped[int] = mapped_column(BigInteger)
    quantity_after: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(255))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ProductImport(Base):
    __tablename__ = "product_imports"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    shop_id: Mapped[str] = mapped_column(ForeignKey("shops.id"), index=True)
    format: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    file_path: Mapped[str] = mapped_column(String(1024))
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Products imported whole but worth a look: a SKU that other products of the shop carry too.
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
