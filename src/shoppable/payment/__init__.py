"""Payments: the provider protocol orders charge through, and a built-in test provider."""
