"""Security headers on every response: nosniff and a referrer policy everywhere; a Content-Security-Policy and
framing refusal on HTML; a sandbox on user files; ``no-store`` on API answers given to a credential.

One pure ASGI middleware that only appends headers at ``http.response.start``: it never touches the body, so
streaming and range responses pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Product images and videos may live on a shop's own CDN (imports keep their URLs), http or https.
        "img-src 'self' data: https: http:",
        "media-src 'self' blob: https: http:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# A user's file opened on its own (an image, a video) runs nothing, even if its bytes hide a script.
FILE_POLICY = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"

ALWAYS_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)


class SecurityHeadersMiddleware:
    """``page_policies`` maps a path prefix to the CSP of its HTML (the longest prefix wins; ``""`` is the
    default); ``file_prefixes`` serve user files under ``FILE_POLICY``; responses under ``api_prefix`` to a
    request carrying ``Authorization`` or one of ``credential_cookies`` are never stored by any cache."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        page_policies: Mapping[str, str],
        file_prefixes: Iterable[str] = (),
        api_prefix: str = "/api/",
        credential_cookies: Iterable[str] = (),
    ) -> None:
        self.app = app
        self._policies = sorted(((p, v.encode()) for p, v in page_policies.items()), key=lambda kv: -len(kv[0]))
        self._file_prefixes = tuple(file_prefixes)
        self._api_prefix = api_prefix
        self._cookies = tuple(name.encode() + b"=" for name in credential_cookies)

    def _page_policy(self, path: str) -> bytes:
        return next(policy for prefix, policy in self._policies if path.startswith(prefix))

    def _has_credential(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                return True
            if name == b"cookie" and any(cookie in value for cookie in self._cookies):
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                headers.extend(ALWAYS_HEADERS)
                content_type = next((v for k, v in headers if k == b"content-type"), b"")
                if path.startswith(self._file_prefixes):
                    headers.append((b"content-security-policy", FILE_POLICY.encode()))
                elif content_type.startswith(b"text/html"):
                    headers.append((b"content-security-policy", self._page_policy(path)))
                    headers.append((b"x-frame-options", b"DENY"))
                if path.startswith(self._api_prefix) and self._has_credential(scope):
                    headers = [(k, v) for k, v in headers if k != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
