"""The procedure catalog and the working-day calendar in force, resolved in one place.

Every caller (the pipeline's classify step, results, the review and procedures commands, search
by field) asks here, so they all read the same catalog and fail the same way. In order: the file
`SOHOA_CATALOG_FILE` names (which must exist: a misspelt path must not silently fall back to the
shipped catalog while a province thinks it runs its own), a province's import kept as
`<home>/catalog.yaml`, or the catalog shipped with sohoa. Each is parsed once per version of its
file, not once per dossier.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from procedures.calendar import WorkCalendar, load_calendar
from procedures.catalog import Catalog, CatalogError, load_catalog
from settings import Settings


class CatalogUnavailable(Exception):
    """The catalog (or holiday file) set cannot be read; the message says which file and what to do."""

    def __init__(self, english: str, vietnamese: str, hint: str) -> None:
        super().__init__(english)
        self.english, self.vietnamese, self.hint = english, vietnamese, hint

    def __str__(self) -> str:
        return f"{self.english} / {self.vietnamese}"


def import_target(settings: Settings) -> Path:
    """Where `sohoa procedures import` writes the merged catalog: where it will be read next time."""
    return settings.catalog_file or settings.home / "catalog.yaml"


def catalog_path(settings: Settings) -> Path | None:
    """The catalog file in force; None for the shipped one. Raises when the set file is missing."""
    if settings.catalog_file is not None:
        if not settings.catalog_file.is_file():
            raise CatalogUnavailable(
                f"SOHOA_CATALOG_FILE names {settings.catalog_file}, which does not exist",
                f"SOHOA_CATALOG_FILE trỏ tới {settings.catalog_file}, tệp này không tồn tại",
                "fix the path, import a catalog there (sohoa procedures import), or unset it for the shipped one")
        return settings.catalog_file
    imported = settings.home / "catalog.yaml"
    return imported if imported.exists() else None


def current_catalog(settings: Settings, *, scoped: bool = False) -> Catalog:
    """The catalog in force, parsed once per version of its file.

    `scoped` keeps only the levels and fields the agency handles (`SOHOA_CATALOG_LEVELS`,
    `SOHOA_CATALOG_FIELDS`): what dossiers are classified against, since a commune never receives
    a ministry's customs procedure. Listing, review and reports read the whole catalog.
    """
    path = catalog_path(settings)
    version = path.stat().st_mtime_ns if path else 0
    try:
        if scoped:
            return _scoped(path, version, tuple(settings.catalog_levels), tuple(settings.catalog_fields))
        return _catalog(path, version)
    except CatalogError as error:
        raise CatalogUnavailable(f"the catalog {path} cannot be read: {error}",
                                 f"không đọc được danh mục thủ tục {path}: {error}",
                                 f"fix {path}, or remove it to fall back to the shipped catalog") from error


@lru_cache(maxsize=4)
def _catalog(path: Path | None, _version: int) -> Catalog:
    return load_catalog(path)


@lru_cache(maxsize=4)
def _scoped(path: Path | None, version: int, levels: tuple[str, ...], fields: tuple[str, ...]) -> Catalog:
    return _catalog(path, version).scoped(levels, fields)


def current_calendar(settings: Settings) -> WorkCalendar:
    """The working-day calendar: `SOHOA_HOLIDAYS_FILE` when set (it must exist), else the shipped holidays."""
    path = settings.holidays_file
    if path is not None and not path.is_file():
        raise CatalogUnavailable(f"SOHOA_HOLIDAYS_FILE names {path}, which does not exist",
                                 f"SOHOA_HOLIDAYS_FILE trỏ tới {path}, tệp này không tồn tại",
                                 "fix the path, or unset it for the shipped holidays")
    return _calendar(path, path.stat().st_mtime_ns if path else 0)


@lru_cache(maxsize=4)
def _calendar(path: Path | None, _version: int) -> WorkCalendar:
    return load_calendar(path)
