"""SKUs distinct within a product, not across the shop; imports keep warnings (SKUs several products share)

Shopify lets two products carry one SKU, and a real store's export does: its import must bring in every product.
Going back refuses to run while a shop has a SKU on two products (the old constraint cannot hold then).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("variants") as batch:
        batch.drop_constraint("uq_variants_shop_id_sku", type_="unique")
        batch.create_unique_constraint("uq_variants_product_id_sku", ["product_id", "sku"])
        batch.create_index("ix_variants_shop_sku", ["shop_id", "sku"])
    with op.batch_alter_table("product_imports") as batch:
        batch.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("product_imports") as batch:
        batch.drop_column("warnings")
    with op.batch_alter_table("variants") as batch:
        batch.drop_index("ix_variants_shop_sku")
        batch.drop_constraint("uq_variants_product_id_sku", type_="unique")
        batch.create_unique_constraint("uq_variants_shop_id_sku", ["shop_id", "sku"])
