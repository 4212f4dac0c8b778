"""Every page router, and the error pages, wired into the app in one call."""

from __future__ import annotations

from fastapi import FastAPI

from shoppable.web import account, cart, checkout, content, errors, invitations, live, orders, shop
from shoppable.web.seller import dashboard, finance, home, imports, lives, plans, products, settings
from shoppable.web.seller import orders as seller_orders
from shoppable.web.visitor import SignInRequired

ROUTERS = (
    shop.router,
    account.router,
    invitations.router,
    cart.router,
    checkout.router,
    content.router,
    live.router,
    orders.router,
    home.router,
    dashboard.router,
    products.router,
    imports.router,
    plans.router,
    seller_orders.router,
    finance.router,
    settings.router,
    lives.router,
)


def install_pages(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(SignInRequired, errors.on_sign_in_required)
