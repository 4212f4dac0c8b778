"""dashboard indexes: the Seller Center dashboard's reads over a shop's last 30 days

A shop's orders in `paid_at` order (the rollups' recompute of a quarter hour, migration 0017, and the check that
reads the orders themselves): INCLUDE columns on PostgreSQL only; bench/dashboard.py measures it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 12:40:00
"""

from collections.abc import Sequence

from alembic import op

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


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_shop_paid")
