"""price allowances for creators' lives and their uses

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shoppable.kit.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("affiliate_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host_discount_bps", sa.Integer(), server_default="0", nullable=False))

    op.create_table(
        "affiliate_host_allowances",
        sa.Column("product_id", sa.String(length=40), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("max_discount_bps", sa.Integer(), nullable=False),
        sa.Column("updated_at", shoppable.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_affiliate_host_allowances")),
    )
    op.create_table(
        "affiliate_allowance_uses",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("creator_id", sa.String(length=40), nullable=False),
        sa.Column("live_id", sa.String(length=40), nullable=False),
        sa.Column("product_id", sa.String(length=40), nullable=False),
        sa.Column("variant_id", sa.String(length=40), nullable=False),
        sa.Column("base_price", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("discount_bps", sa.Integer(), nullable=False),
        sa.Column("allowed_bps", sa.Integer(), nullable=False),
        sa.Column("allowance", sa.String(length=16), nullable=False),
        sa.Column("plan_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", shoppable.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_affiliate_allowance_uses")),
    )
    with op.batch_alter_table("affiliate_allowance_uses", schema=None) as batch_op:
        batch_op.create_index("ix_affiliate_allowance_uses_shop", ["shop_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("affiliate_allowance_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_affiliate_allowance_uses_shop")

    op.drop_table("affiliate_allowance_uses")
    op.drop_table("affiliate_host_allowances")
    with op.batch_alter_table("affiliate_plans", schema=None) as batch_op:
        batch_op.drop_column("host_discount_bps")
