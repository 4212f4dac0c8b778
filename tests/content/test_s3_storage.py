"""S3Storage against a real S3-compatible server (moto's, in a thread, with signature checking turned on) and its
SigV4 signer against the example in AWS's documentation."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from shoppable.config import Settings
from shoppable.content.s3_storage import EMPTY_SHA256, S3Error, S3Storage, canonical_request, sign
from shoppable.content.storage import storage_from_settings

REGION = "us-east-1"
BUCKET = "media-test"
# More than two of S3Storage's 256 KiB chunks, so reads and writes span chunk boundaries.
DATA = os.urandom(600 * 1024 + 7)


@pytest.fixture(scope="module")
def s3_server() -> Iterator[tuple[str, str, str]]:
    """A moto server that checks signatures, and the endpoint, access key id and secret of a user allowed s3:*."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        # Moto checks no signature until told to: make the user while it does not, then turn checking on.
        iam = boto3.client(
            "iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="setup", aws_secret_access_key="setup"
        )
        iam.create_user(UserName="media")
        iam.put_user_policy(
            UserName="media",
            PolicyName="s3",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
            ),
        )
        key = iam.create_access_key(UserName="media")["AccessKey"]
        previous = httpx.post(f"{endpoint}/moto-api/reset-auth", content=b"0").json()
        try:
            yield endpoint, key["AccessKeyId"], key["SecretAccessKey"]
        finally:
            httpx.post(f"{endpoint}/moto-api/reset-auth", content=previous["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def storage(s3_server: tuple[str, str, str]) -> AsyncIterator[S3Storage]:
    endpoint, access_key_id, secret = s3_server
    bucket_url = httpx.URL(f"{endpoint}/{BUCKET}")
    headers = sign(
        "PUT",
        bucket_url,
        {},
        EMPTY_SHA256,
        access_key_id=access_key_id,
        secret_access_key=secret,
        region=REGION,
        now=datetime.now(UTC),
    )
    async with httpx.AsyncClient() as client:
        created = await client.put(bucket_url, headers=headers)
    assert created.status_code == 200, created.text
    settings = Settings(
        media_storage="s3",
        s3_endpoint_url=endpoint,
        s3_bucket=BUCKET,
        s3_region=REGION,
        s3_access_key_id=access_key_id,
        s3_secret_access_key=secret,
    )
    built = storage_from_settings(settings)
    assert isinstance(built, S3Storage)
    assert built.name == "s3"
    yield built
    await built.aclose()


@pytest.fixture
def media_file(tmp_path: Path) -> Path:
    path = tmp_path / "upload.bin"
    path.write_bytes(DATA)
    return path


async def _read(storage: S3Storage, key: str, start: int, end: int) -> bytes:
    return b"".join([chunk async for chunk in storage.read(key, start, end)])


def test_signature_matches_the_aws_documented_get_object_example() -> None:
    # "Example: GET Object" of AWS's "Signature Calculations for the Authorization Header" (S3 API reference).
    url = httpx.URL("https://examplebucket.s3.amazonaws.com/test.txt")
    headers = sign(
        "GET",
        url,
        {"Range": "bytes=0-9"},
        EMPTY_SHA256,
        access_key_id="AKIAIOSFODNN7EXAMPLE",
        secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        now=datetime(2013, 5, 24, tzinfo=UTC),
    )
    documented_canonical_request = "\n".join(
        [
            "GET",
            "/test.txt",
            "",
            "host:examplebucket.s3.amazonaws.com",
            "range:bytes=0-9",
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "x-amz-date:20130524T000000Z",
            "",
            "host;range;x-amz-content-sha256;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ]
    )
    unsigned = {name: value for name, value in headers.items() if name != "Authorization"}
    assert canonical_request("GET", url, unsigned, EMPTY_SHA256) == (
        documented_canonical_request,
        "host;range;x-amz-content-sha256;x-amz-date",
    )
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


async def test_save_then_size_and_ranged_reads(storage: S3Storage, media_file: Path) -> None:
    await storage.save("video-1.mp4", media_file, "video/mp4")

    assert await storage.size("video-1.mp4") == len(DATA)
    assert await _read(storage, "video-1.mp4", 0, len(DATA) - 1) == DATA
    assert await _read(storage, "video-1.mp4", 0, 9) == DATA[:10]
    assert await _read(storage, "video-1.mp4", 262_000, 300_123) == DATA[262_000:300_124]
    assert await _read(storage, "video-1.mp4", len(DATA) - 1, len(DATA) - 1) == DATA[-1:]


async def test_saved_object_keeps_its_content_type(
    storage: S3Storage, s3_server: tuple[str, str, str], media_file: Path
) -> None:
    endpoint, access_key_id, secret = s3_server
    await storage.save("poster-1.jpg", media_file, "image/jpeg")

    url = httpx.URL(f"{endpoint}/{BUCKET}/poster-1.jpg")
    headers = sign(
        "HEAD",
        url,
        {},
        EMPTY_SHA256,
        access_key_id=access_key_id,
        secret_access_key=secret,
        region=REGION,
        now=datetime.now(UTC),
    )
    async with httpx.AsyncClient() as client:
        head = await client.head(url, headers=headers)
    assert head.status_code == 200
    assert head.headers["Content-Type"] == "image/jpeg"


async def test_saving_again_replaces_the_object(storage: S3Storage, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_bytes(b"first version")
    second.write_bytes(b"v2")
    await storage.save("replaced", first, "application/octet-stream")
    await storage.save("replaced", second, "application/octet-stream")

    assert await storage.size("replaced") == 2
    assert await _read(storage, "replaced", 0, 1) == b"v2"


async def test_keys_needing_percent_encoding_round_trip(storage: S3Storage, media_file: Path) -> None:
    key = "clip été+1 (final)~ä.mp4"
    await storage.save(key, media_file, "video/mp4")

    assert await storage.size(key) == len(DATA)
    assert await _read(storage, key, 5, 14) == DATA[5:15]


async def test_missing_key_has_no_size_and_cannot_be_read(storage: S3Storage) -> None:
    assert await storage.size("never-saved") is None
    with pytest.raises(S3Error) as caught:
        await _read(storage, "never-saved", 0, 9)
    assert caught.value.status == 404
    assert caught.value.code == "NoSuchKey"


async def test_delete_removes_the_object(storage: S3Storage, media_file: Path) -> None:
    await storage.save("to-delete", media_file, "video/mp4")
    assert await storage.size("to-delete") == len(DATA)

    await storage.delete("to-delete")

    assert await storage.size("to-delete") is None
    await storage.delete("to-delete")  # deleting what is gone is not an error
    assert await storage.size("to-delete") is None


async def test_wrong_secret_key_is_refused_with_403(s3_server: tuple[str, str, str], media_file: Path) -> None:
    endpoint, access_key_id, _ = s3_server
    wrong = S3Storage(
        endpoint, BUCKET, region=REGION, access_key_id=access_key_id, secret_access_key="not-the-secret-key"
    )
    try:
        with pytest.raises(S3Error) as caught:
            await wrong.save("forged", media_file, "video/mp4")
    finally:
        await wrong.aclose()

    assert caught.value.status == 403
    assert caught.value.code == "SignatureDoesNotMatch"


async def test_keys_that_could_address_anything_but_an_object_are_refused(storage: S3Storage) -> None:
    for key in ("", "a/b", "..", ".hidden"):
        with pytest.raises(ValueError, match="not a storage key"):
            await storage.delete(key)


def test_from_settings_refuses_incomplete_configuration() -> None:
    settings = Settings(
        media_storage="s3",
        s3_endpoint_url="http://127.0.0.1:9000",
        s3_bucket="",
        s3_access_key_id="key",
        s3_secret_access_key="",
    )
    with pytest.raises(RuntimeError, match="SHOPPABLE_S3_BUCKET, SHOPPABLE_S3_SECRET_ACCESS_KEY"):
        storage_from_settings(settings)


def test_from_settings_refuses_an_endpoint_that_is_not_http() -> None:
    settings = Settings(
        media_storage="s3",
        s3_endpoint_url="127.0.0.1:9000",
        s3_bucket="media",
        s3_access_key_id="key",
        s3_secret_access_key="secret",
    )
    with pytest.raises(RuntimeError, match="SHOPPABLE_S3_ENDPOINT_URL"):
        storage_from_settings(settings)
