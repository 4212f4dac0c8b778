"""`/docs` and `/redoc` over HTTP: only same-origin files, every one of them served, and no inline script."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

import shoppable.web

VENDOR = Path(shoppable.web.__file__).parent / "static" / "vendor"
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".svg": ("image/svg+xml",),
}


@dataclass
class Tag:
    name: str
    attrs: dict[str, str]
    body: str = ""


class PageParts(HTMLParser):
    """Every tag with its attributes, and what each ``<script>`` holds between its tags."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[Tag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(Tag(tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        if self.tags and self.tags[-1].name == "script":
            self.tags[-1].body += data


def parts(html: str) -> list[Tag]:
    parser = PageParts()
    parser.feed(html)
    parser.close()
    return parser.tags


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_load_only_same_origin_files(client: httpx.AsyncClient, path: str) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    tags = parts(page.text)

    scripts = [tag for tag in tags if tag.name == "script"]
    assert scripts, "the page starts its viewer from a script file"
    for script in scripts:
        assert script.attrs.get("src"), f"inline script: {script.body[:80]!r}"
        assert script.body.strip() == "", f"a script with a src and a body: {script.body[:80]!r}"
    handlers = [(tag.name, name) for tag in tags for name in tag.attrs if name.startswith("on")]
    assert handlers == [], "inline event handlers"

    referenced = [tag.attrs[name] for tag in tags for name in ("src", "href") if tag.attrs.get(name)]
    assert all("http" not in url and not url.startswith("//") for url in referenced), referenced
    assets = [url for url in referenced if url.startswith("/static/")]
    assert assets
    for url in assets:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        expected = CONTENT_TYPES[Path(url).suffix]
        assert asset.headers["content-type"].split(";")[0] in expected, (url, asset.headers["content-type"])
        assert len(asset.content) > 0


async def test_swagger_ui_is_started_by_a_file_and_signs_in_with_the_password_flow(client: httpx.AsyncClient) -> None:
    page = parts((await client.get("/docs")).text)
    assert [tag.attrs["src"] for tag in page if tag.name == "script"] == [
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/docs.js",
    ]
    (root,) = [tag for tag in page if tag.attrs.get("id") == "swagger-ui"]
    assert root.attrs["data-openapi-url"] == "/openapi.json"
    schemes = (await client.get("/openapi.json")).json()["components"]["securitySchemes"]
    flows = [scheme["flows"]["password"] for scheme in schemes.values() if scheme["type"] == "oauth2"]
    assert flows
    assert {flow["tokenUrl"] for flow in flows} == {"/api/v1/auth/token"}


async def test_redoc_reads_the_openapi_document(client: httpx.AsyncClient) -> None:
    page = parts((await client.get("/redoc")).text)
    (viewer,) = [tag for tag in page if tag.name == "redoc"]
    assert viewer.attrs["spec-url"] == "/openapi.json"
    assert viewer.attrs["disable-telemetry"] == "true"  # Redoc 3 reports usage to Redocly from a public host
    (script,) = [tag for tag in page if tag.name == "script"]
    assert script.attrs == {"type": "module", "src": "/static/vendor/redoc/redoc.standalone.js"}


async def test_redoc_takes_its_logo_from_the_app(client: httpx.AsyncClient) -> None:
    bundle = (VENDOR / "redoc" / "redoc.standalone.js").read_text(encoding="utf-8")
    assert "cdn.redoc.ly" not in bundle  # the vendored bundle is patched (static/vendor/README.md)
    for name in ("logo-mini-full.svg", "logo-mini.svg"):
        url = f"/static/vendor/redoc/{name}"
        assert f"`{url}`" in bundle
        logo = await client.get(url)
        assert logo.status_code == 200
        assert logo.headers["content-type"] == "image/svg+xml"


async def test_the_docs_pages_are_not_in_the_schema(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/docs" not in paths
    assert "/redoc" not in paths


def test_every_vendored_package_ships_its_licence() -> None:
    packages = [entry for entry in VENDOR.iterdir() if entry.is_dir()]
    assert {entry.name for entry in packages} >= {"swagger-ui", "redoc", "htmx"}
    readme = (VENDOR / "README.md").read_text()
    for package in packages:
        assert (package / "LICENSE").is_file(), package.name
        assert f"`{package.name}/`" in readme, f"{package.name} is not described in vendor/README.md"
