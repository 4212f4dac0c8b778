"""Seller Center: the shop's dashboard, from the analytics read model: today's and 30 days' figures, what waits
for the shop, the creators and content that sold most, and the 30 days' GMV as a chart with its numbers."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from shoppable.analytics import dashboard as analytics
from shoppable.kit.clock import utcnow
from shoppable.kit.deps import DbSession
from shoppable.web.seller.access import SellerPage
from shoppable.web.templating import money, render

router = APIRouter(include_in_schema=False)

CHART_WIDTH, CHART_HEIGHT, CHART_TOP = 600, 200, 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # the day and its GMV, for the bar's tooltip


def chart_bars(days: list[analytics.Day], currency: str) -> list[Bar]:
    """One bar per day, scaled to the busiest day (an empty month draws no bars)."""
    top = max((day.gmv for day in days), default=0)
    slot = CHART_WIDTH / max(1, len(days))
    bars = []
    for i, day in enumerate(days):
        height = (CHART_HEIGHT - CHART_TOP) * day.gmv / top if top else 0
        label = f"{day.day:%-d %b}: {money(day.gmv, currency)}"
        bars.append(
            Bar(round(i * slot + 1, 2), round(CHART_HEIGHT - height, 2), round(slot - 2, 2), round(height, 2), label)
        )
    return bars


@router.get("/seller/{shop_slug}")
async def dashboard(request: Request, session: DbSession, seller: SellerPage) -> Response:
    shop = seller.shop
    figures = await analytics.shop_dashboard(
        session, shop.id, currency=shop.currency, time_zone=shop.time_zone, now=utcnow()
    )
    context = {
        "section": "dashboard",
        "d": figures,
        "bars": chart_bars(figures.days, figures.currency),
        "chart": {"width": CHART_WIDTH, "height": CHART_HEIGHT},
        "peak": max((day.gmv for day in figures.days), default=0),
    }
    return render(request, "seller/dashboard.html", context)
