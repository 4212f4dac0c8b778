"""The Seller Center: a person's shops at /seller, and each shop's pages under /seller/{shop_slug}/."""
