"""PAdES signing of many documents with one signer: the batch session (ký hàng loạt).

An official with fifty results waiting enters the PIN once. `SigningSession` then keeps, for
the whole batch:

* the signer (the open token session or the loaded PKCS#12 key),
* one event loop, so the HTTP connection to the timestamp authority and the OCSP/CRL fetchers
  (aiohttp, bound to a loop) survive from one document to the next,
* the timestamp client, whose signature-size estimate is made once,
* the validation context, whose OCSP responses and CRLs are fetched once,
* the stamp font, parsed and cut to Vietnamese once, and each stamp style built once.

Levels: B-B (no timestamp), B-T (the default: an RFC 3161 timestamp on the signature), B-LT
(B-T plus the certificates, OCSP responses and CRLs needed to validate it later, in the DSS) and
B-LTA (B-LT plus a document timestamp). B-LT is only possible when the CA's OCSP or CRL
answers; when it does not, the session signs B-T and says so in `SignedPdf.level`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from io import BytesIO
from pathlib import Path
from types import TracebackType

import pkcs11
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec, MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
    ValidationError,
)
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession

from signing.appearance import Appearance, default_box, stamp_style, vietnam_time
from signing.documents import open_for_update, page_size
from signing.errors import CertificateRejected, SigningProblem, TimestampUnavailable, TokenNotFound
from signing.fonts import NOTO_SANS, StampFont
from signing.policy import SIGNING_KEY_USAGE, certificate_findings
from signing.signers import SignerIdentity, check_validity_period
from signing.trust import CertificateSource, collect_roots, validation_context
from signing.verify import VerificationReport, async_verify

SIGNER_KEY_USAGE = SIGNING_KEY_USAGE
"""Either bit will do: officials' certificates carry non-repudiation, some seal certificates only
digital signature (the rule of `signing.policy`, the same for signing and verifying)."""


class Level(StrEnum):
    """PAdES baseline levels, weakest first."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


@dataclass(frozen=True)
class SignedPdf:
    """One signed document and what was actually achieved."""

    pdf: bytes
    field_name: str
    level: Level
    signed_at: str
    signer: SignerIdentity
    notes: tuple[str, ...] = field(default_factory=tuple)


def lock_spec(field_name: str, *, on_page: int = 0, box: tuple[int, int, int, int] | None = None) -> SigFieldSpec:
    """A signature field whose signature forbids any later change but validation data and timestamps.

    The last signer (the agency's seal) uses it: a FieldMDP lock over every field and DocMDP
    level 1, so nobody can sign, fill or annotate after the seal without breaking it.
    """
    return SigFieldSpec(field_name, on_page=on_page, box=box, field_mdp_spec=FieldMDPSpec(FieldMDPAction.ALL),
                        doc_mdp_update_value=MDPPerm.NO_CHANGES)


