"""shop payouts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shoppable.kit.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shop_payouts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_reference", sa.String(length=128), nullable=True),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column("requested_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", shoppable.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shoppable.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_payouts")),
    )
    with op.batch_alter_table("shop_payouts", schema=None) as batch_op:
        batch_op.create_index("ix_shop_payouts_shop", ["shop_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shop_payouts", schema=None) as batch_op:
        batch_op.drop_index("ix_shop_payouts_shop")
    op.drop_table("shop_payouts")
