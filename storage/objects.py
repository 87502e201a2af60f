"""The object store: where every byte of every dossier lives.

Shaped on what S3 offers (put with a checksum, get, stat, list by prefix; no rename, no append), so
the local folder of the embedded mode and MinIO of a province are interchangeable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

CHUNK = 1 << 20


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str
    content_type: str


class ObjectStoreError(Exception):
    """An object could not be written or read as asked."""


class ChecksumMismatch(ObjectStoreError):
    """The bytes stored or read are not the bytes that were meant: never trust them."""


class ObjectExists(ObjectStoreError):
    """A write-once object already holds other bytes under that key."""


class ObjectStore(Protocol):
    """What every object store offers; keys are '/'-separated paths (design.md, object keys)."""

    def put(self, key: str, source: Path, sha256: str, content_type: str, *,
            overwrite: bool = False) -> ObjectInfo:
        """Store the file at `source` under `key`, verified against `sha256`.

        Putting the same bytes again is a no-op, so a retried step never fails on its own earlier
        write; other bytes under an existing key raise `ObjectExists` unless `overwrite`.
        """
        ...

    def get(self, key: str, dest: Path, *, verify: bool = True) -> ObjectInfo:
        """Copy the object into the file `dest`; with `verify`, check its SHA-256 on the way."""
        ...

    def stat(self, key: str) -> ObjectInfo | None:
        """The object's size, checksum and type, or None when there is no such object."""
        ...

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with `prefix`, in key order."""
        ...


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks so a 500 MB scan never sits whole in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_key(key: str) -> str:
    """Keys are '/'-separated relative paths with no '.', '..' or hidden parts, in every store alike."""
    parts = PurePosixPath(key).parts
    if not parts or key.startswith("/") or any(p in ("..", ".") or p.startswith(".") for p in parts):
        raise ObjectStoreError(f"not a valid object key: {key!r}")
    return key


def copy_hashing(src: BinaryIO, dst: BinaryIO) -> tuple[int, str]:
    """Copy a stream and return (size, sha256) of what went through."""
    digest, size = hashlib.sha256(), 0
    while chunk := src.read(CHUNK):
        dst.write(chunk)
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()
