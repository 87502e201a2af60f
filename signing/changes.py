"""What changed in a PDF after a signature, judged object by object against a short allow-list.

After the last signature, PAdES appends only validation data (the DSS and its VRI entries) and
document timestamps, and a verifier for official documents accepts nothing else: no form value,
no annotation, no /NeedAppearances, no /Info title, no XMP packet, no /AcroForm key, no new or
freed object that is not validation data or a hidden timestamp field. A document timestamp does
not make an earlier change acceptable: every revision after the last signature is judged here,
whatever follows it.

pyHanko's own difference analysis is kept for revisions *between* signatures (where DocMDP and
FieldMDP say what the earlier signer allowed); `form_changes` adds the two things it lets through
there: /NeedAppearances switched on, and a text field whose value no longer matches what its
widget shows (the shadow "replace" attacks).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader

from signing.reasons import Change

Key = tuple[int, int]

INFO_BOOKKEEPING = frozenset({"/ModDate", "/Producer"})
"""/Info keys every PDF writer touches on save, pyHanko's own LTA updates included; no viewer shows
them as document content. Any other /Info key (/Title, /Author, /Subject...) is a change."""

CATALOG_LTA_KEYS = frozenset({"/DSS", "/Extensions"})
ACROFORM_LTA_KEYS = frozenset({"/Fields", "/SigFlags"})
PAGE_LTA_KEYS = frozenset({"/Annots"})
_HIDDEN, _NO_VIEW = 2, 32  # annotation flags


def _key(ref: generic.Reference | generic.IndirectObject) -> Key:
    if isinstance(ref, generic.IndirectObject):
        ref = ref.reference
    return (ref.idnum, ref.generation)


def _raw(obj: generic.PdfObject | None, name: str) -> Any:
    if not isinstance(obj, generic.DictionaryObject) or name not in obj:
        return None
    return obj.raw_get(name)


def _deref(obj: generic.PdfObject | None) -> Any:
    return obj.get_object() if isinstance(obj, generic.IndirectObject) else obj


def _reachable(start: generic.PdfObject | None, limit: int = 100_000) -> set[Key]:
    """Every indirect object reachable from `start` (a DSS, a field's appearance), bounded."""
    seen: set[Key] = set()
    stack = [start]
    while stack and len(seen) < limit:
        obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            if _key(obj) in seen:
                continue
            seen.add(_key(obj))
            obj = obj.get_object()
        if isinstance(obj, generic.DictionaryObject):
            stack.extend(v for k, v in obj.items() if k not in ("/Parent", "/P"))
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(obj)
    return seen


class _State:
    """The objects of one revision that the allow-list refers to."""

    def __init__(self, resolver: HistoricalResolver) -> None:
        self.resolver = resolver
        self.trailer = resolver.trailer_view
        self.root_key = _key(self.trailer.raw_get("/Root"))
        self.root = resolver.root
        self.dss = _reachable(_raw(self.root, "/DSS"))
        acroform = _raw(self.root, "/AcroForm")
        self.acroform_key = _key(acroform) if isinstance(acroform, generic.IndirectObject) else None
        self.acroform = _deref(acroform) if acroform is not None else None
        fields = _raw(self.acroform, "/Fields")
        self.fields_key = _key(fields) if isinstance(fields, generic.IndirectObject) else None
        self.fields = [_key(f) for f in (_deref(fields) or []) if isinstance(f, generic.IndirectObject)]
        self.page_nodes: set[Key] = set()
        self.pages: dict[Key, int] = {}
        self.annots: dict[Key, int] = {}
        self.contents: dict[Key, int] = {}
        for number, (page_ref, page) in enumerate(self._pages(), start=1):
            self.pages[page_ref] = number
            annots = _raw(page, "/Annots")
            if isinstance(annots, generic.IndirectObject):
                self.annots[_key(annots)] = number
            contents = _raw(page, "/Contents")
            for item in (_deref(contents) if isinstance(_deref(contents), generic.ArrayObject) else [contents]):
                if isinstance(item, generic.IndirectObject):
                    self.contents[_key(item)] = number
        info = self.trailer.raw_get("/Info") if "/Info" in self.trailer else None
        self.info_key = _key(info) if isinstance(info, generic.IndirectObject) else None
        self.info = _deref(info)
        metadata = _raw(self.root, "/Metadata")
        self.metadata_key = _key(metadata) if isinstance(metadata, generic.IndirectObject) else None

    def _pages(self) -> Iterator[tuple[Key, generic.DictionaryObject]]:
        stack = [_raw(self.root, "/Pages")]
        seen: set[Key] = set()
        while stack:
            node_ref = stack.pop()
            if not isinstance(node_ref, generic.IndirectObject) or _key(node_ref) in seen:
                continue
            seen.add(_key(node_ref))
            node = node_ref.get_object()
            if not isinstance(node, generic.DictionaryObject):
                continue
            kids = _deref(_raw(node, "/Kids"))
            if isinstance(kids, generic.ArrayObject):
                self.page_nodes.add(_key(node_ref))
                stack.extend(reversed(list(kids)))
            else:
                yield _key(node_ref), node

    def annotations_of(self, page_key: Key) -> list[Key]:
        page = self.resolver.get_object(generic.Reference(*page_key))
        annots = _deref(_raw(page, "/Annots"))
        return [_key(a) for a in annots or [] if isinstance(a, generic.IndirectObject)]


def _differing_keys(old: generic.PdfObject | None, new: generic.PdfObject | None) -> set[str]:
    old_d = old if isinstance(old, generic.DictionaryObject) else generic.DictionaryObject()
    new_d = new if isinstance(new, generic.DictionaryObject) else generic.DictionaryObject()
    keys = set(old_d) | set(new_d)
    return {str(k) for k in keys if (k in old_d) != (k in new_d) or old_d.raw_get(k) != new_d.raw_get(k)}


def _is_doc_timestamp_field(resolver: HistoricalResolver, key: Key) -> bool:
    field = resolver.get_object(generic.Reference(*key))
    if not isinstance(field, generic.DictionaryObject) or _raw(field, "/FT") != "/Sig":
        return False
    value = _deref(_raw(field, "/V"))
    return isinstance(value, generic.DictionaryObject) and _raw(value, "/Type") == "/DocTimeStamp"


def _is_hidden_widget(resolver: HistoricalResolver, key: Key) -> bool:
    """A widget nobody sees: zero area, or flagged hidden / no-view."""
    widget = resolver.get_object(generic.Reference(*key))
    if not isinstance(widget, generic.DictionaryObject):
        return False
    flags = _deref(_raw(widget, "/F"))
    if isinstance(flags, int) and flags & (_HIDDEN | _NO_VIEW):
        return True
    rect = _deref(_raw(widget, "/Rect"))
    try:
        x1, y1, x2, y2 = (float(_deref(v)) for v in rect)
    except (TypeError, ValueError):
        return False
    return abs(x2 - x1) * abs(y2 - y1) == 0


def changes_in_revision(reader: PdfFileReader, revision: int) -> list[Change]:
    """Everything revision `revision` changed that is neither validation data nor a hidden timestamp."""
    old = _State(reader.get_historical_resolver(revision - 1))
    new = _State(reader.get_historical_resolver(revision))
    xrefs = reader.xrefs
    explicit = {_key(r) for r in xrefs.explicit_refs_in_revision(revision)}
    freed = {_key(r) for r in xrefs.refs_freed_in_revision(revision)}
    xref_streams = {_key(r) for r in xrefs.xref_stream_refs}
    before = {_key(r) for index in range(revision) for r in xrefs.explicit_refs_in_revision(index)}
    changes: list[Change] = []
    unexplained: list[Change] = []
    if new.root_key != old.root_key:
        changes.append(Change("danh mục tài liệu (/Root) bị thay bằng một danh mục khác",
                              "the document catalog (/Root) was replaced"))
        return changes
    for name in ("/Encrypt", "/Info"):
        if _raw(old.trailer, name) != _raw(new.trailer, name) and not (name == "/Info" and old.info_key is None):
            changes.append(Change(f"phần cuối tệp trỏ {name} tới đối tượng khác",
                                  f"the trailer's {name} was repointed"))

    new_ts_fields = {f for f in new.fields if f not in old.fields and _is_doc_timestamp_field(new.resolver, f)}
    timestamp_objects: set[Key] = set()
    for ts_field in new_ts_fields:
        timestamp_objects |= _reachable(generic.IndirectObject(ts_field[0], ts_field[1], new.resolver))
    visible = sorted(f for f in new_ts_fields if not _is_hidden_widget(new.resolver, f))
    for ts_field in visible:
        changes.append(Change(f"dấu thời gian mới có ô hiển thị nhìn thấy được (đối tượng {ts_field[0]})",
                              f"a new timestamp field has a visible widget (object {ts_field[0]})"))

    for key in sorted(explicit - xref_streams):
        if key not in before:  # a new object
            if key in new.dss or key in timestamp_objects:
                continue
            unexplained.append(Change(f"đối tượng mới {key[0]} không phải dữ liệu kiểm tra hay dấu thời gian",
                                      f"new object {key[0]} is neither validation data nor a timestamp"))
            continue
        old_obj = old.resolver.get_object(generic.Reference(*key))
        new_obj = new.resolver.get_object(generic.Reference(*key))
        changes.extend(_judge_update(key, old_obj, new_obj, old, new, new_ts_fields))
    for key in sorted(freed - old.dss):
        changes.append(Change(f"đối tượng {key[0]} bị xóa", f"object {key[0]} was deleted"))
    if old.info_key is None and new.info is not None and old.info != new.info:
        changes.extend(_info_changes(old.info, new.info))
    return _unique(changes or unexplained)


def _judge_update(key: Key, old_obj: generic.PdfObject, new_obj: generic.PdfObject, old: _State, new: _State,
                  new_ts_fields: set[Key]) -> list[Change]:
    """Why rewriting the existing object `key` is not an LTA update, or [] if it is one."""
    if key in old.dss and key not in old.pages and key != old.root_key:
        return []
    if isinstance(old_obj, generic.StreamObject) or isinstance(new_obj, generic.StreamObject):
        same = (isinstance(old_obj, generic.StreamObject) and isinstance(new_obj, generic.StreamObject)
                and old_obj.data == new_obj.data and not _differing_keys(old_obj, new_obj))
        if same:
            return []
    elif old_obj == new_obj:
        return []
    if key == old.root_key:
        return _catalog_changes(old, new, new_ts_fields)
    if key == old.acroform_key:
        return _acroform_changes(old, new, new_ts_fields)
    if key == old.fields_key:
        return _fields_changes(old, new, new_ts_fields)
    if key == old.info_key:
        return _info_changes(old_obj, new_obj)
    if key == old.metadata_key:
        return [Change("siêu dữ liệu XMP bị thay đổi", "the XMP metadata was changed")]
    if key in old.pages:
        return _page_changes(key, old, new, new_ts_fields)
    if key in old.page_nodes:
        return [Change("cây trang bị thay đổi: trang bị thêm, bớt hoặc đổi chỗ",
                       "the page tree was changed: pages were added, removed or moved")]
    if key in old.annots:
        return _annots_changes(old.annots[key], old, new, new_ts_fields)
    if key in old.contents:
        n = old.contents[key]
        return [Change(f"nội dung trang {n} bị thay", f"the content of page {n} was replaced")]
    if key in old.fields or _is_field(old_obj):
        name = _field_name(new_obj) or _field_name(old_obj) or str(key[0])
        if _raw(old_obj, "/V") != _raw(new_obj, "/V"):
            return [Change(f"giá trị của ô «{name}» bị thay đổi", f"the value of form field «{name}» was changed")]
        return [Change(f"ô «{name}» của biểu mẫu bị thay đổi", f"form field «{name}» was changed")]
    for page_key, number in old.pages.items():
        if key in old.annotations_of(page_key):
            return [Change(f"một chú thích trên trang {number} bị thay đổi",
                           f"an annotation on page {number} was changed")]
    return [Change(f"đối tượng {key[0]} của tài liệu bị thay đổi", f"object {key[0]} of the document was changed")]


def _is_field(obj: generic.PdfObject) -> bool:
    return isinstance(obj, generic.DictionaryObject) and ("/FT" in obj or "/T" in obj)


def _field_name(obj: generic.PdfObject) -> str | None:
    name = _deref(_raw(obj, "/T"))
    return str(name) if name is not None else None


def _catalog_changes(old: _State, new: _State, new_ts_fields: set[Key]) -> list[Change]:
    changes = []
    for key in sorted(_differing_keys(old.root, new.root) - CATALOG_LTA_KEYS):
        if key == "/Metadata":
            changes.append(Change("siêu dữ liệu XMP bị thay đổi", "the XMP metadata was changed"))
        elif key == "/AcroForm" and old.acroform_key is None and new.acroform_key is None:
            changes.extend(_acroform_changes(old, new, new_ts_fields))
        elif key == "/Pages":
            changes.append(Change("cây trang bị thay", "the page tree was replaced"))
        else:
            changes.append(Change(f"danh mục tài liệu bị thay đổi ({key})",
                                  f"the document catalog was changed ({key})"))
    return changes


def _acroform_changes(old: _State, new: _State, new_ts_fields: set[Key]) -> list[Change]:
    changes = []
    for key in sorted(_differing_keys(old.acroform, new.acroform) - ACROFORM_LTA_KEYS):
        if key == "/NeedAppearances":
            changes.append(Change("biểu mẫu bị đặt để vẽ lại các ô từ giá trị của chúng (/NeedAppearances)",
                                  "the form was set to redraw its fields from their values (/NeedAppearances)"))
        else:
            changes.append(Change(f"biểu mẫu tương tác bị thay đổi (/AcroForm {key})",
                                  f"the interactive form was changed (/AcroForm {key})"))
    if new.fields_key == old.fields_key:
        changes.extend(_fields_changes(old, new, new_ts_fields))
    return changes


def _fields_changes(old: _State, new: _State, new_ts_fields: set[Key]) -> list[Change]:
    if new.fields[:len(old.fields)] == old.fields and set(new.fields[len(old.fields):]) <= new_ts_fields:
        return []
    return [Change("danh sách các ô của biểu mẫu bị thay đổi", "the list of form fields was changed")]


def _page_changes(key: Key, old: _State, new: _State, new_ts_fields: set[Key]) -> list[Change]:
    number = old.pages[key]
    old_page = old.resolver.get_object(generic.Reference(*key))
    new_page = new.resolver.get_object(generic.Reference(*key))
    changes = []
    for name in sorted(_differing_keys(old_page, new_page) - PAGE_LTA_KEYS):
        if name == "/Contents":
            changes.append(Change(f"nội dung trang {number} bị thay", f"the content of page {number} was replaced"))
        else:
            changes.append(Change(f"trang {number} bị thay đổi ({name})", f"page {number} was changed ({name})"))
    if key not in new.pages:
        changes.append(Change(f"trang {number} bị gỡ khỏi tài liệu", f"page {number} was removed"))
    elif "/Annots" in _differing_keys(old_page, new_page):
        changes.extend(_annots_changes(number, old, new, new_ts_fields, key))
    return changes


def _annots_changes(number: int, old: _State, new: _State, new_ts_fields: set[Key],
                    page_key: Key | None = None) -> list[Change]:
    if page_key is None:
        page_key = next(k for k, n in old.pages.items() if n == number)
    before, after = old.annotations_of(page_key), new.annotations_of(page_key)
    if after[:len(before)] == before and set(after[len(before):]) <= new_ts_fields:
        return []
    if len(after) > len(before):
        return [Change(f"một chú thích được thêm vào trang {number}", f"an annotation was added on page {number}")]
    return [Change(f"các chú thích trên trang {number} bị thay đổi", f"the annotations on page {number} were changed")]


def _info_changes(old_info: generic.PdfObject | None, new_info: generic.PdfObject | None) -> list[Change]:
    keys = sorted(_differing_keys(old_info, new_info) - INFO_BOOKKEEPING)
    if not keys:
        return []
    names = ", ".join(k.lstrip("/") for k in keys)
    return [Change(f"thuộc tính tài liệu bị thay đổi (/Info: {names})",
                   f"the document properties were changed (/Info: {names})")]


def _unique(changes: list[Change]) -> list[Change]:
    return list(dict.fromkeys(changes))


def form_changes(reader: PdfFileReader, signed_revision: int) -> list[Change]:
    """Changes to the form since `signed_revision` that DocMDP's "form filling" must not cover.

    /NeedAppearances switched on makes viewers redraw every field from its value, so a value that
    the signed appearance hid becomes visible; and a text field whose new value is not what its
    widget draws shows one thing in one viewer and another in the next.
    """
    last = reader.xrefs.total_revisions - 1
    if signed_revision >= last:
        return []
    old = _State(reader.get_historical_resolver(signed_revision))
    new = _State(reader.get_historical_resolver(last))
    changes = []
    was_set = _truthy(_raw(old.acroform, "/NeedAppearances"))
    for revision in range(signed_revision + 1, last + 1):
        form = _deref(_raw(reader.get_historical_resolver(revision).root, "/AcroForm"))
        if not was_set and _truthy(_raw(form, "/NeedAppearances")):
            changes.append(Change("biểu mẫu bị đặt để vẽ lại các ô từ giá trị của chúng (/NeedAppearances)",
                                  "the form was set to redraw its fields from their values (/NeedAppearances)"))
            break
    for key in new.fields:
        old_field = old.resolver.get_object(generic.Reference(*key)) if key in old.fields else None
        new_field = new.resolver.get_object(generic.Reference(*key))
        if _deref(_raw(new_field, "/FT")) != "/Tx":
            continue
        value = _deref(_raw(new_field, "/V"))
        if old_field is not None and _deref(_raw(old_field, "/V")) == value and \
                _raw(old_field, "/AP") == _raw(new_field, "/AP"):
            continue
        if value is not None and not _appearance_shows(new_field, str(value)):
            name = _field_name(new_field) or str(key[0])
            changes.append(Change(f"giá trị của ô «{name}» khác với nội dung ô hiển thị",
                                  f"the value of form field «{name}» differs from what its widget shows"))
    return changes


def _truthy(value: generic.PdfObject | None) -> bool:
    return bool(_deref(value))


def _appearance_shows(field: generic.DictionaryObject, value: str) -> bool:
    """Whether the field's normal appearance draws `value` (as WinAnsi/PDFDoc or UTF-16 text).

    Appearances whose text cannot be decoded this way (embedded CID fonts) do not count as
    showing the value: a verifier cannot tell what they show, and must not assume it.
    """
    widgets = [field] + [_deref(k) for k in (_deref(_raw(field, "/Kids")) or [])]
    for widget in widgets:
        appearance = _deref(_raw(_deref(_raw(widget, "/AP")), "/N"))
        if not isinstance(appearance, generic.StreamObject):
            return False
        try:
            data = appearance.data
        except (ValueError, TypeError, KeyError, NotImplementedError):  # pyHanko: a filter it cannot decode
            return False
        candidates = [value.encode("latin-1", "replace"), value.encode("utf-16-be")]
        escaped = [c.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") for c in candidates]
        hexed = [c.hex().encode() for c in candidates]
        if not value or not any(c in data or c.upper() in data for c in [*escaped, *hexed]):
            return False
    return True
