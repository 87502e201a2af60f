"""Bulk import of a province's procedure export (CSV or JSON) into the catalog.

Exports come from the provincial public-service portal or from a spreadsheet a clerk keeps, so
column names vary (English keys or the Vietnamese headers of the portal) and list cells hold
several items separated by newlines, ";" or "|". Rows are checked one by one and every problem is
reported with its line number, because an export of 1,500 procedures always has a few bad rows and
the clerk must be able to find them.

An entry whose code equals the `national_code` of a catalog entry keeps that entry's id: the
shipped catalog uses stable ids that sample sets and the register refer to.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from procedures.catalog import Catalog, CatalogError, Procedure, procedure_from_mapping
from vntext import fold

# Folded, lower-case header → catalog field. Several spellings per field because exports differ.
_COLUMNS = {
    "id": "id",
    "code": "code",
    "ma": "code",
    "ma thu tuc": "code",
    "ma tthc": "code",
    "national_code": "code",
    "name": "name",
    "ten": "name",
    "ten thu tuc": "name",
    "ten tthc": "name",
    "field": "field",
    "linh vuc": "field",
    "level": "level",
    "cap": "level",
    "cap thuc hien": "level",
    "days": "days",
    "processing days": "days",
    "processing_days": "days",
    "thoi han": "days",
    "thoi han giai quyet": "days",
    "thoi gian giai quyet": "days",
    "components": "components",
    "dossier components": "components",
    "thanh phan ho so": "components",
    "titles": "titles",
    "form titles": "titles",
    "form_titles": "titles",
    "ten mau don": "titles",
    "mau don, to khai": "titles",
    "forms": "forms",
    "form ids": "forms",
    "ma mau": "forms",
    "result": "result",
    "ket qua": "result",
    "ket qua thuc hien": "result",
    "signers": "signers",
    "note": "note",
    "ghi chu": "note",
}
_LIST_FIELDS = ("components", "titles", "forms", "signers")
_LIST_SPLIT = re.compile(r"\s*(?:\r?\n|;|\|)\s*")
_SAME_DAY = ("trong ngay", "ngay lam viec ngay", "giai quyet ngay", "same day", "ngay khi nhan")


def _column(header: str) -> str | None:
    key = " ".join(fold(header).lower().replace("_", " ").split())
    return _COLUMNS.get(key) or _COLUMNS.get(key.replace(" ", "_"))


def parse_days(value: Any) -> int:
    """Working days from an export cell: 7, "07", "07 ngày làm việc", "Trong ngày" (0).

    Raises ValueError when no number can be read, so the row is reported rather than guessed.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    text = fold(str(value or "")).lower().strip()
    if not text:
        return 0
    number = re.search(r"\d+", text)
    if number:
        return int(number.group())
    if any(phrase in text for phrase in _SAME_DAY):
        return 0
    raise ValueError(f"processing days unreadable: {value!r}")


def _split_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part for part in _LIST_SPLIT.split(str(value)) if part]


def _entry(row: Mapping[str, Any], catalog: Catalog) -> Procedure:
    fields: dict[str, Any] = {}
    for header, value in row.items():
        column = _column(str(header)) if header is not None else None
        if column and value not in (None, ""):
            fields[column] = value
    code = str(fields.pop("code", "") or "").strip()
    if not fields.get("id"):
        if not code:
            raise ValueError("missing code")
        known = next((p.id for p in catalog if p.national_code == code), None)
        fields["id"] = known or code
    if code and "national_code" not in fields and re.fullmatch(r"\d\.\d{6}(\.\d+)?", code):
        fields["national_code"] = code
    fields["days"] = parse_days(fields.get("days"))
    for name in _LIST_FIELDS:
        fields[name] = _split_list(fields.get(name))
    return procedure_from_mapping(fields)


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    line = reader.line_num + 1
    for row in reader:
        yield line, row
        line = reader.line_num + 1


def _json_rows(text: str, source: str) -> Iterator[tuple[int, Any]]:
    """Each element of the top-level list (or of its "procedures" list) with its starting line."""
    decoder = json.JSONDecoder()
    start = text.find("[")
    if start < 0 or (text.lstrip().startswith("{") and '"procedures"' not in text[:start]):
        raise CatalogError(source, [(1, "expected a JSON list of procedures")])
    pos = start + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise CatalogError(source, [(exc.lineno, f"invalid JSON: {exc.msg}")]) from None
        yield line, value


def parse_export(text: str, catalog: Catalog, fmt: str, source: str = "<export>") -> list[Procedure]:
    """Procedures from an export's text; `fmt` is "csv" or "json". Raises CatalogError listing bad rows."""
    rows = _json_rows(text, source) if fmt == "json" else _csv_rows(text)
    procedures: list[Procedure] = []
    problems: list[tuple[int, str]] = []
    for line, row in rows:
        try:
            if not isinstance(row, dict):
                raise ValueError("row is not an object")
            procedures.append(_entry(row, catalog))
        except ValueError as exc:
            problems.append((line, str(exc)))
    if problems:
        raise CatalogError(source, problems)
    if not procedures:
        raise CatalogError(source, [(1, "no procedures in the file")])
    return procedures


def import_export(path: Path | str, catalog: Catalog) -> tuple[Catalog, int, int]:
    """Merge a CSV or JSON export into `catalog` by id: (new catalog, added, updated).

    Nothing is merged when any row is bad: a half-imported catalog is harder to reason about than
    a rejected file with a list of lines to fix.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    fmt = "json" if path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")) else "csv"
    return catalog.merged(parse_export(text, catalog, fmt, source=str(path)))
