"""The framework ceiling for bench/checkout.py: FastAPI answering buy-now with a fixed 201 body, no database."""

from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI()
_BODY = b'{"orders":[{"id":"ord_x","status":"paid","total":1999,"currency":"USD"}],"payment":{"status":"captured"}}'


@app.post("/api/v1/orders")
async def buy_now(request: Request) -> Response:
    await request.body()
    return Response(_BODY, status_code=201, media_type="application/json")
