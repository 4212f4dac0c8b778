"""Schemathesis over /openapi.json: seeded, bounded examples for every operation; no input may cause a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from shoppable.app import create_app
from shoppable.config import get_settings
from shoppable.kit.db import Database
from tests.conftest import DATABASE_URL
from tests.helpers import product_body, unique


@pytest.fixture(scope="module")
def fuzz_target(migrated: None) -> Iterator[tuple[Any, dict[str, str]]]:
    # Starlette's TestClient runs each request on its own event loop: no pooled connections across loops.
    database = Database(DATABASE_URL, pooled=False)
    app = create_app(get_settings(), database=database)
    with TestClient(app) as http:
        email = f"{unique('fuzz')}@example.com"
        assert http.post(
            "/api/v1/auth/register", json={"email": email, "password": "fuzz-pass-1", "name": "F"}
        ).is_success
        token = http.post("/api/v1/auth/token", data={"username": email, "password": "fuzz-pass-1"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        shop = http.post("/api/v1/shops", json={"name": unique("Fuzz "), "currency": "USD"}, headers=headers).json()
        assert http.post(f"/api/v1/shops/{shop['id']}/products", json=product_body(), headers=headers).is_success
        yield app, headers


@pytest.fixture(scope="module")
def api_schema(fuzz_target: tuple[Any, dict[str, str]]) -> Any:
    app, _ = fuzz_target
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_input_causes_a_server_error(api_schema: Any, fuzz_target: tuple[Any, dict[str, str]]) -> None:
    _, headers = fuzz_target
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def fuzz(case: Any) -> None:
            for auth in (headers, {}):
                response = case.call(headers=auth)
                statuses.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
                    )

        fuzz()
    assert not failures, "\n".join(failures[:20])
    # The run really exercised the API: many requests, and some of them got past validation.
    assert len(statuses) >= 10 * len(operations)
    assert any(200 <= status < 300 for status in statuses)
