"""shop invitations and API key use

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shoppable.kit.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shop_invitations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", shoppable.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shoppable.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", shoppable.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["users.id"], name=op.f("fk_shop_invitations_invited_by_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_invitations")),
    )
    with op.batch_alter_table("shop_invitations", schema=None) as batch_op:
        batch_op.create_index("ix_shop_invitations_shop", ["shop_id", "id"], unique=False)
        batch_op.create_index("ix_shop_invitations_email", ["email", "status"], unique=False)
        batch_op.create_index(
            "uq_shop_invitations_pending",
            ["shop_id", "email"],
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )

    # Keys made before this keep no prefix (the plain key was never stored): they list with ``prefix`` null.
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prefix", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", shoppable.kit.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("prefix")
    with op.batch_alter_table("shop_invitations", schema=None) as batch_op:
        batch_op.drop_index("uq_shop_invitations_pending")
        batch_op.drop_index("ix_shop_invitations_email")
        batch_op.drop_index("ix_shop_invitations_shop")
    op.drop_table("shop_invitations")
