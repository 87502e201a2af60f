"""The revisions of a PDF as two independent readers see them, and where they disagree.

A signed PDF grows by incremental updates: each revision appends objects, a cross-reference
section and `startxref N %%EOF`. A signature covers the bytes up to the end of one revision; what
a viewer shows is the last revision *its* reader finds. When pyHanko (which checks the signature)
and the reader of the viewer (poppler, qpdf, pdf.js, Acrobat) stop at different revisions, the
signature vouches for one document and the viewer shows another: the parser-differential attack.

So the revisions are read twice: by pyHanko, and by qpdf (through pikepdf) on the file cut at the
end of each revision pyHanko found. Both must agree on every revision, object by object and byte
offset by byte offset, and on the whole file; anything after the end of the last revision, other
than whitespace, is content that some reader may find and that no signature covers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO

import pikepdf
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.xref import ObjStreamRef, XRefSectionMetaInfo, XRefSectionType

_REVISION_END = re.compile(rb"\s*(?:endobj\s*)?startxref\s+(\d+)\s*%%EOF[ \t]*(?:\r\n|\r|\n)?")
_ANY_END = re.compile(rb"startxref\s+(\d+)\s*%%EOF[ \t]*(?:\r\n|\r|\n)?")
_WHITESPACE = b" \t\r\n\x00\x0c"

MAX_REVISIONS = 200
"""More revisions than any signing chain with decades of B-LTA renewals produces; reading each one
twice beyond this is a denial of service, not a verification, so the file is refused."""

Location = int | tuple[int, int]
"""Where an object lives: a byte offset, or (object stream number, index in it)."""


@dataclass(frozen=True)
class Revision:
    """One revision as pyHanko read it: its cross-reference section and the byte where it ends."""

    index: int
    startxref: int
    end: int | None  # None: no `startxref N %%EOF` right after its cross-reference data


@dataclass(frozen=True)
class RevisionMap:
    """The revisions both readers agree on, and what stops them agreeing (English sentences)."""

    revisions: tuple[Revision, ...]
    disagreements: tuple[str, ...]
    trailing_bytes: int

    @property
    def agreed(self) -> bool:
        return not self.disagreements and not self.trailing_bytes

    def revision_ending_at(self, offset: int) -> int | None:
        """The revision whose last byte is at `offset` (a signature's /ByteRange end), if any."""
        for revision in self.revisions:
            if revision.end == offset:
                return revision.index
        return None


def read_revisions(data: bytes, reader: PdfFileReader) -> RevisionMap:
    """Compare pyHanko's revisions of `data` (already opened as `reader`) with qpdf's."""
    xrefs = reader.xrefs
    revisions = []
    disagreements: list[str] = []
    if xrefs.total_revisions > MAX_REVISIONS:
        return RevisionMap(revisions=(), trailing_bytes=0, disagreements=(
            f"the file has {xrefs.total_revisions} revisions, more than the {MAX_REVISIONS} a verifier reads",))
    linearized = b"/Linearized" in data[:1024]
    for index in range(xrefs.total_revisions):
        info = xrefs.get_xref_container_info(index)
        end = _revision_end(data, reader, info, linearized=linearized and index < 2)
        revisions.append(Revision(index=index, startxref=info.declared_startxref, end=end))
        if not _xref_starts_at(data, info):
            disagreements.append(f"revision {index + 1} points its cross-reference section at byte "
                                 f"{info.declared_startxref}, where there is none")
    # A linearized original has two sections (first page, rest) and one end: the main section,
    # read first through the first-page section's /Prev, has no end of its own.
    missing = [r.index for r in revisions if r.end is None]
    ends = [r.end for r in revisions if r.end is not None]
    if (missing and not (linearized and missing == [0])) or ends != sorted(ends):
        disagreements.append("the revisions do not follow one another: the file was not saved by "
                             "appending updates")
    last_end = revisions[-1].end if revisions and revisions[-1].end is not None else len(data)
    trailing = len(data[last_end:].strip(_WHITESPACE))
    for revision in revisions:
        if revision.end is None:
            continue
        problem = _compare_with_qpdf(data[:revision.end], reader, revision.index)
        if problem:
            disagreements.append(f"revision {revision.index + 1}: {problem}")
    if trailing:
        problem = _compare_with_qpdf(data, reader, len(revisions) - 1)
        if problem:
            disagreements.append(f"the whole file: {problem}")
    return RevisionMap(revisions=tuple(revisions), disagreements=tuple(disagreements), trailing_bytes=trailing)


def _xref_starts_at(data: bytes, info: XRefSectionMetaInfo) -> bool:
    """Whether `startxref` points exactly at the cross-reference data pyHanko then read.

    pyHanko forgives a pointer that is a few bytes off; qpdf may resolve it otherwise, so a
    verifier must not.
    """
    if info.xref_section_type in (XRefSectionType.STANDARD, XRefSectionType.HYBRID_MAIN):
        return data[info.declared_startxref:info.declared_startxref + 4] == b"xref"
    return info.start_location == info.declared_startxref


def _revision_end(data: bytes, reader: PdfFileReader, info: XRefSectionMetaInfo, *, linearized: bool
                  ) -> int | None:
    """The byte after `startxref N %%EOF` that closes this cross-reference section, if it is there.

    It follows the section's trailer (or its xref stream) directly, except for the first-page
    section of a linearized file, which is closed by the `startxref` at the end of the original.
    """
    position = info.end_location
    if info.xref_section_type in (XRefSectionType.STANDARD, XRefSectionType.HYBRID_MAIN):
        stream = BytesIO(data)
        stream.seek(position)
        try:
            generic.DictionaryObject.read_from_stream(stream, generic.TrailerReference(reader))
        except (PdfError, ValueError, KeyError, IndexError, TypeError):
            return None
        position = stream.tell()
    match = _REVISION_END.match(data, position)
    if match is not None and int(match.group(1)) == info.declared_startxref:
        return match.end()
    if linearized:
        for later in _ANY_END.finditer(data, position):
            if int(later.group(1)) == info.declared_startxref:
                return later.end()
    return None


def _compare_with_qpdf(data: bytes, reader: PdfFileReader, revision: int) -> str | None:
    """Why qpdf's view of `data` differs from pyHanko's view of `revision`, or None if it does not."""
    try:
        with pikepdf.open(BytesIO(data), suppress_warnings=True) as pdf:
            qpdf = _qpdf_locations(pdf)
            recovered = any("reconstruct" in w or "xref" in w.lower() for w in pdf.get_warnings())
    except pikepdf.PasswordError:
        return "qpdf cannot open it without a password"
    except (pikepdf.PdfError, RuntimeError, ValueError) as exc:
        return f"qpdf cannot read it ({str(exc).splitlines()[0][:120]})"
    if recovered:
        return "qpdf had to rebuild its cross-reference table, so it reads other objects than pyHanko"
    ours = _pyhanko_locations(reader, revision)
    differing = sorted(set(ours.items()) ^ set(qpdf.items()))
    if differing:
        (idnum, gen), _ = differing[0]
        return (f"pyHanko and qpdf read {len({k for k, _ in differing})} object(s) differently "
                f"(first: object {idnum} {gen})")
    return None


def _qpdf_locations(pdf: pikepdf.Pdf) -> dict[tuple[int, int], Location]:
    locations: dict[tuple[int, int], Location] = {}
    for key, entry in pdf.get_xref_table().items():
        if entry.type == 1:
            locations[key] = int(entry.offset or 0)
        elif entry.type == 2:
            locations[key] = (int(entry.obj_stream_number or 0), int(entry.obj_stream_index or 0))
    return locations


def _pyhanko_locations(reader: PdfFileReader, revision: int) -> dict[tuple[int, int], Location]:
    xrefs = reader.xrefs
    refs: set[tuple[int, int]] = set()
    for index in range(revision + 1):
        refs |= {(ref.idnum, ref.generation) for ref in xrefs.explicit_refs_in_revision(index)}
    locations: dict[tuple[int, int], Location] = {}
    for idnum, gen in refs:
        where = xrefs.get_historical_ref(generic.Reference(idnum, gen, pdf=reader), revision)
        if isinstance(where, ObjStreamRef):
            locations[(idnum, gen)] = (where.obj_stream_id, where.ix_in_stream)
        elif isinstance(where, int):
            locations[(idnum, gen)] = where
    return locations
