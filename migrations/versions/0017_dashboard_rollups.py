"""dashboard rollups: analytics' summaries of a shop's sales and credited lines per quarter hour of payment

Credits come per quarter hour and per UTC day (``span``), a creator's own total under an empty source. Kept by
analytics' outbox subscriber from order events (paid, cancelled, refunded); the Seller Center dashboard
reads them (bench/dashboard.py). Filled for existing orders by `analytics.rollup.rebuild` (the backfill).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shoppable.kit.db import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
        sa.Column("span", sa.String(1), nullable=False),
        sa.Column("bucket", UTCDateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("creator_id", sa.String(40), nullable=False),
        sa.Column("source_type", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(64), nullable=False),
        sa.Column("gmv", sa.BigInteger(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "shop_id",
            "span",
            "bucket",
            "currency",
            "creator_id",
            "source_type",
            "source_id",
            name=op.f("pk_analytics_shop_credits"),
        ),
    )
    with op.batch_alter_table("analytics_shop_credits") as batch:
        batch.create_index(
            "ix_analytics_shop_credits_creators",
            ["shop_id", "span", "bucket"],
            postgresql_include=["currency", "creator_id", "gmv", "orders"],
            postgresql_where=sa.text("source_type = ''"),
            sqlite_where=sa.text("source_type = ''"),
        )
        batch.create_index(
            "ix_analytics_shop_credits_content",
            ["shop_id", "span", "bucket"],
            postgresql_include=["currency", "creator_id", "source_type", "source_id", "gmv", "orders"],
            postgresql_where=sa.text("source_type <> ''"),
            sqlite_where=sa.text("source_type <> ''"),
        )


def downgrade() -> None:
    op.drop_table("analytics_shop_credits")
    op.drop_table("analytics_shop_sales")
