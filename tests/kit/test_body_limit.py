"""Bodies are limited while they are read: a 413 ``body_too_large`` before the server's memory grows, whether the
body declares its length or streams in chunks; uploads and imports keep their own, larger limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import SERVERS, create_shop, register, serving

MIB = 1024 * 1024


def _oversized_json(size: int) -> bytes:
    return b'{"title": "' + b"x" * size + b'"}'


async def _chunks(total: int, chunk: int = MIB) -> AsyncIterator[bytes]:
    yield b'{"email": "a@example.com", "name": "'
    for _ in range(total // chunk):
        yield b"x" * chunk
    yield b'", "password": "correct horse battery"}'


def _assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "body_too_large"


async def test_a_declared_oversized_json_body_is_refused(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    response = await client.post(
        f"/api/v1/shops/{shop['id']}/products",
        content=_oversized_json(3 * MIB),
        headers={**owner.headers, "content-type": "application/json"},
    )
    _assert_too_large(response)


async def test_a_streamed_body_is_cut_off_at_the_limit(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", content=_chunks(3 * MIB), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    _assert_too_large(response)


async def test_a_body_within_the_limit_is_read_as_before(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    shop = await create_shop(client, owner)
    response = await client.post(
        f"/api/v1/shops/{shop['id']}/products",
        json={"title": "Big tee", "description_html": "<p>" + "x" * 60_000 + "</p>", "variants": [{"price": 100}]},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="measures the server's memory through /proc")
async def test_fifty_mib_bodies_leave_the_servers_memory_under_200_mib() -> None:
    async with serving() as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
        pid = SERVERS[base].pid
        owner = await register(http)
        shop = await create_shop(http, owner)
        declared = await http.post(
            f"/api/v1/shops/{shop['id']}/products",
            content=_oversized_json(50 * MIB),
            headers={**owner.headers, "content-type": "application/json"},
        )
        _assert_too_large(declared)
        streamed = await http.post(
            "/api/v1/auth/register", content=_chunks(50 * MIB), headers={"content-type": "application/json"}
        )
        _assert_too_large(streamed)
        assert _rss_mib(pid) < 200
        assert (await http.get("/healthz")).status_code == 200
