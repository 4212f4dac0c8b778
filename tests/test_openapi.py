"""The OpenAPI schema is valid and tells the truth about errors (problem details, not FastAPI's default)."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate


async def test_schema_is_valid_openapi(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    validate(schema)
    assert schema["info"]["title"] == "Shoppable"


async def test_every_operation_documents_problem_errors(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "422" in responses, (method, path)
            assert list(responses["422"]["content"]) == ["application/problem+json"], (method, path)
            assert "HTTPValidationError" not in str(responses)
