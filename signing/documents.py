"""Opening the PDFs users hand in, turning every way they can be unusable into `UnreadablePdf`.

Results arrive from other systems and from people: empty uploads, a Word file renamed to .pdf, a
truncated download, a password-protected export. Each must be refused with a reason, before any
signing work starts, and never as a traceback.
"""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils.crypt import AuthStatus
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm

from signing.errors import SigningProblem, UnreadablePdf


def read_pdf(data: bytes, *, open_empty_password: bool = True) -> PdfFileReader:
    """A reader over `data`, or `UnreadablePdf` saying why not.

    A PDF encrypted with an empty user password (common in exports that only restrict printing or
    copying) opens in every viewer without a prompt, so it is opened here too; one that needs a
    password is refused.
    """
    if not data:
        raise UnreadablePdf("the file is empty")
    if not data.lstrip()[:5] == b"%PDF-":
        raise UnreadablePdf("not a PDF (no %PDF- header)")
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        encrypted = reader.encrypted
        if not encrypted:
            _ = reader.root["/Pages"]
        if encrypted and open_empty_password and reader.decrypt("").status is not AuthStatus.FAILED:
            encrypted = False
            _ = reader.root["/Pages"]
    except (PdfError, ValueError, KeyError, IndexError, TypeError, AttributeError, AssertionError,
            RecursionError, NotImplementedError) as exc:  # NotImplementedError: pyHanko meets a feature it lacks
        raise UnreadablePdf(f"corrupt PDF: {str(exc)[:200] or 'its structure is broken'}") from exc
    if encrypted:
        raise UnreadablePdf("the PDF is encrypted; ask for an unprotected copy")
    return reader


def open_for_update(data: bytes) -> IncrementalPdfFileWriter:
    """A writer that appends a revision to `data`, keeping earlier signatures intact.

    Refuses a document an earlier signer locked (the agency seal, last in the chain): a further
    signature would silently invalidate the lock and with it the seal.
    """
    read_pdf(data, open_empty_password=False)
    try:
        writer = IncrementalPdfFileWriter(BytesIO(data), strict=False)
    except (PdfError, ValueError, KeyError) as exc:
        raise UnreadablePdf(f"corrupt PDF: {exc}") from exc
    for sig in writer.prev.embedded_signatures:
        if sig.docmdp_level is MDPPerm.NO_CHANGES:
            raise SigningProblem(f"the document is locked by signature {sig.field_name}: it accepts no more "
                                 "signatures")
    return writer


def page_size(writer: IncrementalPdfFileWriter, page: int) -> tuple[int, float, float]:
    """The page index (negative counts from the end) resolved, with the page's width and height."""
    count = int(writer.root["/Pages"]["/Count"])
    index = page if page >= 0 else count + page
    if not 0 <= index < count:
        raise UnreadablePdf(f"the document has {count} pages; there is no page {page}")
    page_obj = writer.find_page_for_modification(index)[0].get_object()
    left, bottom, right, top = (float(v) for v in _inherited(page_obj, "/MediaBox"))
    return index, right - left, top - bottom


def _inherited(page_obj, key: str):
    node = page_obj
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return (0, 0, 595, 842)
