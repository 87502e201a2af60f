"""Page images made from the stored originals and served through the app, never by a link to the
store: every image a person sees is one the app authorized and logged.

A page is found by its number across the dossier's originals in order (as the OCR step numbered
them), drawn upright (the rotation OCR found) at one of two widths, and kept in a disk cache keyed
by the original's SHA-256, so a page is rasterized once whoever looks at it again.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pdf2image import convert_from_path
from PIL import Image

from ocr.pages import count_pages
from storage.local import LocalObjectStore
from storage.models import File
from workers.services import Services

WIDTHS = {"thumb": 240, "full": 1400}
_counts: dict[str, int] = {}
_lock = threading.Lock()


class PageMissing(LookupError):
    """The dossier has no such page (or its original cannot be read)."""


@contextmanager
def _original(services: Services, file: File) -> Iterator[Path]:
    """The original on local disk: in place for the local store, else a verified temporary copy."""
    store = services.objects
    if isinstance(store, LocalObjectStore):
        yield store.local_path(file.object_key)
        return
    suffix = Path(file.object_key).suffix
    fd, name = tempfile.mkstemp(suffix=suffix, prefix="page-src-")
    os.close(fd)
    try:
        store.get(file.object_key, Path(name), verify=True)
        yield Path(name)
    finally:
        os.unlink(name)


def _page_count(services: Services, file: File) -> int:
    with _lock:
        known = _counts.get(file.sha256)
    if known is None:
        with _original(services, file) as path:
            known = count_pages(path)
        with _lock:
            _counts[file.sha256] = known
    return known


def page_count(services: Services, file: File) -> int:
    """How many pages one stored PDF or image has (counted once per SHA-256)."""
    return _page_count(services, file)


def locate(services: Services, originals: Sequence[File], number: int) -> tuple[File, int]:
    """The original holding page `number` of the dossier, and the page's number within it."""
    remaining = number
    for file in sorted(originals, key=lambda f: (f.ordinal, f.id)):
        pages = _page_count(services, file)
        if remaining <= pages:
            return file, remaining
        remaining -= pages
    raise PageMissing(number)


def page_image(services: Services, originals: Sequence[File], number: int, size: str, rotation: int = 0) -> Path:
    """A JPEG of the page at the width `size` names, from the cache or drawn now."""
    if number < 1:
        raise PageMissing(number)
    file, inner = locate(services, originals, number)
    width = WIDTHS[size]
    cache = services.settings.home / "cache" / "pages"
    target = cache / f"{file.sha256}-{inner}-{width}-{rotation % 360}.jpg"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with _original(services, file) as path:
        image = _draw(path, file.media_type, inner, width)
    if rotation % 360:
        image = image.rotate(-rotation, expand=True, fillcolor="white")
    fd, tmp = tempfile.mkstemp(dir=cache, prefix=".page-", suffix=".jpg")
    with os.fdopen(fd, "wb") as out:
        image.save(out, "JPEG", quality=80)
    os.replace(tmp, target)
    return target


def _draw(path: Path, media_type: str, inner: int, width: int) -> Image.Image:
    if media_type == "application/pdf":
        images = convert_from_path(path, first_page=inner, last_page=inner, size=(width, None), grayscale=False)
        if not images:
            raise PageMissing(inner)
        return images[0].convert("RGB")
    with Image.open(path) as source:
        source.seek(inner - 1)
        image = source.convert("RGB")
    image.thumbnail((width, width * 2))
    return image
