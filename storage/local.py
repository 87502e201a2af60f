"""The embedded object store: a folder on the local disk, laid out by object key.

Each object is written to a temporary file, fsynced, checked against its SHA-256 and only then
renamed into place, so a crash never leaves a half-written object under a real key. Metadata sits
in a hidden sidecar `.<name>.meta.json`, which listings skip.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from storage.objects import (
    ChecksumMismatch,
    ObjectExists,
    ObjectInfo,
    ObjectStoreError,
    check_key,
    copy_hashing,
)


class LocalObjectStore:
    """An `ObjectStore` in a folder; safe for several processes on one machine."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*PurePosixPath(check_key(key)).parts)

    @staticmethod
    def _meta_path(path: Path) -> Path:
        return path.with_name(f".{path.name}.meta.json")

    def put(self, key: str, source: Path, sha256: str, content_type: str, *,
            overwrite: bool = False) -> ObjectInfo:
        path = self._path(key)
        existing = self.stat(key)
        if existing and existing.sha256 == sha256:
            return existing
        if existing and not overwrite:
            raise ObjectExists(f"{key} already holds other bytes (sha256 {existing.sha256[:12]}…)")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".put-")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                size, digest = copy_hashing(src, out)
                out.flush()
                os.fsync(out.fileno())
            if digest != sha256:
                raise ChecksumMismatch(f"{key}: expected sha256 {sha256}, stored bytes hash to {digest}")
            info = ObjectInfo(key=key, size=size, sha256=digest, content_type=content_type)
            meta = self._meta_path(path)
            meta_tmp = meta.with_suffix(".tmp")
            meta_tmp.write_text(json.dumps(info.__dict__), encoding="utf-8")
            os.replace(meta_tmp, meta)
            os.replace(tmp, path)
            _fsync_dir(path.parent)
            return info
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def get(self, key: str, dest: Path, *, verify: bool = True) -> ObjectInfo:
        info = self.stat(key)
        if info is None:
            raise ObjectStoreError(f"no object {key}")
        with self._path(key).open("rb") as src, dest.open("wb") as out:
            _, digest = copy_hashing(src, out)
        if verify and digest != info.sha256:
            raise ChecksumMismatch(f"{key}: stored as sha256 {info.sha256}, read back as {digest}")
        return info

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        meta = self._meta_path(path)
        if not path.is_file() or not meta.is_file():
            return None
        return ObjectInfo(**json.loads(meta.read_text(encoding="utf-8")))

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or any(p.startswith(".") for p in path.relative_to(self.root).parts):
                continue
            key = path.relative_to(self.root).as_posix()
            if key.startswith(prefix) and (info := self.stat(key)):
                yield info

    def local_path(self, key: str) -> Path:
        """Where the object lies on disk, so a local reader can skip the copy `get` makes."""
        return self._path(key)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
