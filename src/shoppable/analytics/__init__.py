"""Reporting over everyone's tables through read-only queries (floor 6): the only tables it writes are its own
rollups (kept from order events by its outbox subscriber in `tasks.py`), and nothing below the pages imports it."""