class SigningSession:
    """Sign many PDFs with one signer, reusing everything that does not depend on the document.

    Close it (or use it as a context manager) when the batch is done; it does not close the token
    session, which belongs to whoever opened it.
    """

    def __init__(self, signer: Signer, *, level: Level = Level.B_T, tsa_url: str | None = None,
                 trust_roots: tuple[CertificateSource, ...] | list[CertificateSource] = (),
                 font: Path = NOTO_SANS, font_size: int = 10, timeout: float = 10.0) -> None:
        if level.rank >= Level.B_T.rank and not tsa_url:
            raise SigningProblem(f"PAdES {level} needs a timestamp authority (tsa_url)")
        roots = collect_roots(trust_roots)
        if level.rank >= Level.B_LT.rank and not roots:
            raise SigningProblem(f"PAdES {level} needs trust roots to collect validation data against")
        self.signer = signer
        self.requested_level = level
        self._loop = asyncio.new_event_loop()
        self._http = LazySession()
        # B-B means no timestamp, even when a TSA is configured: the caller asked for it explicitly.
        wants_ts = level.rank >= Level.B_T.rank and tsa_url
        self._timestamper = HTTPTimeStamper(tsa_url, timeout=timeout, session=self._http) if wants_ts else None
        self._roots = roots
        self._context: ValidationContext | None = None
        self._contexts: list[ValidationContext] = []
        self._verifiers: dict[tuple[bytes, ...], ValidationContext] = {}
        self._level: Level | None = None
        self._notes: tuple[str, ...] = ()
        self._font_path = font
        self._font_size = font_size
        self._font: StampFont | None = None
        self._reserve: int | None = None
        self._styles: dict[tuple[Appearance, float], TextStampStyle] = {}

    @property
    def identity(self) -> SignerIdentity:
        return SignerIdentity.of(self.signer.signing_cert)

    def check_signer(self) -> Level:
        """Refuse an expired, revoked or untrusted certificate; settle the level the batch will get.

        Done once per batch, before the first document: a certificate does not change status
        between two documents of the same batch, and asking the CA fifty times would be slow.
        """
        if self._level is None:
            self._level = self._loop.run_until_complete(self._check_signer())
        return self._level

    async def _check_signer(self) -> Level:
        cert = self.signer.signing_cert
        check_validity_period(cert)
        refusals = certificate_findings(cert)
        if refusals:
            raise CertificateRejected(f"certificate of {self.identity.name} may not sign documents: "
                                      + " ".join(f.en for f in refusals))
        level = self.requested_level
        if not self._roots:
            return level
        wants_lt = level.rank >= Level.B_LT.rank
        context = self._new_context("hard-fail" if wants_lt else "soft-fail")
        name = self.identity.name
        validator = CertificateValidator(cert, intermediate_certs=list(self.signer.cert_registry),
                                         validation_context=context)
        try:
            await validator.async_validate_path()  # key usage: `certificate_findings` above
        except RevokedError as exc:
            raise CertificateRejected(f"certificate of {name} is revoked") from exc
        except InsufficientRevinfoError:
            self._notes = ("the CA's OCSP/CRL did not answer: signed B-T, without validation data",)
            level = Level.B_T
            context = self._new_context("soft-fail")
        except (ExpiredError, NotYetValidError) as exc:
            raise CertificateRejected(f"certificate of {name} is outside its validity period") from exc
        except PathBuildingError as exc:
            raise CertificateRejected(f"certificate of {name} does not chain to a trusted root") from exc
        except (PathValidationError, ValidationError) as exc:
            raise CertificateRejected(f"certificate of {name} is not valid for signing: {exc}") from exc
        self._context = context
        return level

    def _new_context(self, revocation_mode: str) -> ValidationContext:
        context = validation_context(self._roots, extra_certs=list(self.signer.cert_registry),
                                     revocation_mode=revocation_mode)
        self._contexts.append(context)
        return context

    def sign(self, pdf: bytes, appearance: Appearance | None = None, *, lock: bool = False,
             field_name: str | None = None) -> SignedPdf:
        """Add one signature to `pdf` in an incremental update; earlier signatures stay valid.

        `lock` makes this the last signature the document accepts (see `lock_spec`).
        """
        level = self.check_signer()
        return self._loop.run_until_complete(self._sign(pdf, appearance, lock, field_name, level))

    async def _sign(self, pdf: bytes, appearance: Appearance | None, lock: bool, field_name: str | None,
                    level: Level) -> SignedPdf:
        writer = open_for_update(pdf)
        name = field_name or f"Signature{len(writer.prev.embedded_signatures) + 1}"
        signed_at = vietnam_time()
        spec = None
        style = None
        if appearance is not None:
            index, width, height = page_size(writer, appearance.page)
            box = appearance.box or default_box(appearance, width, height)
            spec = lock_spec(name, on_page=index, box=box) if lock else SigFieldSpec(name, on_page=index, box=box)
            style = self._style(appearance, box[3] - box[1])
        elif lock:
            spec = lock_spec(name)
        wants_lt = level.rank >= Level.B_LT.rank
        meta = PdfSignatureMetadata(
            field_name=name, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
            embed_validation_info=wants_lt, use_pades_lta=level is Level.B_LTA,
            validation_context=self._context if wants_lt else None, signer_key_usage=set(SIGNER_KEY_USAGE))
        pdf_signer = PdfSigner(meta, self.signer, timestamper=self._timestamper, stamp_style=style,
                               new_field_spec=spec)
        output = BytesIO()
        try:
            try:
                await pdf_signer.async_sign_pdf(writer, output=output, bytes_reserved=self._reserve,
                                                appearance_text_params={"time": signed_at})
            except SigningError:
                if self._reserve is None:
                    raise
                # The reused size estimate was too small (a larger TSA token): estimate afresh.
                self._reserve = None
                return await self._sign(pdf, appearance, lock, field_name, level)
        except TimestampRequestError as exc:
            raise TimestampUnavailable(f"the timestamp authority did not answer: {exc}") from exc
        except pkcs11.PKCS11Error as exc:
            raise TokenNotFound(f"the token stopped answering: {type(exc).__name__}") from exc
        except SigningError as exc:
            raise SigningProblem(f"pyHanko refused to sign: {exc}") from exc
        if self._reserve is None:
            self._reserve = _reserved_size(output.getvalue(), name)
        return SignedPdf(pdf=output.getvalue(), field_name=name, level=embedded_level(output.getvalue(), name),
                         signed_at=signed_at, signer=self.identity, notes=self._notes)

    def verify(self, pdf: bytes, trust_roots: Sequence[CertificateSource] | None = None) -> VerificationReport:
        """`signing.verify` of a document this batch signed, against `trust_roots` (the session's by default).

        One validation context per set of roots serves the whole batch, as for signing: the same
        signer, CA and TSA are checked for every document, so their OCSP responses and CRLs are
        fetched once, not once a document. It is as strict as `verify` (revocation hard-fail).
        """
        roots = self._roots if trust_roots is None else collect_roots(trust_roots)
        key = tuple(root.dump() for root in roots)
        context = self._verifiers.get(key)
        if context is None:
            context = self._verifiers[key] = validation_context(roots, revocation_mode="hard-fail")
            self._contexts.append(context)
        return self._loop.run_until_complete(async_verify(pdf, roots, context=context))

    def _style(self, appearance: Appearance, box_height: float) -> TextStampStyle:
        if self._font is None:
            self._font = StampFont(self._font_path, self._font_size)
        key = (appearance, box_height)
        if key not in self._styles:
            self._styles[key] = stamp_style(appearance, self._font, box_height)
        return self._styles[key]

    def close(self) -> None:
        for context in self._contexts:
            self._loop.run_until_complete(context.aclose())
        self._loop.run_until_complete(self._http.close())
        self._loop.close()

    def __enter__(self) -> SigningSession:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def embedded_level(pdf: bytes, field_name: str) -> Level:
    """The PAdES level the signature `field_name` of `pdf` actually has, read back from the file.

    B-T when its CMS carries a signature timestamp, B-LT when the file then has a DSS, B-LTA when a
    document timestamp follows it: what a verifier will find, whatever was asked for.
    """
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    (sig,) = [s for s in reader.embedded_signatures if s.field_name == field_name]
    unsigned = sig.signer_info["unsigned_attrs"]
    stamped = unsigned.native is not None and any(
        attr["type"].native == "signature_time_stamp_token" for attr in unsigned)
    if not stamped:
        return Level.B_B
    if "/DSS" not in reader.root:
        return Level.B_T
    later = [t for t in reader.embedded_timestamp_signatures if t.signed_revision > sig.signed_revision]
    return Level.B_LTA if later else Level.B_LT


def _reserved_size(pdf: bytes, field_name: str) -> int:
    """How much room (in hex digits) pyHanko reserved for the signature `field_name` in `pdf`.

    pyHanko sizes that room by signing a dummy document and asking the TSA for a dummy token, for
    every document. Within a batch the signer, chain and TSA are the same, so the first
    document's estimate is reused for the rest.
    """
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    (sig,) = [s for s in reader.embedded_signatures if s.field_name == field_name]
    return 2 * len(sig.sig_object.raw_get("/Contents").original_bytes)
