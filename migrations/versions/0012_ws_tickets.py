"""single-use tickets for live-room sockets

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shoppable.kit.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_socket_tickets",
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("live_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("expires_at", shoppable.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", shoppable.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["live_id"], ["lives.id"], name=op.f("fk_live_socket_tickets_live_id_lives"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_hash", name=op.f("pk_live_socket_tickets")),
    )
    op.create_index("ix_live_socket_tickets_expires_at", "live_socket_tickets", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_live_socket_tickets_expires_at", table_name="live_socket_tickets")
    op.drop_table("live_socket_tickets")
