"""What only the S3 store offers: large multipart uploads, presigned downloads, locked originals."""

from __future__ import annotations

import hashlib
import os
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from minio.error import S3Error

from storage.s3 import PART_SIZE, S3ObjectStore
from tests.servers import S3Server, fresh_bucket


def store_on(server: S3Server, **options: object) -> S3ObjectStore:
    return S3ObjectStore(server.endpoint, server.access_key, server.secret_key, fresh_bucket(), **options)  # type: ignore[arg-type]


def test_bucket_is_created_when_missing(s3_server: S3Server) -> None:
    store = store_on(s3_server)
    assert store.client.bucket_exists(store.bucket)
    assert S3ObjectStore(s3_server.endpoint, s3_server.access_key, s3_server.secret_key, store.bucket).bucket


def test_large_file_goes_up_in_parts_and_comes_back_exact(tmp_path: Path, s3_server: S3Server) -> None:
    data = os.urandom(PART_SIZE + PART_SIZE // 2)
    src = tmp_path / "big.tif"
    src.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    store = store_on(s3_server)
    info = store.put("H00/2026/01/7/original/big.tif", src, sha, "image/tiff")
    assert info.size == len(data)
    etag = store.client.stat_object(store.bucket, info.key).etag or ""
    assert etag.endswith("-2")  # two parts: the multipart upload was used
    out = tmp_path / "back.tif"
    assert store.get(info.key, out).sha256 == sha
    assert out.read_bytes() == data


def test_presigned_url_downloads_without_keys(tmp_path: Path, s3_server: S3Server) -> None:
    src = tmp_path / "d.pdf"
    src.write_bytes(b"%PDF-1.7 digitized copy")
    store = store_on(s3_server)
    store.put("H00/2026/01/7/digitized/x.pdf", src, hashlib.sha256(src.read_bytes()).hexdigest(), "application/pdf")
    url = store.presigned_url("H00/2026/01/7/digitized/x.pdf", timedelta(minutes=5))
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"%PDF-1.7 digitized copy"


def test_originals_are_locked_for_the_retention_period(tmp_path: Path, s3_server: S3Server) -> None:
    store = store_on(s3_server, retention_years=10)
    assert store.locking
    src = tmp_path / "scan.pdf"
    src.write_bytes(b"original scan")
    sha = hashlib.sha256(b"original scan").hexdigest()
    original = store.put("H00/2026/01/7/original/abc.pdf", src, sha, "application/pdf")
    derived = store.put("H00/2026/01/7/digitized/abc.pdf", src, sha, "application/pdf")
    until = store.retention(original.key)
    assert until is not None and until > datetime.now(UTC) + timedelta(days=365 * 9)
    assert store.retention(derived.key) is None
    version = store.client.stat_object(store.bucket, original.key).version_id
    with pytest.raises(S3Error):
        store.client.remove_object(store.bucket, original.key, version_id=version)
    assert store.stat(original.key) == original


def test_a_bucket_without_object_lock_still_works(tmp_path: Path, s3_server: S3Server) -> None:
    plain = store_on(s3_server)
    locked_view = S3ObjectStore(s3_server.endpoint, s3_server.access_key, s3_server.secret_key, plain.bucket,
                                retention_years=5)
    assert not locked_view.locking
    src = tmp_path / "scan.pdf"
    src.write_bytes(b"x")
    info = locked_view.put("a/original/x.pdf", src, hashlib.sha256(b"x").hexdigest(), "application/pdf")
    assert locked_view.stat(info.key) == info
