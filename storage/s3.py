"""The province's object store: MinIO (or any S3 API) through the `minio` SDK.

Behaves exactly like the local folder store (`storage.local`): a put is verified against its
SHA-256, the same bytes again are a no-op, other bytes under an existing key raise `ObjectExists`
unless `overwrite`, and a get can re-check the checksum. The SHA-256 travels as object metadata
(`x-amz-meta-sha256`), so a `stat` or a `list` never reads the bytes.

Why the checksum is computed twice on a put: the file is hashed before the upload (a wrong
checksum stores nothing, as in the local store) and again while it streams (a file changed during
the upload is caught and its object removed). On a plain-HTTP endpoint the SDK also signs every
part with its SHA-256, so the server itself refuses bytes damaged on the wire.

Originals (keys with an `/original/` segment, design.md) get an object-lock retention of
`retention_years` when the bucket was created with object lock: not even an administrator's
mistake can delete them before then. The retention is set only once the upload is verified, so a
refused upload can still be removed.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention

from storage.objects import (
    CHUNK,
    ChecksumMismatch,
    ObjectExists,
    ObjectInfo,
    ObjectStoreError,
    check_key,
    sha256_file,
)

META_SHA256 = "sha256"
PART_SIZE = 16 * 2**20  # multipart above this size, in parts of this size
ORIGINAL_SEGMENT = "/original/"
MISSING = ("NoSuchKey", "NoSuchObject", "ResourceNotFound", "NoSuchBucket")


class _HashingReader:
    """A file wrapper that hashes what the SDK reads, so the bytes sent are the bytes checked."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.digest = stream, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.digest.update(data)
        return data


class S3ObjectStore:
    """An `ObjectStore` in one S3 bucket; safe for any number of machines at once."""

    def __init__(self, endpoint: str, access_key: str | None, secret_key: str | None, bucket: str, *,
                 secure: bool = False, retention_years: int = 0, region: str = "us-east-1") -> None:
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure,
                            region=region)
        self.bucket = bucket
        self.retention_years = retention_years
        self.locking = self._ensure_bucket()

    def _ensure_bucket(self) -> bool:
        """Create the bucket if missing (with object lock when a retention is asked for).

        Returns whether the bucket supports object lock: a bucket made earlier without it keeps
        working, only without retention (object lock cannot be switched on afterwards in S3).
        """
        if not self.client.bucket_exists(self.bucket):
            try:
                self.client.make_bucket(self.bucket, object_lock=self.retention_years > 0)
            except S3Error as error:
                if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
        if self.retention_years <= 0:
            return False
        try:
            self.client.get_object_lock_config(self.bucket)
            return True
        except S3Error:
            return False

    # --- the ObjectStore protocol ---
    def put(self, key: str, source: Path, sha256: str, content_type: str, *,
            overwrite: bool = False) -> ObjectInfo:
        check_key(key)
        existing = self.stat(key)
        if existing and existing.sha256 == sha256:
            return existing
        if existing and not overwrite:
            raise ObjectExists(f"{key} already holds other bytes (sha256 {existing.sha256[:12]}…)")
        digest = sha256_file(source)
        if digest != sha256:
            raise ChecksumMismatch(f"{key}: expected sha256 {sha256}, the file hashes to {digest}")
        size = source.stat().st_size
        with source.open("rb") as f:
            reader = _HashingReader(f)
            self.client.put_object(self.bucket, key, reader, size, content_type=content_type,  # type: ignore[arg-type]
                                   metadata={META_SHA256: sha256}, part_size=PART_SIZE)
        if reader.digest.hexdigest() != sha256:
            self._remove(key)
            raise ChecksumMismatch(f"{key}: the file changed while it was uploaded; nothing kept")
        if self.locking and ORIGINAL_SEGMENT in f"/{key}":
            until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=365 * self.retention_years)
            self.client.set_object_retention(self.bucket, key, Retention(COMPLIANCE, until))
        return ObjectInfo(key=key, size=size, sha256=sha256, content_type=content_type)

    def get(self, key: str, dest: Path, *, verify: bool = True) -> ObjectInfo:
        info = self.stat(key)
        if info is None:
            raise ObjectStoreError(f"no object {key}")
        digest = hashlib.sha256()
        response = self.client.get_object(self.bucket, key)
        try:
            with dest.open("wb") as out:
                for chunk in response.stream(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
        finally:
            response.close()
            response.release_conn()
        if verify and digest.hexdigest() != info.sha256:
            raise ChecksumMismatch(f"{key}: stored as sha256 {info.sha256}, read back as {digest.hexdigest()}")
        return info

    def stat(self, key: str) -> ObjectInfo | None:
        check_key(key)
        try:
            stat = self.client.stat_object(self.bucket, key)
        except S3Error as error:
            if error.code in MISSING:
                return None
            raise
        sha = _metadata(stat.metadata).get(META_SHA256)
        if not sha:
            return None  # written by something else than sohoa: not a verified object
        return ObjectInfo(key=key, size=stat.size or 0, sha256=sha,
                          content_type=stat.content_type or "application/octet-stream")

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
            name = obj.object_name or ""
            if any(p.startswith(".") for p in PurePosixPath(name).parts):
                continue
            if info := self.stat(name):
                yield info

    # --- beyond the protocol ---
    def presigned_url(self, key: str, expires: timedelta = timedelta(hours=1)) -> str:
        """A URL anyone holding it can download the object with until `expires` (web UI downloads)."""
        check_key(key)
        return self.client.presigned_get_object(self.bucket, key, expires=expires)

    def retention(self, key: str) -> datetime | None:
        """Until when the object is locked against deletion, or None.

        Read from the HEAD response's object-lock headers, which every S3 server returns (moto
        answers GetObjectRetention with the object's body instead).
        """
        try:
            headers = self.client.stat_object(self.bucket, check_key(key)).metadata
        except S3Error:
            return None
        until = {k.lower(): v for k, v in (headers or {}).items()}.get("x-amz-object-lock-retain-until-date")
        return datetime.fromisoformat(until.replace("Z", "+00:00")) if until else None

    def _remove(self, key: str) -> None:
        with contextlib.suppress(S3Error):
            self.client.remove_object(self.bucket, key)


def _metadata(headers: Any) -> dict[str, str]:
    """User metadata from a stat, whatever case the server returned the header names in."""
    out: dict[str, str] = {}
    for name, value in (headers or {}).items():
        lower = name.lower()
        if lower.startswith("x-amz-meta-"):
            out[lower.removeprefix("x-amz-meta-")] = value
    return out
