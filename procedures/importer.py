"""Bulk import of a province's procedure export (CSV or JSON) into the catalog.

Exports come from the provincial public-service portal or from a spreadsheet a clerk keeps, so
column names vary (English keys or the Vietnamese headers of the portal) and list cells hold
several items separated by newlines, ";" or "|". Rows are checked one by one and every problem is
reported with its line number, because an export of 1,500 procedures always has a few bad rows and
the clerk must be able to find them.

An entry whose code equals the `national_code` of a catalog entry keeps that entry's id: the
shipped catalog uses stable ids that sample sets and the register refer to.

The national portal publishes a procedure's forms as sentences ("Tờ khai đăng ký khai sinh theo
mẫu (nếu người có yêu cầu lựa chọn nộp hồ sơ theo hình thức trực tiếp...)"): the importer keeps
only the form's title out of them (a quoted or capitalised title, else the request's own words
before the conditions), and a curated entry (shipped or a reviewer's) keeps its name and titles,
the import's wording being added after them. Where one code turns out to name two different
procedures, or two codes one procedure, the import says so (`ImportReport`) instead of silently
overwriting: an entry the import duplicates gets `same_as`, and the classifier treats both as one.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from procedures.catalog import Catalog, CatalogError, Procedure, procedure_from_mapping
from procedures.pages import is_request_title
from procedures.text import fold_key
from vntext import fold, nfc

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


_NAME_PREFIX = re.compile(r"^\s*thủ tục\s+", re.IGNORECASE)
_QUOTED = re.compile(r"[“\"«]([^”\"»]{6,160})[”\"»]")
_CAPITALS = re.compile(r"(?:[A-ZÀ-Ỹ][A-ZÀ-ỸĐ]*[,]?\s+){2,}[A-ZÀ-ỸĐ]+")
# Where the portal's sentence leaves the title for its conditions and references.
_TITLE_END = re.compile(
    r"\s*(?:\(|;|:|\.\s|\.$| theo (?:mẫu|mau|quy định|quy dinh|phụ lục|phu luc)| quy định tại| ban hành"
    r"| (?:đối với|trong) trường hợp| trường hợp| nếu | do .{0,40}(?:ký|cấp)| có (?:xác nhận|chữ ký)"
    r"| \(?bản chính| \(?bản sao| kèm theo| được lập| gồm| trong đó)", re.IGNORECASE)
_LEADING = re.compile(r"^\s*(?:[a-zđ]\)|\d+[.)]|[-–•+*]|\(\w+\))\s*"
                      r"|^\s*0?\d+\s*\((?:một|hai)\)\s*bản\s+\w+\s*", re.IGNORECASE)
_FORM_ID = re.compile(r"\b((?:Mẫu|Mau)(?:\s+số)?\s+[A-Z0-9Đ][\w./Đ-]*|\((CT\d{2}[a-z]?)\))")
_MAX_TITLE_WORDS = 18


def _request_title(item: str) -> str | None:
    """A form's title out of one portal sentence, or None when the sentence names no request form.

    A quoted or capitalised title is the form's own; otherwise the sentence's opening words are
    kept when they are a request (tờ khai, đơn, giấy đề nghị...), cut where the conditions start.
    """
    for pattern in (_QUOTED, _CAPITALS):
        for match in pattern.finditer(item):
            candidate = match.group(1) if pattern is _QUOTED else match.group()
            if is_request_title(fold_key(candidate)) and 3 <= len(candidate.split()) <= _MAX_TITLE_WORDS:
                return candidate.strip(" ,.")
    opening = _TITLE_END.split(_LEADING.sub("", item.strip()), maxsplit=1)[0].strip(" ,.;")
    words = opening.split()
    if is_request_title(fold_key(opening)) and 3 <= len(words) <= _MAX_TITLE_WORDS:
        return opening[:1].upper() + opening[1:]
    return None


def _form_ids(items: list[str]) -> list[str]:
    """Form identifiers ("Mẫu số 01/ĐK", "CT01") named in portal sentences."""
    found: list[str] = []
    for item in items:
        for match in _FORM_ID.finditer(item):
            value = (match.group(2) or match.group(1)).strip(" .,;")
            if value not in found and not value.lower().endswith((" do", " quy", " theo")):
                found.append(value)
    return found


def _clean_titles(items: list[str]) -> list[str]:
    titles: list[str] = []
    keys: set[str] = set()
    for item in items:
        title = _request_title(item)
        if title and fold_key(title) not in keys:
            titles.append(title)
            keys.add(fold_key(title))
    return titles


def _entry(row: Mapping[str, Any], catalog: Catalog, known_codes: Mapping[str, str]) -> Procedure:
    fields: dict[str, Any] = {}
    for header, value in row.items():
        column = _column(str(header)) if header is not None else None
        if column and value not in (None, ""):
            fields[column] = value
    code = str(fields.pop("code", "") or "").strip()
    if not fields.get("id"):
        if not code:
            raise ValueError("missing code")
        fields["id"] = known_codes.get(code) or code
    if code and "national_code" not in fields and re.fullmatch(r"\d\.\d{6}(\.\d+)?", code):
        fields["national_code"] = code
    if fields.get("name"):
        name = _NAME_PREFIX.sub("", nfc(str(fields["name"]))).strip()
        fields["name"] = name[:1].upper() + name[1:]
    fields["days"] = parse_days(fields.get("days"))
    for name in _LIST_FIELDS:
        fields[name] = _split_list(fields.get(name))
    explicit_titles = fields["titles"]
    sentences = [*fields["forms"], *fields["components"]]
    # Titles given as such are kept; otherwise (or when they are the portal's sentences) the
    # form titles are read out of the forms and components.
    if not explicit_titles or any(len(t.split()) > _MAX_TITLE_WORDS for t in explicit_titles):
        fields["titles"] = _clean_titles([*explicit_titles, *sentences])
    if not fields["forms"] or any(len(f.split()) > 6 for f in fields["forms"]):
        fields["forms"] = _form_ids(sentences)
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
    known_codes = {p.national_code: p.id for p in catalog if p.national_code}
    for line, row in rows:
        try:
            if not isinstance(row, dict):
                raise ValueError("row is not an object")
            procedures.append(_entry(row, catalog, known_codes))
        except ValueError as exc:
            problems.append((line, str(exc)))
    if problems:
        raise CatalogError(source, problems)
    if not procedures:
        raise CatalogError(source, [(1, "no procedures in the file")])
    return procedures


@dataclass
class ImportReport:
    """What an import did besides adding and updating: codes it would not trust, duplicates found."""

    catalog: Catalog
    added: int = 0
    updated: int = 0
    # (code, catalog entry kept, name the import gave, id the imported row was stored under)
    conflicts: list[tuple[str, str, str, str]] = field(default_factory=list)
    # (duplicate id, the id it is the same procedure as)
    duplicates: list[tuple[str, str]] = field(default_factory=list)


_SAME_NAME = 90.0
_OTHER_PROCEDURE = 60.0


def _name_key(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", fold_key(_NAME_PREFIX.sub("", name))).split())


def _merge_curated(old: Procedure, new: Procedure) -> Procedure:
    """A curated entry updated from an import: its name and titles stay first, the import's facts win."""
    titles = list(old.titles)
    keys = {fold_key(t) for t in titles}
    for title in new.titles:
        if fold_key(title) not in keys and all(fuzz.ratio(fold_key(title), k) < _SAME_NAME for k in keys):
            titles.append(title)
            keys.add(fold_key(title))
    aliases = list(old.aliases)
    if fold_key(new.name) != fold_key(old.name) and new.name not in aliases:
        aliases.append(new.name)
    forms = [*old.forms, *(f for f in new.forms if f not in old.forms)]
    return replace(
        new, id=old.id, name=old.name, titles=tuple(titles), aliases=tuple(aliases), forms=tuple(forms),
        national_code=new.national_code or old.national_code, signers=old.signers or new.signers,
        note=old.note or new.note, same_as=old.same_as or new.same_as,
        field=new.field or old.field, level=new.level or old.level,
        components=new.components or old.components, result=new.result or old.result)


