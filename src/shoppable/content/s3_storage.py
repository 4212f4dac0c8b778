"""Uploaded media in a bucket of an S3-compatible server (AWS S3, MinIO, Ceph, ...): path-style requests over httpx,
signed with AWS Signature Version 4 here so the server needs no AWS SDK."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import httpx

from shoppable.config import Settings
from shoppable.content.storage import CHUNK

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
ALGORITHM = "AWS4-HMAC-SHA256"


class S3Error(Exception):
    """The S3 server refused a request. ``code`` is the S3 error code from the XML body (``NoSuchKey``,
    ``SignatureDoesNotMatch``, ...), or the HTTP reason phrase when there was no body (HEAD)."""

    def __init__(self, method: str, key: str, status: int, code: str, message: str = "") -> None:
        self.method = method
        self.key = key
        self.status = status
        self.code = code
        self.message = message
        detail = f": {message}" if message else ""
        super().__init__(f"S3 {method} {key!r} failed: {status} {code}{detail}")


def canonical_request(method: str, url: httpx.URL, headers: Mapping[str, str], payload_sha256: str) -> tuple[str, str]:
    """SigV4's canonical request for a request whose ``headers`` are all signed, and their ``SignedHeaders`` list.

    The URL's path is used as sent (already percent-encoded once, as S3 wants; S3 does not normalise it further).
    """
    path, _, query = url.raw_path.decode("ascii").partition("?")
    if query:
        raise ValueError("this signer does not sign query strings")
    canonical_headers = sorted((name.lower(), " ".join(value.split())) for name, value in headers.items())
    signed_headers = ";".join(name for name, _ in canonical_headers)
    lines = [method, path or "/", "", *(f"{name}:{value}" for name, value in canonical_headers), "", signed_headers]
    return "\n".join([*lines, payload_sha256]), signed_headers


def sign(
    method: str,
    url: httpx.URL,
    headers: Mapping[str, str],
    payload_sha256: str,
    *,
    access_key_id: str,
    secret_access_key: str,
    region: str,
    now: datetime,
    service: str = "s3",
) -> dict[str, str]:
    """``headers`` plus Host, X-Amz-Content-SHA256, X-Amz-Date and the Authorization header that signs them all."""
    amz_date = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    signed = {
        "Host": url.netloc.decode("ascii"),
        **headers,
        "X-Amz-Content-SHA256": payload_sha256,
        "X-Amz-Date": amz_date,
    }
    request, signed_headers = canonical_request(method, url, signed, payload_sha256)
    string_to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    key = f"AWS4{secret_access_key}".encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    signed["Authorization"] = (
        f"{ALGORITHM} Credential={access_key_id}/{scope},SignedHeaders={signed_headers},Signature={signature}"
    )
    return signed


class S3Storage:
    """Objects in one bucket, addressed path-style: ``{endpoint}/{bucket}/{key}``."""

    name = "s3"

    def __init__(
        self,
        endpoint_url: str,
        bucket: str,
        *,
        region: str,
        access_key_id: str,
        secret_access_key: str,
        timeout_s: float = 60.0,
    ) -> None:
        endpoint = httpx.URL(endpoint_url)
        if endpoint.scheme not in ("http", "https") or not endpoint.host or endpoint.query or endpoint.fragment:
            raise ValueError(f"not an http(s) endpoint without query: {endpoint_url!r}")
        if not bucket or "/" in bucket:
            raise ValueError(f"not a bucket name: {bucket!r}")
        self.bucket = bucket
        self.region = region
        self._bucket_url = f"{str(endpoint).rstrip('/')}/{quote(bucket, safe='')}"
        self._access_key_id = access_key_id
        self._secret_access_key = secret_access_key
        # The timeout bounds each network read or write, not a whole (possibly large) upload.
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s, connect=10.0))

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        required = {
            "SHOPPABLE_S3_ENDPOINT_URL": settings.s3_endpoint_url,
            "SHOPPABLE_S3_BUCKET": settings.s3_bucket,
            "SHOPPABLE_S3_REGION": settings.s3_region,
            "SHOPPABLE_S3_ACCESS_KEY_ID": settings.s3_access_key_id,
            "SHOPPABLE_S3_SECRET_ACCESS_KEY": settings.s3_secret_access_key,
        }
        missing = [name for name, value in required.items() if not value.strip()]
        if missing:
            raise RuntimeError(f"SHOPPABLE_MEDIA_STORAGE=s3 needs {', '.join(missing)} to be set")
        try:
            return cls(
                settings.s3_endpoint_url.strip(),
                settings.s3_bucket.strip(),
                region=settings.s3_region.strip(),
                access_key_id=settings.s3_access_key_id.strip(),
                secret_access_key=settings.s3_secret_access_key,
            )
        except ValueError as error:
            raise RuntimeError(f"SHOPPABLE_S3_ENDPOINT_URL / SHOPPABLE_S3_BUCKET: {error}") from error

    async def aclose(self) -> None:
        await self._client.aclose()

    def _url(self, key: str) -> httpx.URL:
        # Same rule as LocalStorage; an empty key would address the bucket itself, "." and ".." its parents.
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"not a storage key: {key!r}")
        return httpx.URL(f"{self._bucket_url}/{quote(key, safe='')}")

    def _signed(self, method: str, url: httpx.URL, headers: Mapping[str, str], payload_sha256: str) -> dict[str, str]:
        return sign(
            method,
            url,
            headers,
            payload_sha256,
            access_key_id=self._access_key_id,
            secret_access_key=self._secret_access_key,
            region=self.region,
            now=datetime.now(UTC),
        )

    async def save(self, key: str, source: Path, content_type: str) -> None:
        url = self._url(key)
        # The body is signed with its real SHA-256 (one extra read of the file, in a thread) rather than
        # UNSIGNED-PAYLOAD: the server then refuses a body that does not match it (XAmzContentSHA256Mismatch), so a
        # truncated or altered upload never lands and save stays whole-or-nothing. A single PUT takes up to 5 GiB,
        # far above SHOPPABLE_MEDIA_MAX_BYTES, so there is no multipart upload.
        length, digest = await asyncio.to_thread(_length_and_sha256, source)
        headers = self._signed("PUT", url, {"Content-Type": content_type}, digest)
        # An explicit length makes httpx stream the file as is; S3 refuses chunked transfer encoding.
        headers["Content-Length"] = str(length)
        response = await self._client.put(url, headers=headers, content=_file_chunks(source))
        if response.status_code != 200:
            raise _error("PUT", key, response)

    async def size(self, key: str) -> int | None:
        url = self._url(key)
        response = await self._client.head(url, headers=self._signed("HEAD", url, {}, EMPTY_SHA256))
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _error("HEAD", key, response)
        return int(response.headers["Content-Length"])

    async def read(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        url = self._url(key)
        headers = self._signed("GET", url, {"Range": f"bytes={start}-{end}"}, EMPTY_SHA256)
        async with self._client.stream("GET", url, headers=headers) as response:
            if response.status_code not in (200, 206):
                await response.aread()
                raise _error("GET", key, response)
            # A server that ignores Range answers 200 with the whole object: then cut the range out ourselves.
            position = 0 if response.status_code == 200 else start
            async for chunk in response.aiter_bytes(CHUNK):
                piece = chunk[max(start - position, 0) : end + 1 - position]
                position += len(chunk)
                if piece:
                    yield piece
                if position > end:
                    return

    async def delete(self, key: str) -> None:
        url = self._url(key)
        response = await self._client.delete(url, headers=self._signed("DELETE", url, {}, EMPTY_SHA256))
        if response.status_code in (200, 204):
            return
        error = _error("DELETE", key, response)
        if error.code != "NoSuchKey":  # S3 itself answers 204 there; some compatible servers do not
            raise error


def _length_and_sha256(source: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    length = 0
    with source.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            length += len(chunk)
    return length, digest.hexdigest()


async def _file_chunks(source: Path) -> AsyncIterator[bytes]:
    with source.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            yield chunk


def _error(method: str, key: str, response: httpx.Response) -> S3Error:
    code, message = response.reason_phrase or str(response.status_code), ""
    if response.content:
        try:
            root = ElementTree.fromstring(response.content)
        except ElementTree.ParseError:
            message = response.text[:200]
        else:
            code = root.findtext("{*}Code") or code
            message = root.findtext("{*}Message") or ""
    return S3Error(method, key, response.status_code, code, message)
