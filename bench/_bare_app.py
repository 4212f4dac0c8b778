"""The framework ceiling for bench/catalog.py: FastAPI answering a fixed product JSON, no database."""

from fastapi import FastAPI
from fastapi.responses import Response

app = FastAPI()
_BODY = b'{"id":"prod_x","title":"Bench Product","variants":[{"id":"var_x","price":1999,"currency":"USD"}]}'


@app.get("/api/v1/products/{product_id}")
async def product(product_id: str) -> Response:
    return Response(_BODY, media_type="application/json")
