"""Rotating SHOPPABLE_SECRET_KEY: forms and page-JavaScript calls made under the old key keep working while the
old key is listed in SHOPPABLE_PREVIOUS_SECRET_KEYS, and stop once it is dropped."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from shoppable.config import Settings
from tests.web.session_helpers import sign_up_page


@pytest.fixture
def swap_settings(app: FastAPI) -> Iterator[object]:
    original: Settings = app.state.settings

    def swap(**changes: object) -> None:
        app.state.settings = original.model_copy(update=changes)

    yield swap
    app.state.settings = original


async def _add_address(client: httpx.AsyncClient, csrf: str) -> httpx.Response:
    return await client.post(
        "/api/v1/me/addresses",
        json={
            "name": "Ana Lima",
            "line1": "1 Main St",
            "city": "Springfield",
            "postal_code": "12345",
            "country": "US",
        },
        headers={"X-CSRF-Token": csrf},
    )


async def test_a_token_from_before_the_rotation_works_while_the_old_key_is_kept(
    client: httpx.AsyncClient, swap_settings: object
) -> None:
    swap = swap_settings
    swap(secret_key="the-old-key-" + "o" * 32)  # type: ignore[operator]
    _, old_csrf = await sign_up_page(client)

    swap(secret_key="the-new-key-" + "n" * 32, previous_secret_keys=("the-old-key-" + "o" * 32,))  # type: ignore[operator]
    kept = await _add_address(client, old_csrf)
    assert kept.status_code == 201, kept.text

    swap(secret_key="the-new-key-" + "n" * 32, previous_secret_keys=())  # type: ignore[operator]
    dropped = await _add_address(client, old_csrf)
    assert dropped.status_code == 403
    assert dropped.json()["code"] == "csrf_failed"
