"""Is this signed PDF what it claims to be? One verdict per signature, and one for the file.

The policy (the README's "Verification policy" says it in full) in the order it is applied:

1. The file's structure is read by pyHanko and by qpdf; they must find the same revisions at the
   same offsets, and nothing but whitespace may follow the last one (`signing.revisions`).
2. Each signature must cover exactly one whole revision, its bytes must hash to the signed digest
   ("does not match the content" otherwise), and the cryptography must check out.
3. The signer's certificate must chain to a configured root, be within its validity period, allow
   document signing and use no weak algorithm (`signing.policy`).
4. Revocation is checked, online or from the file's DSS (B-LT). When it cannot be checked the
   verdict is "indeterminate", never valid; `allow_fetching=False` accepts only what the file
   embeds. A revoked certificate is invalid.
5. After the last signature only validation data and hidden document timestamps may follow
   (`signing.changes`); a timestamp never makes an earlier change acceptable. Revisions between
   signatures are judged by the earlier signature's DocMDP/FieldMDP permissions, plus the form
   checks pyHanko lets through (/NeedAppearances, values unlike their appearance).

Any input, however crafted, ends as a report or as `UnreadablePdf`: never as another exception.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from signing.appearance import vietnam_time
from signing.changes import Change, changes_in_revision, form_changes
from signing.documents import read_pdf
from signing.errors import UnreadablePdf
from signing.policy import certificate_findings, hash_findings
from signing.reasons import INDETERMINATE_REASONS, Finding, Reason, Verdict, finding, modified, worst
from signing.revisions import RevisionMap, read_revisions
from signing.signers import SignerIdentity
from signing.trust import CertificateSource, collect_roots

SIGNATURE, TIMESTAMP = "signature", "document timestamp"
_REVOKED = {AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}
_UNCHECKED = {AdESIndeterminate.TRY_LATER, AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE}
_OUT_OF_TIME = {AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
                AdESIndeterminate.NOT_YET_VALID, AdESFailure.NOT_YET_VALID, AdESIndeterminate.EXPIRED}


@dataclass(frozen=True)
class SignatureReport:
    """What a verifier can say about one signature (or document timestamp) in the file."""

    field: str
    kind: str  # SIGNATURE or TIMESTAMP
    verdict: Verdict
    findings: tuple[Finding, ...]
    revision: int | None  # 1-based revision the signature covers
    signer: str | None = None
    organization: str | None = None
    certificate_serial: str | None = None
    signed_at: str | None = None
    timestamp: str | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool = False

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.VALID

    def to_dict(self) -> dict:
        return {"field": self.field, "kind": self.kind, "verdict": self.verdict.value, "ok": self.ok,
                "reasons": [f.to_dict() for f in self.findings], "revision": self.revision,
                "signer": self.signer, "organization": self.organization,
                "certificate_serial": self.certificate_serial, "signed_at": self.signed_at,
                "timestamp": self.timestamp, "intact": self.intact, "valid": self.valid, "trusted": self.trusted}


@dataclass(frozen=True)
class VerificationReport:
    """Every signature of a file, in signing order, what concerns the file as a whole, and the verdict."""

    signatures: tuple[SignatureReport, ...]
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    revisions: int = 0
    trailing_bytes: int = 0

    @property
    def verdict(self) -> Verdict:
        if not self.signatures or any(f.code not in INDETERMINATE_REASONS for f in self.findings):
            return Verdict.INVALID
        return worst([s.verdict for s in self.signatures])

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.VALID

    @property
    def problems(self) -> tuple[str, ...]:
        """Every reason, in English, file first then signature by signature: for logs and events."""
        lines = [f.en for f in self.findings]
        lines += [f"{s.field}: {f.en}" for s in self.signatures for f in s.findings]
        return tuple(lines)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "verdict": self.verdict.value, "reasons": [f.to_dict() for f in self.findings],
                "problems": list(self.problems), "revisions": self.revisions, "trailing_bytes": self.trailing_bytes,
                "signatures": [s.to_dict() for s in self.signatures]}


def verify(pdf: bytes, trust_roots: Iterable[CertificateSource] = (), *, allow_fetching: bool = True
           ) -> VerificationReport:
    """Verify every signature in `pdf` against `trust_roots`; `UnreadablePdf` if it is no usable PDF.

    With `allow_fetching`, revocation status is asked of the CA's OCSP responder or CRL when the
    file does not embed it; without, only the file's own validation data (B-LT, B-LTA) counts.
    """
    return asyncio.run(async_verify(pdf, trust_roots, allow_fetching=allow_fetching))


async def async_verify(pdf: bytes, trust_roots: Iterable[CertificateSource] = (), *, allow_fetching: bool = True,
                       context: ValidationContext | None = None) -> VerificationReport:
    """`verify` for callers already inside an event loop (the web API).

    `context`, when given, replaces the one built from `trust_roots` and the file's DSS, and is left
    open: a batch verifying the documents it has just signed reuses the OCSP responses and CRLs it
    fetched for the first (`signing.pades.SigningSession.verify`) instead of asking the CA again
    for each. It must be as strict as the one built here (revocation hard-fail).
    """
    roots = collect_roots(trust_roots)
    reader = read_pdf(pdf)
    try:
        structure = read_revisions(pdf, reader)
    except Exception as exc:  # a crafted file must end as a sentence, whatever breaks
        raise UnreadablePdf(f"the file's revisions cannot be read ({type(exc).__name__})") from exc
    findings = _structure_findings(structure)
    if not structure.revisions:  # too many to read: refused before any further work
        return VerificationReport(signatures=(), findings=tuple(findings))
    try:
        embedded = sorted(reader.embedded_signatures, key=lambda s: s.signed_revision)
    except Exception as exc:  # e.g. /ByteRange null, a signature dictionary that is no dictionary
        findings.append(finding(Reason.SIGNATURE_MALFORMED, f"({type(exc).__name__})", f"({type(exc).__name__})"))
        return VerificationReport(signatures=(), findings=tuple(findings), revisions=len(structure.revisions),
                                  trailing_bytes=structure.trailing_bytes)
    if not any(s.sig_object_type == "/Sig" for s in embedded):
        findings.append(finding(Reason.NO_SIGNATURE))
    owned = context is None
    context = context or _validation_context(reader, roots, allow_fetching)
    try:
        last_signature = max((i for i, s in enumerate(embedded) if s.sig_object_type == "/Sig"), default=None)
        reports = tuple([await _verify_one(sig, context, roots, reader, structure, last=i == last_signature)
                         for i, sig in enumerate(embedded)])
    finally:
        if owned:
            await context.aclose()
    return VerificationReport(signatures=reports, findings=tuple(findings), revisions=len(structure.revisions),
                              trailing_bytes=structure.trailing_bytes)


def _structure_findings(structure: RevisionMap) -> list[Finding]:
    findings = []
    if structure.disagreements:
        detail = "; ".join(structure.disagreements[:3])
        findings.append(finding(Reason.READERS_DISAGREE, detail_en=f"({detail})"))
    if structure.trailing_bytes:
        findings.append(finding(Reason.DATA_AFTER_END, f"({structure.trailing_bytes} byte)",
                                f"({structure.trailing_bytes} bytes)"))
    return findings


def _validation_context(reader: PdfFileReader, roots: list[x509.Certificate], allow_fetching: bool
                        ) -> ValidationContext:
    """Trust exactly `roots`; revocation must be proven, from the DSS or (if allowed) online."""
    kwargs: dict[str, Any] = {"trust_roots": roots, "allow_fetching": allow_fetching, "revocation_mode": "hard-fail"}
    try:
        return DocumentSecurityStore.read_dss(reader).as_validation_context(kwargs)
    except NoDSSFoundError:
        pass
    except Exception:  # a malformed DSS proves nothing: verify as if it were absent
        pass
    return ValidationContext(**kwargs, crls=[], ocsps=[])


async def _verify_one(sig: EmbeddedPdfSignature, context: ValidationContext, roots: list[x509.Certificate],
                      reader: PdfFileReader, structure: RevisionMap, *, last: bool) -> SignatureReport:
    kind = TIMESTAMP if sig.sig_object_type == "/DocTimeStamp" else SIGNATURE
    name = _safe(lambda: str(sig.field_name)) or "?"
    revision = _safe(lambda: sig.signed_revision)
    status: Any
    try:
        if kind == TIMESTAMP:
            status = await async_validate_pdf_timestamp(sig, validation_context=context)
        else:
            status = await async_validate_pdf_signature(
                sig, signer_validation_context=context, ts_validation_context=context,
                key_usage_settings=KeyUsageConstraints(key_usage=set(), extd_key_usage=None))
    except Exception as exc:  # pyHanko raises many types on crafted signatures
        return SignatureReport(field=name, kind=kind, verdict=Verdict.INVALID, revision=_one_based(revision),
                               findings=(finding(Reason.SIGNATURE_MALFORMED, f"({type(exc).__name__})",
                                                 f"({type(exc).__name__}: {str(exc)[:160]})"),))
    findings = await _signature_findings(sig, status, kind, roots)
    if status.intact:
        findings += _coverage_findings(sig, status, structure, revision)
        if kind == SIGNATURE and revision is not None:
            findings += _change_findings(status, reader, revision, last)
    who = SignerIdentity.of(status.signing_cert)
    ts = status if kind == TIMESTAMP else status.timestamp_validity
    verdict = Verdict.VALID
    if findings:
        verdict = Verdict.INDETERMINATE if all(f.code in INDETERMINATE_REASONS for f in findings) else Verdict.INVALID
    return SignatureReport(
        field=name, kind=kind, verdict=verdict, findings=tuple(findings), revision=_one_based(revision),
        signer=who.name, organization=who.organization, certificate_serial=format(who.serial, "x"),
        signed_at=_iso(None if kind == TIMESTAMP else status.signer_reported_dt),
        timestamp=_iso(ts.timestamp) if ts is not None else None,
        intact=status.intact, valid=status.valid, trusted=status.trusted)


async def _signature_findings(sig: EmbeddedPdfSignature, status, kind: str, roots: list[x509.Certificate]
                              ) -> list[Finding]:
    """Content, cryptography, certificate and trust, each with its own reason."""
    if not status.intact:
        return [finding(Reason.CONTENT_MISMATCH)]
    cert = status.signing_cert
    chain = list(status.validation_path) if status.validation_path is not None else [cert]
    findings = hash_findings(sig.md_algorithm, chain)
    if not status.valid:
        return findings or [finding(Reason.SIGNATURE_INVALID)]
    if kind == SIGNATURE:
        findings += certificate_findings(cert)
    extra = list(sig.other_embedded_certs)
    findings += await _trust_findings(status, cert, findings, roots, extra)
    if kind == SIGNATURE and status.timestamp_validity is not None:
        ts = status.timestamp_validity
        if not (ts.intact and ts.valid and ts.trusted):
            if ts.intact and ts.valid and not ts.revoked and await _path_ok(ts.signing_cert, roots, extra):
                findings.append(finding(Reason.REVOCATION_UNCHECKED, "(chứng thư của dấu thời gian)",
                                        "(the timestamp authority's certificate)"))
            else:
                findings.append(finding(Reason.TIMESTAMP_INVALID, "(dấu thời gian của chữ ký)",
                                        "(the signature's timestamp)"))
    return findings


async def _path_ok(cert: x509.Certificate, roots: list[x509.Certificate], extra: list[x509.Certificate]) -> bool:
    """Whether `cert` chains to a trusted root and is in its validity period, revocation aside.

    pyHanko reports "no revocation data" as a general chain failure; asking again without the
    revocation requirement tells a certificate that is merely unchecked from one that is untrusted.
    """
    relaxed = ValidationContext(trust_roots=roots, other_certs=extra, allow_fetching=False,
                                revocation_mode="soft-fail")
    try:
        await CertificateValidator(cert, intermediate_certs=extra, validation_context=relaxed).async_validate_path()
    except Exception:  # any failure: the chain itself is the problem
        return False
    return True


async def _trust_findings(status, cert: x509.Certificate, so_far: list[Finding], roots: list[x509.Certificate],
                          extra: list[x509.Certificate]) -> list[Finding]:
    if status.trusted and not status.revoked:
        return []
    indic = status.trust_problem_indic
    if status.revoked or indic in _REVOKED:
        return [finding(Reason.REVOKED)]
    now = datetime.now(UTC)
    if indic in _OUT_OF_TIME or now > cert.not_valid_after or now < cert.not_valid_before:
        if now < cert.not_valid_before:
            return [finding(Reason.NOT_YET_VALID, f"(từ {vietnam_time(cert.not_valid_before)})",
                            f"(from {vietnam_time(cert.not_valid_before)})")]
        return [finding(Reason.EXPIRED, f"(ngày {vietnam_time(cert.not_valid_after)})",
                        f"(on {vietnam_time(cert.not_valid_after)})")]
    if so_far:
        return []  # already refused for a reason of its own (a weak algorithm, a wrong key usage)
    if indic in _UNCHECKED or await _path_ok(cert, roots, extra):
        return [finding(Reason.REVOCATION_UNCHECKED, "(chứng thư của người ký)", "(the signer's certificate)")]
    if cert.self_signed != "no":
        return [finding(Reason.SELF_SIGNED)]
    return [finding(Reason.UNTRUSTED)]


def _coverage_findings(sig: EmbeddedPdfSignature, status, structure: RevisionMap, revision: int | None
                       ) -> list[Finding]:
    """The signed bytes must be one whole revision, as both readers see it."""
    coverage = status.coverage
    ends = sig.byte_range[-2] + sig.byte_range[-1] if len(sig.byte_range) == 4 else None
    whole = coverage in (SignatureCoverageLevel.ENTIRE_REVISION, SignatureCoverageLevel.ENTIRE_FILE)
    if not whole or ends is None or revision is None or structure.revision_ending_at(ends) != revision:
        return [finding(Reason.NOT_A_REVISION)]
    return []


def _change_findings(status, reader: PdfFileReader, revision: int, last: bool) -> list[Finding]:
    """Changes after the signature: none but validation data after the last one; DocMDP's before."""
    total = reader.xrefs.total_revisions
    if last:
        changes: list[Change] = []
        for later in range(revision + 1, total):
            changes += changes_in_revision(reader, later)
        level = status.modification_level
        if not changes and level is not None and level > ModificationLevel.LTA_UPDATES:
            changes.append(Change(f"phân tích của pyHanko thấy thay đổi ở mức {level.name.lower()}",
                                  f"pyHanko's analysis found changes at level {level.name.lower()}"))
        return [modified(list(dict.fromkeys(changes)))] if changes else []
    findings = []
    if status.docmdp_ok is False:
        findings.append(modified([Change("những thay đổi mà quyền DocMDP/FieldMDP của chữ ký này không cho phép",
                                         "changes this signature's DocMDP/FieldMDP permissions forbid")],
                                 permitted_by_signer=True))
    form = form_changes(reader, revision)
    if form:
        findings.append(modified(form))
    return findings


def _safe(get):
    try:
        return get()
    except Exception:  # only used for labels of a signature that failed to parse
        return None


def _one_based(revision: int | None) -> int | None:
    return revision + 1 if revision is not None else None


def _iso(at: datetime | None) -> str | None:
    return vietnam_time(at) if at is not None else None
