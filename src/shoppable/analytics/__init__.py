"""Reporting over everyone's tables through read-only queries (floor 6): it writes nothing, and nothing below the
pages imports it."""
