"""Convert DummyJSON's product list into Shopify's products JSON, so the demo imports it like any Shopify file."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from html import escape
from typing import Any

from shoppable.catalog.rules import slugify


def to_shopify_products(items: list[dict[str, Any]], image_url: Callable[[str, str], str]) -> dict[str, Any]:
    """``image_url(key, title)`` returns the URL to use instead of each unreachable image."""
    products = []
    handles: set[str] = set()
    for item in items:
        price = Decimal(str(item["price"])).quantize(Decimal("0.01"))
        discount = Decimal(str(item.get("discountPercentage") or 0))
        compare_at = None
        if discount >= 5:
            compare_at = str((price * 100 / (100 - discount)).quantize(Decimal("0.01")))
        title = str(item["title"])
        handle = slugify(title)
        if handle in handles:  # DummyJSON repeats a few titles; they are different products
            handle = f"{handle}-{item['id']}"
        handles.add(handle)
        products.append(
            {
                "handle": handle,
                "title": title,
                "body_html": f"<p>{escape(str(item.get('description', '')))}</p>",
                "vendor": item.get("brand"),
                "product_type": str(item.get("category", "")).replace("-", " ").title() or None,
                "tags": ", ".join(item.get("tags") or []),
                "status": "active",
                "images": [
                    {"src": image_url(f"dummyjson-{item['id']}-{n}", title), "position": n + 1, "alt": title}
                    for n, _ in enumerate((item.get("images") or [None])[:3])
                ],
                "options": [{"name": "Title", "values": ["Default Title"]}],
                "variants": [
                    {
                        "sku": item.get("sku"),
                        "price": str(price),
                        "compare_at_price": compare_at,
                        "inventory_quantity": int(item.get("stock") or 0),
                        "option1": "Default Title",
                    }
                ],
            }
        )
    return {"products": products}
