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

Target = tuple[Any, dict[str, str], dict[str, str]]


@pytest.fixture(scope="module")
def fuzz_target(migrated: None) -> Iterator[Target]:
    """The app, a shop owner's auth header, and real ids for path parameters."""
    # Starlette's TestClient runs each request on its own event loop: no pooled connections across loops.
    database = Database(DATABASE_URL, pooled=False)
    app = create_app(get_settings(), database=database)
    with TestClient(app) as http:
        email = f"{unique('fuzz')}@example.com"
        registered = http.post("/api/v1/auth/register", json={"email": email, "password": "fuzz-pass-1", "name": "F"})
        assert registered.is_success
        token = http.post("/api/v1/auth/token", data={"username": email, "password": "fuzz-pass-1"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        shop = http.post("/api/v1/shops", json={"name": unique("Fuzz "), "currency": "USD"}, headers=headers).json()
        product = http.post(f"/api/v1/shops/{shop['id']}/products", json=product_body(), headers=headers).json()
        imported = http.post(
            f"/api/v1/shops/{shop['id']}/imports",
            files={"file": ("f.csv", b"Handle,Title,Variant Price\nfuzz-import,Fuzz Import,1.00\n")},
            headers=headers,
        ).json()
        # The owner is a creator too, under the shop's own plan: the affiliate endpoints get past their checks.
        creator = http.post("/api/v1/creators", json={"handle": unique("fz"), "display_name": "F"}, headers=headers)
        assert creator.is_success
        plan = http.post(
            f"/api/v1/shops/{shop['id']}/affiliate-plans",
            json={"kind": "shop", "name": "Fuzz", "commission_bps": 1000},
            headers=headers,
        ).json()
        video = http.post(
            "/api/v1/videos",
            json={
                "title": "Fuzz",
                "media_url": "https://example.com/v.mp4",
                "duration_s": 30,
                "anchors": [{"product_id": product["id"], "start_s": 1}],
            },
            headers=headers,
        ).json()
        collection = http.post(
            "/api/v1/creators/me/collections", json={"title": "F", "product_ids": [product["id"]]}, headers=headers
        ).json()
        api_key = http.post(f"/api/v1/shops/{shop['id']}/api-keys", json={"name": "Fuzz"}, headers=headers).json()
        invitation = http.post(
            f"/api/v1/shops/{shop['id']}/members", json={"email": f"{unique('fz')}@example.com"}, headers=headers
        ).json()
        real_ids = {
            "shop_id": shop["id"],
            "key_id": api_key["id"],
            "invitation_id": invitation["id"],
            "product_id": product["id"],
            "variant_id": product["variants"][0]["id"],
            "import_id": imported["id"],
            "plan_id": plan["id"],
            "handle": creator.json()["handle"],
            "video_id": video["id"],
            "collection_id": collection["id"],
        }
        yield app, headers, real_ids


@pytest.fixture(scope="module")
def api_schema(fuzz_target: Target) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_target[0])


def test_no_input_causes_a_server_error(api_schema: Any, fuzz_target: Target) -> None:
    _, headers, real_ids = fuzz_target
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def fuzz(case: Any) -> None:
            generated = dict(case.path_parameters or {})
            # Each case three ways: as the owner on real objects (so bodies reach the code behind the 404
            # check), as the owner on generated ids, and anonymously. Signing out would revoke the owner's
            # token for every case after it, so that one runs anonymously only.
            ways: tuple[tuple[dict[str, str], dict[str, str]], ...] = ((headers, real_ids), (headers, {}), ({}, {}))
            if (case.method, case.path) == ("DELETE", "/api/v1/auth/token"):
                ways = (({}, {}),)
            for auth, ids in ways:
                if generated:
                    case.path_parameters = generated | {k: v for k, v in ids.items() if k in generated}
                # On the case itself: schemathesis generates Authorization values for the declared security
                # scheme, and those would win over headers passed to call().
                case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"} | auth
                response = case.call()
                statuses.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.body!r:.300}: {response.status_code} "
                        f"{response.text[:300]}"
                    )

        fuzz()
    assert not failures, "\n".join(failures[:20])
    # The run really exercised the API: many requests, and a good share of them got past auth and validation.
    assert len(statuses) >= 20 * len(operations)
    assert sum(200 <= status < 300 for status in statuses) >= 2 * len(operations)
