"""Generic building blocks with no business words: database, money, errors, pagination, idempotency."""
