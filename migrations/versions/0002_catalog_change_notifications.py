"""Catalog change notifications: PostgreSQL NOTIFYs the id of every product whose rows change.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Each process's read cache LISTENs on ``catalog_product`` and evicts what it names (kit/read_cache.py).
Statement-level triggers with transition tables: one notification per product per statement, so a bulk import
does not pay a trigger call per row. SQLite has no NOTIFY; its processes do not cache reads.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "catalog_product"
# (trigger, table, event, transition table clause, id column)
TRIGGERS = [
    ("products_changed_update", "products", "UPDATE", "REFERENCING NEW TABLE AS changed_rows", "id"),
    ("products_changed_delete", "products", "DELETE", "REFERENCING OLD TABLE AS changed_rows", "id"),
    ("variants_changed_insert", "variants", "INSERT", "REFERENCING NEW TABLE AS changed_rows", "product_id"),
    ("variants_changed_update", "variants", "UPDATE", "REFERENCING NEW TABLE AS changed_rows", "product_id"),
    ("variants_changed_delete", "variants", "DELETE", "REFERENCING OLD TABLE AS changed_rows", "product_id"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in ("id", "product_id"):
        op.execute(
            f"""
            CREATE FUNCTION notify_catalog_product_by_{column}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{CHANNEL}', changed.{column})
                FROM (SELECT DISTINCT {column} FROM changed_rows) AS changed;
                RETURN NULL;
            END $$
            """
        )
    for name, table, event, transition, column in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} {transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_product_by_{column}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, *_ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for column in ("id", "product_id"):
        op.execute(f"DROP FUNCTION IF EXISTS notify_catalog_product_by_{column}()")
