"""The local object store keeps bytes exactly, write-once, and refuses anything unverified."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from storage.local import LocalObjectStore
from storage.objects import ChecksumMismatch, ObjectExists, ObjectStoreError


def blob(tmp_path: Path, data: bytes, name: str = "in.bin") -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def test_put_get_stat_list(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
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


def test_wrong_checksum_stores_nothing(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    src, _ = blob(tmp_path, b"scan bytes")
    with pytest.raises(ChecksumMismatch):
        store.put("a/b.pdf", src, "0" * 64, "application/pdf")
    assert store.stat("a/b.pdf") is None
    assert list((tmp_path / "objects").rglob("*.pdf")) == []


def test_originals_are_write_once_and_retries_are_no_ops(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    src, sha = blob(tmp_path, b"first")
    store.put("k.pdf", src, sha, "application/pdf")
    assert store.put("k.pdf", src, sha, "application/pdf").sha256 == sha
    other, other_sha = blob(tmp_path, b"second", "other.bin")
    with pytest.raises(ObjectExists):
        store.put("k.pdf", other, other_sha, "application/pdf")
    assert store.put("k.pdf", other, other_sha, "application/pdf", overwrite=True).sha256 == other_sha


def test_bit_rot_is_caught_on_read(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    src, sha = blob(tmp_path, b"scan bytes")
    store.put("k.pdf", src, sha, "application/pdf")
    store.local_path("k.pdf").write_bytes(b"scan bytez")
    with pytest.raises(ChecksumMismatch):
        store.get("k.pdf", tmp_path / "out")


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../../b", "a/.hidden"])
def test_keys_cannot_escape_the_store(tmp_path: Path, key: str) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    src, sha = blob(tmp_path, b"x")
    with pytest.raises(ObjectStoreError):
        store.put(key, src, sha, "application/octet-stream")
