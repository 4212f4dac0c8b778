"""Placeholder product images drawn as SVG, for demo files whose image hosts are out of reach offline."""

from __future__ import annotations

import hashlib
from html import escape
from pathlib import Path

_PALETTE = ["#F25F5C", "#247BA0", "#70C1B3", "#FFB400", "#6C5B7B", "#2D6A4F", "#E76F51", "#3D5A80"]


def placeholder_svg(title: str) -> str:
    digest = hashlib.sha256(title.encode()).digest()
    background = _PALETTE[digest[0] % len(_PALETTE)]
    initials = "".join(word[0] for word in title.split()[:2]).upper() or "?"
    label = escape(title[:28])
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600" viewBox="0 0 600 600">'
        f'<rect width="600" height="600" fill="{background}"/>'
        '<text x="300" y="320" font-family="sans-serif" font-size="160" fill="#fff" text-anchor="middle" '
        f'font-weight="bold">{escape(initials)}</text>'
        '<text x="300" y="430" font-family="sans-serif" font-size="32" fill="#fff" text-anchor="middle">'
        f"{label}</text></svg>"
    )


def write_placeholder(media_dir: Path, key: str, title: str) -> str:
    """Write the placeholder for ``key`` under media_dir/placeholders and return its URL path."""
    directory = media_dir / "placeholders"
    directory.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(key.encode()).hexdigest()[:16] + ".svg"
    (directory / name).write_text(placeholder_svg(title), encoding="utf-8")
    return f"/media/placeholders/{name}"
