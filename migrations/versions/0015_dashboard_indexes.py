"""dashboard indexes and rollups: the Seller Center dashboard's reads over a shop's last 30 days

A shop's orders in `paid_at` order (the rollups' recompute of a quarter hour, and the check that reads the orders
themselves: INCLUDE columns on PostgreSQL only); analytics' rollups, a shop's sales and its credited lines summed
per quarter hour of payment (bench/dashboard.py measures both ways).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shoppable.kit.db import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.create_index(
            "ix_orders_shop_paid",
            ["shop_id", "paid_at"],
            postgresql_include=["status", "currency", "total", "shipping_total", "refunded_total", "id"],
        )
    op.create_table(
        "analytics_shop_sales",
        sa.Column("shop_id", sa.String(40), nullable=False),
        sa.Column("bucket", UTCDateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("gmv", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "bucket", "currency", name=op.f("pk_analytics_shop_sales")),
    )
    op.create_table(
        "analytics_shop_credits",
        sa.Column("shop_id", sa.String(40), nullable=False),
        sa.Column("bucket", UTCDateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("creator_id", sa.String(40), nullable=False),
        sa.Column("source_type", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("gmv", sa.BigInteger(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "shop_id",
            "bucket",
            "currency",
            "creator_id",
            "source_type",
            "source_id",
            name=op.f("pk_analytics_shop_credits"),
        ),
    )


def downgrade() -> None:
    op.drop_table("analytics_shop_credits")
    op.drop_table("analytics_shop_sales")
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_shop_paid")
