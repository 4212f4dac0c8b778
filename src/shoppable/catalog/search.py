"""Full-text product search: SQLite FTS5 or PostgreSQL tsvector, behind one pair of functions.

The ``product_search`` table is engine-specific (a virtual FTS5 table or a tsvector table with a GIN
index), so it is created by the migration in raw SQL and left out of the ORM metadata.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shoppable.catalog.rules import html_to_text

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE product_search USING fts5("
    "product_id UNINDEXED, title, tags, vendor, body, tokenize = 'porter unicode61 remove_diacritics 2')"
]
POSTGRES_DDL = [
    "CREATE TABLE product_search ("
    "product_id VARCHAR(40) PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE, "
    "document TSVECTOR NOT NULL)",
    "CREATE INDEX ix_product_search_document ON product_search USING GIN (document)",
]

_WORD = re.compile(r"\w+", re.UNICODE)


def _is_sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _documents(products: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "product_id": p["id"],
            "title": p["title"],
            "tags": " ".join(p.get("tags") or ()),
            "vendor": p.get("vendor") or "",
            "body": html_to_text(p.get("description_html") or "")[:20_000],
        }
        for p in products
    ]


async def index_products(session: AsyncSession, products: Sequence[dict[str, Any]]) -> None:
    """(Re)index products given as dicts with id, title, tags, vendor and description_html."""
    if not products:
        return
    ids = [p["id"] for p in products]
    docs = _documents(products)
    if _is_sqlite(session):
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join(f":p{i}" for i in range(len(chunk)))
            await session.execute(
                text(f"DELETE FROM product_search WHERE product_id IN ({marks})"),
                {f"p{i}": pid for i, pid in enumerate(chunk)},
            )
        await session.execute(
            text(
                "INSERT INTO product_search (product_id, title, tags, vendor, body) "
                "VALUES (:product_id, :title, :tags, :vendor, :body)"
            ),
            docs,
        )
        return
    await session.execute(
        text(
            "INSERT INTO product_search (product_id, document) VALUES (:product_id, "
            "setweight(to_tsvector('english', :title), 'A') || setweight(to_tsvector('english', :tags), 'B') || "
            "setweight(to_tsvector('english', :vendor), 'B') || setweight(to_tsvector('english', :body), 'C')) "
            "ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document"
        ),
        docs,
    )


def matches(session: AsyncSession, query: str) -> tuple[str, dict[str, Any]] | None:
    """A subquery of ``(product_id, rank)`` for the products matching ``query``, with its parameters.

    Lower rank is better. Returns None when the query has no searchable words. Joined once, so a search
    costs one index look-up rather than one per candidate product.
    """
    words = _WORD.findall(query)
    if not words:
        return None
    if _is_sqlite(session):
        # Quote every word so FTS5 never parses user input as query syntax; the last may be a prefix.
        terms = [f'"{w}"' for w in words[:-1]] + [f'"{words[-1]}"*']
        subquery = (
            "SELECT product_id, bm25(product_search, 0.0, 10.0, 4.0, 2.0, 1.0) AS rank "
            "FROM product_search WHERE product_search MATCH :fts_query"
        )
        return subquery, {"fts_query": " ".join(terms)}
    # Words are \w+ only, so they cannot carry tsquery operators; the last one matches as a prefix.
    tsquery = " & ".join([*words[:-1], f"{words[-1]}:*"])
    subquery = (
        "SELECT product_id, -ts_rank_cd(document, query) AS rank "
        "FROM product_search, to_tsquery('english', :fts_query) AS query WHERE document @@ query"
    )
    return subquery, {"fts_query": tsquery}
