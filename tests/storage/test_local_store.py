"""Every object store keeps bytes exactly, write-once, and refuses anything unverified.

The same cases run on the local folder store (embedded mode) and on a real S3 API server (moto's
on loopback, or a real MinIO when SOHOA_TEST_S3_ENDPOINT is set), through the same protocol.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.local import LocalObjectStore
from storage.objects import ChecksumMismatch, ObjectExists, ObjectStore, ObjectStoreError
from storage.s3 import S3ObjectStore
from tests.servers import S3Server, fresh_bucket


@dataclass
class Backend:
    store: ObjectStore
    corrupt: Callable[[str, bytes], None]  # replace an object's bytes behind the store's back
    raw_keys: Callable[[], list[str]]  # every key physically present, hidden ones included


def local_backend(tmp_path: Path) -> Backend:
    store = LocalObjectStore(tmp_path / "objects")
    return Backend(store, lambda key, data: store.local_path(key).write_bytes(data),
                   lambda: [p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file()
                            and not p.name.endswith(".meta.json")])


def s3_backend(server: S3Server) -> Backend:
    store = S3ObjectStore(server.endpoint, server.access_key, server.secret_key, fresh_bucket())

    def corrupt(key: str, data: bytes) -> None:
        meta = store.client.stat_object(store.bucket, key).metadata
        sha = next(v for k, v in meta.items() if k.lower() == "x-amz-meta-sha256")
        store.client.put_object(store.bucket, key, io.BytesIO(data), len(data), metadata={"sha256": sha})

    return Backend(store, corrupt,
                   lambda: [o.object_name for o in store.client.list_objects(store.bucket, recursive=True)])


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        return local_backend(tmp_path)
    return s3_backend(request.getfixturevalue("s3_server"))


def blob(tmp_path: Path, data: bytes, name: str = "in.bin") -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def test_put_get_stat_list(tmp_path: Path, backend: Backend) -> None:
    store = backend.store
    src, sha = blob(tmp_path, b"scan bytes")
    info = store.put("agency/2026/11/1/original/x.pdf", src, sha, "application/pdf")
    assert info.size == 10 and info.sha256 == sha
    assert store.stat("agency/2026/11/1/original/x.pdf") == info
    assert store.stat("agency/2026/11/1/original/missing.pdf") is None
    out = tmp_path / "out.bin"
    store.get(info.key, out)
    assert out.read_bytes() == b"scan bytes"
    assert [o.key for o in store.list("agency/2026/")] == [info.key]
    assert list(store.list("other/")) == []


def test_wrong_checksum_stores_nothing(tmp_path: Path, backend: Backend) -> None:
    src, _ = blob(tmp_path, b"scan bytes")
    with pytest.raises(ChecksumMismatch):
        backend.store.put("a/b.pdf", src, "0" * 64, "application/pdf")
    assert backend.store.stat("a/b.pdf") is None
    assert [k for k in backend.raw_keys() if k.endswith(".pdf")] == []


def test_originals_are_write_once_and_retries_are_no_ops(tmp_path: Path, backend: Backend) -> None:
    store = backend.store
    src, sha = blob(tmp_path, b"first")
    store.put("k.pdf", src, sha, "application/pdf")
    assert store.put("k.pdf", src, sha, "application/pdf").sha256 == sha
    other, other_sha = blob(tmp_path, b"second", "other.bin")
    with pytest.raises(ObjectExists):
        store.put("k.pdf", other, other_sha, "application/pdf")
    assert store.put("k.pdf", other, other_sha, "application/pdf", overwrite=True).sha256 == other_sha


def test_bit_rot_is_caught_on_read(tmp_path: Path, backend: Backend) -> None:
    src, sha = blob(tmp_path, b"scan bytes")
    backend.store.put("k.pdf", src, sha, "application/pdf")
    backend.corrupt("k.pdf", b"scan bytez")
    with pytest.raises(ChecksumMismatch):
        backend.store.get("k.pdf", tmp_path / "out")


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../../b", "a/.hidden"])
def test_keys_cannot_escape_the_store(tmp_path: Path, backend: Backend, key: str) -> None:
    src, sha = blob(tmp_path, b"x")
    with pytest.raises(ObjectStoreError):
        backend.store.put(key, src, sha, "application/octet-stream")
