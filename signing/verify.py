"""Is this signed PDF what it claims to be? One report per file, one line per signature.

A result becomes "signed" only when `verify(...).ok`: at least one signature, every signature
intact (the signed bytes are unchanged), valid (the cryptography checks out), trusted (the
certificate chains to a configured root and is not revoked), within its document's modification
rules, and the last one covering the whole file. "Covering" allows what PAdES itself appends after
a signature (validation data, document timestamps); anything else appended (an annotation, a new
page, stray bytes) is reported, because a viewer would show it as part of the signed document.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from signing.appearance import vietnam_time
from signing.documents import read_pdf
from signing.pades import SIGNER_KEY_USAGE
from signing.signers import SignerIdentity
from signing.trust import CertificateSource, collect_roots, validation_context


@dataclass(frozen=True)
class SignatureReport:
    """What a verifier can say about one signature (or document timestamp) in the file."""

    field: str
    kind: str  # "signature" or "document timestamp"
    signer: str | None
    organization: str | None
    certificate_serial: str | None
    intact: bool
    valid: bool
    trusted: bool
    revoked: bool
    coverage: str
    modification_level: str | None
    docmdp_ok: bool | None
    signed_at: str | None
    timestamp: str | None
    timestamp_ok: bool | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return (self.intact and self.valid and self.trusted and self.docmdp_ok is not False
                and self.timestamp_ok is not False and self.problem is None)


@dataclass(frozen=True)
class VerificationReport:
    """Every signature of a file, in signing order, and the verdict over all of them."""

    signatures: tuple[SignatureReport, ...]
    trailing_bytes: int
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems and all(s.ok for s in self.signatures)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "problems": list(self.problems), "trailing_bytes": self.trailing_bytes,
                "signatures": [{**asdict(s), "ok": s.ok} for s in self.signatures]}


def verify(pdf: bytes, trust_roots: Iterable[CertificateSource] = (), *, allow_fetching: bool = True
           ) -> VerificationReport:
    """Verify every signature in `pdf` against `trust_roots`; `UnreadablePdf` if it is no usable PDF.

    With `allow_fetching`, revocation status is asked of the CA's OCSP responder or CRL when the
    file does not embed it (PAdES B-LT/B-LTA files do, and verify offline).
    """
    return asyncio.run(async_verify(pdf, trust_roots, allow_fetching=allow_fetching))


async def async_verify(pdf: bytes, trust_roots: Iterable[CertificateSource] = (), *, allow_fetching: bool = True,
                       context: ValidationContext | None = None) -> VerificationReport:
    """`verify` for callers already inside an event loop (the web API).

    `context`, when given, replaces the one built from `trust_roots` and is left open: a batch
    verifying the documents it has just signed reuses the OCSP responses and CRLs it fetched for
    the first (`signing.external.ExternalSession.verify`) instead of asking the CA again for each.
    """
    roots = collect_roots(trust_roots)
    reader = read_pdf(pdf)
    owned = context is None
    context = context or validation_context(roots, allow_fetching=allow_fetching)
    try:
        reports = tuple([await _verify_one(sig, context) for sig in reader.embedded_signatures])
    except (PdfError, ValueError, KeyError) as exc:
        reports = ()
        problems: list[str] = [f"the signatures cannot be read: {exc}"]
    else:
        problems = []
    finally:
        if owned:
            await context.aclose()
    trailing = _trailing_bytes(pdf)
    if not reports and not problems:
        problems.append("the file has no signature")
    if reports and not _covers_file(reports[-1]):
        problems.append(f"content was added after the last signature ({reports[-1].field}): "
                        f"{reports[-1].modification_level or reports[-1].coverage}")
    if trailing:
        problems.append(f"{trailing} bytes were appended after the end of the PDF")
    return VerificationReport(signatures=reports, trailing_bytes=trailing, problems=tuple(problems))


def _covers_file(report: SignatureReport) -> bool:
    if report.coverage == SignatureCoverageLevel.ENTIRE_FILE.name.lower():
        return True
    allowed = (ModificationLevel.NONE.name.lower(), ModificationLevel.LTA_UPDATES.name.lower())
    return report.coverage == SignatureCoverageLevel.ENTIRE_REVISION.name.lower() and \
        report.modification_level in allowed


def _trailing_bytes(pdf: bytes) -> int:
    """Bytes after the last `%%EOF` other than line ends: readers ignore them, so they prove nothing."""
    end = pdf.rfind(b"%%EOF")
    return 0 if end < 0 else len(pdf[end + 5:].strip(b"\r\n\t \x00"))


async def _verify_one(sig: EmbeddedPdfSignature, context) -> SignatureReport:
    is_timestamp = sig.sig_object_type == "/DocTimeStamp"
    name = str(sig.field_name)  # a pyHanko TextStringObject drags its whole reader into copies of the report
    try:
        if is_timestamp:
            status = await async_validate_pdf_timestamp(sig, validation_context=context)
        else:
            status = await async_validate_pdf_signature(
                sig, signer_validation_context=context, ts_validation_context=context,
                key_usage_settings=KeyUsageConstraints(key_usage=set(SIGNER_KEY_USAGE)))
    except (SignatureValidationError, PdfError, ValueError, KeyError) as exc:
        return SignatureReport(field=name, kind="document timestamp" if is_timestamp else "signature",
                               signer=None, organization=None, certificate_serial=None, intact=False,
                               valid=False, trusted=False, revoked=False, coverage="unclear",
                               modification_level=None, docmdp_ok=None, signed_at=None, timestamp=None,
                               timestamp_ok=None, problem=f"cannot be validated: {exc}")
    who = SignerIdentity.of(status.signing_cert)
    ts = status if is_timestamp else status.timestamp_validity
    return SignatureReport(
        field=name,
        kind="document timestamp" if is_timestamp else "signature",
        signer=who.name,
        organization=who.organization,
        certificate_serial=format(who.serial, "x"),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        revoked=status.revoked,
        coverage=status.coverage.name.lower() if status.coverage else "unclear",
        modification_level=status.modification_level.name.lower() if status.modification_level else None,
        docmdp_ok=status.docmdp_ok,
        signed_at=_iso(None if is_timestamp else status.signer_reported_dt),
        timestamp=_iso(ts.timestamp) if ts is not None else None,
        timestamp_ok=(ts.intact and ts.valid and ts.trusted) if ts is not None else None,
    )


def _iso(at: datetime | None) -> str | None:
    return vietnam_time(at) if at is not None else None
