"""One error type for the whole service, rendered as RFC 9457 problem details."""

from __future__ import annotations

from typing import Any


class ShoppableError(Exception):
    """A failure a client can act on: a machine code, an HTTP status and a human sentence."""

    def __init__(
        self,
        code: str,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers


def not_found(what: str) -> ShoppableError:
    return ShoppableError("not_found", 404, f"{what} not found.")


def forbidden(detail: str = "You are not allowed to do this.") -> ShoppableError:
    return ShoppableError("forbidden", 403, detail)
