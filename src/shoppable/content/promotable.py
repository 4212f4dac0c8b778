"""Which products a creator may put in content: active ones that an active affiliate plan covers for them, or
their own shop's (they earn nothing on those, but may show them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.affiliate import plans
from shoppable.catalog import service as catalog
from shoppable.identity import service as identity
from shoppable.identity.rules import CallingCreator
from shoppable.kit.clock import utcnow

NOT_FOUND, NOT_AFFILIATED = "product_not_found", "not_affiliated"


async def refusals(
    session: AsyncSession, creator: CallingCreator, product_ids: Sequence[str], *, notice: timedelta
) -> dict[str, str]:
    """Why the creator may not promote each of these products (``product_not_found``: missing or not on sale;
    ``not_affiliated``: no plan covers them); products they may promote are left out."""
    wanted = list(dict.fromkeys(product_ids))
    if not wanted:
        return {}
    found = await catalog.product_summaries(session, wanted)
    refused = {p: NOT_FOUND for p in wanted if p not in found or found[p].status != "active"}
    own_shops = {shop_id for shop_id, _ in await identity.memberships_of(session, creator.user_id)}
    others = [(p, found[p].shop_id) for p in wanted if p not in refused and found[p].shop_id not in own_shops]
    rates = await plans.rates_open_to(session, creator.creator_id, others, at=utcnow(), notice=notice)
    refused.update({p: NOT_AFFILIATED for p, choice in rates.items() if choice is None})
    return refused
