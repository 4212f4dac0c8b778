"""Every domain's tables, imported once so the metadata is complete (migrations, tests)."""

from shoppable.affiliate import models as affiliate_models
from shoppable.analytics import models as analytics_models
from shoppable.catalog import models as catalog_models
from shoppable.content import models as content_models
from shoppable.identity import models as identity_models
from shoppable.kit import idempotency, outbox
from shoppable.kit.db import Base
from shoppable.ledger import models as ledger_models
from shoppable.live import models as live_models
from shoppable.order import models as order_models
from shoppable.payment import models as payment_models

metadata = Base.metadata

__all__ = [
    "affiliate_models",
    "analytics_models",
    "catalog_models",
    "content_models",
    "identity_models",
    "idempotency",
    "ledger_models",
    "live_models",
    "metadata",
    "order_models",
    "outbox",
    "payment_models",
]
