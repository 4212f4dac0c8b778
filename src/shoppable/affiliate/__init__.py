"""Affiliate: plans, marketplace, links, attribution, commissions."""
