"""The procedure (TTHC) catalog: what a dossier can be filed under.

The catalog is data, not code: the project ships the common procedures as `data/catalog.yaml`
(ids unchanged from the shared reference, since every sample set and benchmark labels dossiers with
them), and a province replaces or extends it with its own export (see `procedures.importer`).
The classifier works from these fields alone, so a province with no labelled scans still gets
dossiers filed on day one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from procedures.text import fold_key
from vntext import nfc

SHIPPED_CATALOG = "catalog.yaml"


class CatalogError(ValueError):
    """A catalog file that cannot be used; `problems` lists every bad row as (line, reason).

    All problems are collected before raising, so a clerk fixing a 1,500-row export sees every
    mistake at once instead of one per attempt.
    """

    def __init__(self, source: str, problems: list[tuple[int, str]]) -> None:
        self.source = source
        self.problems = problems
        shown = "; ".join(f"line {line}: {reason}" for line, reason in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(f"{source}: {len(problems)} malformed row(s): {shown}{more}")


@dataclass(frozen=True)
class Procedure:
    """One administrative procedure as the counter knows it.

    `titles` are headings printed on its application form or key papers, the form's own title
    first; `forms` are form identifiers ("Mẫu CT01", "Mẫu số 04/ĐK"); `components` the dossier
    components (thành phần hồ sơ) a province export lists. `days` is the statutory processing
    time in working days, 0 meaning the same day. `aliases` are other names the procedure is
    published under (the portal's wording of a curated entry); `same_as` names the entry this one
    duplicates (a national catalog lists some procedures twice, under a ministry's and a province's
    code, and a curated entry may carry an unverified code): the classifier treats the two as one
    and files under the entry named.
    """

    id: str
    name: str
    national_code: str | None = None
    field: str = ""
    level: str = ""
    days: int = 0
    titles: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    result: str = ""
    signers: tuple[str, ...] = ()
    note: str = ""
    aliases: tuple[str, ...] = ()
    same_as: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data for YAML and JSON output (tuples become lists)."""
        data = asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


@dataclass
class Catalog:
    """Procedures by id, in catalog order (order matters only for listing)."""

    procedures: dict[str, Procedure] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.procedures)

    def __iter__(self) -> Iterator[Procedure]:
        return iter(self.procedures.values())

    def __contains__(self, procedure_id: object) -> bool:
        return procedure_id in self.procedures

    def get(self, procedure_id: str) -> Procedure | None:
        return self.procedures.get(procedure_id)

    def merged(self, procedures: Iterable[Procedure]) -> tuple[Catalog, int, int]:
        """A new catalog with `procedures` added or replacing same-id entries; (catalog, added, updated).

        Merging by id makes a re-import of the same export a no-op, and a corrected export
        updates entries in place instead of duplicating them.
        """
        merged = dict(self.procedures)
        added = updated = 0
        for procedure in procedures:
            old = merged.get(procedure.id)
            if old is None:
                added += 1
            elif old != procedure:
                updated += 1
            merged[procedure.id] = procedure
        return Catalog(merged), added, updated

    def scoped(self, levels: Iterable[str] = (), fields: Iterable[str] = ()) -> Catalog:
        """The procedures an agency handles: at one of `levels` and in one of `fields` (folded substrings).

        An empty filter keeps everything. Matching is by folded substring, so "xã" keeps "Cấp xã"
        and "Cấp tỉnh, Cấp xã", and "ho tich" keeps "Hộ tịch". An entry with no level or field
        recorded is kept: the filter only drops what it knows to be elsewhere. A commune never
        receives a ministry's customs procedure, and a smaller catalog has fewer near-namesakes.
        """
        wanted_levels = [fold_key(level) for level in levels if level.strip()]
        wanted_fields = [fold_key(name) for name in fields if name.strip()]

        def keep(procedure: Procedure) -> bool:
            level, area = fold_key(procedure.level), fold_key(procedure.field)
            return (not wanted_levels or not level or any(w in level for w in wanted_levels)) and (
                not wanted_fields or not area or any(w in area for w in wanted_fields))

        return Catalog({pid: p for pid, p in self.procedures.items() if keep(p)})

    def to_yaml(self) -> str:
        """The catalog in the same YAML layout `load_catalog` reads."""
        data = {"version": 1, "procedures": [p.to_dict() for p in self]}
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def _text(value: Any) -> str:
    return nfc(str(value)).strip() if value is not None else ""


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    return tuple(t for t in (_text(v) for v in value) if t)


def procedure_from_mapping(entry: Mapping[str, Any]) -> Procedure:
    """A `Procedure` from one catalog entry; raises ValueError saying what is wrong with it."""
    procedure_id = _text(entry.get("id"))
    name = _text(entry.get("name"))
    if not procedure_id:
        raise ValueError("missing id")
    if not name:
        raise ValueError("missing name")
    days_raw = entry.get("days", 0)
    try:
        days = int(days_raw if days_raw not in (None, "") else 0)
    except (TypeError, ValueError):
        raise ValueError(f"processing days is not a whole number: {days_raw!r}") from None
    if days < 0:
        raise ValueError(f"processing days is negative: {days}")
    return Procedure(
        id=procedure_id,
        name=name,
        national_code=_text(entry.get("national_code")) or None,
        field=_text(entry.get("field")),
        level=_text(entry.get("level")),
        days=days,
        titles=_texts(entry.get("titles")),
        forms=_texts(entry.get("forms")),
        components=_texts(entry.get("components")),
        result=_text(entry.get("result")),
        signers=_texts(entry.get("signers")),
        note=_text(entry.get("note")),
        aliases=_texts(entry.get("aliases")),
        same_as=_texts(entry.get("same_as")),
    )


def catalog_from_yaml(text: str, source: str = "<catalog>") -> Catalog:
    """Parse catalog YAML (`version`, `procedures: [...]`), reporting every bad entry at once."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise CatalogError(source, [(getattr(getattr(exc, "problem_mark", None), "line", -1) + 1, str(exc))]) from None
    entries = data.get("procedures") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise CatalogError(source, [(1, "no 'procedures' list")])
    procedures: dict[str, Procedure] = {}
    problems: list[tuple[int, str]] = []
    for index, entry in enumerate(entries, start=1):
        try:
            if not isinstance(entry, dict):
                raise ValueError("entry is not a mapping")
            procedure = procedure_from_mapping(entry)
        except ValueError as exc:
            problems.append((index, f"entry {index}: {exc}"))
            continue
        procedures[procedure.id] = procedure
    if problems:
        raise CatalogError(source, problems)
    return Catalog(procedures)


def load_catalog(path: Path | str | None = None) -> Catalog:
    """The catalog at `path`, or the shipped one when `path` is None."""
    if path is None:
        text = resources.files("procedures.data").joinpath(SHIPPED_CATALOG).read_text(encoding="utf-8")
        return catalog_from_yaml(text, source=SHIPPED_CATALOG)
    path = Path(path)
    return catalog_from_yaml(path.read_text(encoding="utf-8"), source=str(path))
