"""Seller Center: the shop's dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from shoppable.web.seller.access import SellerPage
from shoppable.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/seller/{shop_slug}")
async def dashboard(request: Request, seller: SellerPage) -> Response:
    return render(request, "seller/dashboard.html", {"section": "dashboard"})