def merge_import(catalog: Catalog, procedures: list[Procedure]) -> ImportReport:
    """Merge imported procedures into `catalog`, keeping curated wording and stable ids.

    A row whose code is a catalog entry's but whose name is another procedure (the portal's
    1.000010 is a maritime procedure, the shipped entry a driving-licence exchange whose code was
    never verified) does not overwrite the entry: it is stored under `<code>#2` and reported. Then
    entries with the same name are marked `same_as` the first of them (a curated one if any).
    """
    report = ImportReport(catalog)
    incoming: list[Procedure] = []
    for procedure in procedures:
        old = catalog.get(procedure.id)
        if old is None:
            incoming.append(procedure)
            continue
        similarity = max(fuzz.token_set_ratio(fold_key(procedure.name), fold_key(name))
                         for name in (old.name, *old.aliases))
        if similarity < _OTHER_PROCEDURE:
            stored = f"{procedure.id}#2"
            report.conflicts.append((procedure.id, old.id, procedure.name, stored))
            incoming.append(replace(procedure, id=stored))
        else:
            incoming.append(_merge_curated(old, procedure))
    merged, report.added, report.updated = catalog.merged(incoming)
    first: dict[str, str] = {}
    marked: dict[str, Procedure] = {}
    curated_first = sorted(merged, key=lambda p: p.id not in catalog)
    for procedure in curated_first:
        for name in (procedure.name, *procedure.aliases):
            key = _name_key(name)
            owner = first.setdefault(key, procedure.id)
            if owner != procedure.id and not procedure.same_as:
                marked[procedure.id] = replace(procedure, same_as=(owner,))
                report.duplicates.append((procedure.id, owner))
                break
    if marked:
        merged = Catalog({pid: marked.get(pid, p) for pid, p in merged.procedures.items()})
    report.catalog = merged
    return report


def import_report(path: Path | str, catalog: Catalog) -> ImportReport:
    """Merge a CSV or JSON export into `catalog`, with what was added, updated, doubted, found twice.

    Nothing is merged when any row is bad: a half-imported catalog is harder to reason about than
    a rejected file with a list of lines to fix.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    fmt = "json" if path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")) else "csv"
    return merge_import(catalog, parse_export(text, catalog, fmt, source=str(path)))


def import_export(path: Path | str, catalog: Catalog) -> tuple[Catalog, int, int]:
    """Merge a CSV or JSON export into `catalog` by id: (new catalog, added, updated)."""
    report = import_report(path, catalog)
    return report.catalog, report.added, report.updated
