"""Shops, products, variants, inventory with its audit trail, search and importers."""
