"""Buying: carts, checkout, orders and their lifecycle, cancellations, refunds and returns."""
