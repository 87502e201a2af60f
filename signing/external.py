"""External (interrupted) signing: the key stays on the official's own PC.

Many officials' USB tokens are driven by a desktop signing agent on their own computer, never
plugged into the server. sohoa then signs in two halves:

1. `prepare` builds the signed revision with its stamp and an empty signature slot, and returns
   the bytes the token must sign (the CMS signed attributes, DER) with everything needed later.
2. The agent signs `data_to_sign` (or, for agents that sign a pre-computed hash,
   `digest_to_sign`) with the official's key, anywhere, any time later.
3. `finish` checks that signature against the certificate, timestamps it and embeds it.

`PreparedSignature` holds only bytes and strings (and round-trips through JSON), so the state can
wait in storage between the halves and the two halves can run in different processes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Callable, Generator, Sequence
from dataclasses import asdict, dataclass, fields
from io import BytesIO

from asn1crypto import cms, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import load_der_x509_certificate
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.signers import ExternalSigner, PdfSignatureMetadata, PdfSigner
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.sign.validation import async_add_validation_info
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.errors import ValidationError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.appearance import Appearance, default_box, stamp_style, vietnam_time
from signing.documents import open_for_update, page_size, read_pdf
from signing.errors import SigningProblem, TimestampUnavailable
from signing.fonts import NOTO_SANS, StampFont
from signing.pades import SIGNER_KEY_USAGE, Level, SignedPdf, SigningSession, lock_spec
from signing.signers import check_validity_period

DIGEST = "sha256"
RESERVED_HEX_CHARS = 32768
"""Room for the CMS container (hex, so 16 KB of DER): chain, signature and timestamp token fit."""
TIMESTAMPS_AHEAD = 8
"""Timestamp requests `ExternalSession.finish_all` keeps in flight ahead of the document it embeds."""
RESERVE_MARGIN_HEX_CHARS = 2048
"""Slack over pyHanko's measured room (1 KB of DER): a real timestamp token may be a little larger."""


@dataclass(frozen=True)
class PreparedSignature:
    """Everything `finish` needs, as plain bytes and strings."""

    pdf: bytes
    document_digest: bytes
    reserved_region_start: int
    reserved_region_end: int
    signed_attributes: bytes
    signer_certificate: bytes
    chain: tuple[bytes, ...]
    field_name: str
    signed_at: str

    @property
    def data_to_sign(self) -> bytes:
        """The DER-encoded signed attributes: what a token signs with e.g. CKM_SHA256_RSA_PKCS."""
        return self.signed_attributes

    @property
    def digest_to_sign(self) -> bytes:
        """SHA-256 of `data_to_sign`, for agents that sign a hash they are given."""
        return hashlib.sha256(self.signed_attributes).digest()

    def to_json(self) -> str:
        def enc(value):
            if isinstance(value, bytes):
                return base64.b64encode(value).decode()
            if isinstance(value, tuple):
                return [enc(v) for v in value]
            return value
        return json.dumps({k: enc(v) for k, v in asdict(self).items()})

    @classmethod
    def from_json(cls, text: str) -> PreparedSignature:
        raw = json.loads(text)
        values = {}
        for f in fields(cls):
            value = raw[f.name]
            if f.name == "chain":
                value = tuple(base64.b64decode(v) for v in value)
            elif f.type == "bytes":
                value = base64.b64decode(value)
            values[f.name] = value
        return cls(**values)


def prepare(pdf: bytes, signer_certificate: bytes | x509.Certificate, *, chain: tuple[bytes, ...] = (),
            appearance: Appearance | None = None, lock: bool = False, field_name: str | None = None,
            font: StampFont | None = None) -> PreparedSignature:
    """First half: the revision to sign, and the bytes the official's token must sign."""
    cert = signer_certificate if isinstance(signer_certificate, x509.Certificate) else \
        x509.Certificate.load(signer_certificate)
    check_validity_period(cert)
    stamp_font = font or StampFont(NOTO_SANS)
    return asyncio.run(_prepare(pdf, cert, chain, appearance, lock, field_name,
                                lambda a, height: stamp_style(a, stamp_font, height)))


async def _prepare(pdf: bytes, cert: x509.Certificate, chain: tuple[bytes, ...], appearance: Appearance | None,
                   lock: bool, field_name: str | None, style_of: Callable[[Appearance, float], TextStampStyle],
                   reserve: int | None = RESERVED_HEX_CHARS, timestamper: HTTPTimeStamper | None = None
                   ) -> PreparedSignature:
    writer = open_for_update(pdf)
    name = field_name or f"Signature{len(writer.prev.embedded_signatures) + 1}"
    signed_at = vietnam_time()
    spec = lock_spec(name) if lock else None
    style = None
    if appearance is not None:
        index, width, height = page_size(writer, appearance.page)
        box = appearance.box or default_box(appearance, width, height)
        spec = lock_spec(name, on_page=index, box=box) if lock else SigFieldSpec(name, on_page=index, box=box)
        style = style_of(appearance, box[3] - box[1])
    registry = SimpleCertificateStore.from_certs([x509.Certificate.load(c) for c in chain])
    signer = ExternalSigner(cert, registry, signature_value=bytes(_signature_size(cert)))
    meta = PdfSignatureMetadata(field_name=name, md_algorithm=DIGEST, subfilter=SigSeedSubFilter.PADES,
                                signer_key_usage=set(SIGNER_KEY_USAGE))
    pdf_signer = PdfSigner(meta, signer, stamp_style=style, new_field_spec=spec, timestamper=timestamper)
    digest, _, output = await pdf_signer.async_digest_doc_for_signing(
        writer, bytes_reserved=reserve, appearance_text_params={"time": signed_at})
    attrs = await signer.signed_attrs(digest.document_digest, DIGEST, use_pades=True)
    output.seek(0)
    return PreparedSignature(pdf=output.read(), document_digest=digest.document_digest,
                             reserved_region_start=digest.reserved_region_start,
                             reserved_region_end=digest.reserved_region_end, signed_attributes=attrs.dump(),
                             signer_certificate=cert.dump(), chain=tuple(chain), field_name=name,
                             signed_at=signed_at)


def finish(state: PreparedSignature, signature: bytes, *, tsa_url: str | None = None,
           timeout: float = 10.0) -> bytes:
    """Second half: check `signature` over `state.data_to_sign`, timestamp it (B-T) and embed it.

    A signature made with another key, or over other bytes, is refused here rather than producing
    a PDF whose signature is invalid.
    """
    _check_signature(state, signature)
    return asyncio.run(_finish(state, signature, HTTPTimeStamper(tsa_url, timeout=timeout) if tsa_url else None))


async def _finish(state: PreparedSignature, signature: bytes, timestamper: HTTPTimeStamper | None) -> bytes:
    return await _embed(state, await _container(state, signature, timestamper))


async def _container(state: PreparedSignature, signature: bytes, timestamper: HTTPTimeStamper | None
                     ) -> cms.ContentInfo:
    """The CMS signature for the prepared attributes, with its timestamp token (one call to the TSA)."""
    cert = x509.Certificate.load(state.signer_certificate)
    registry = SimpleCertificateStore.from_certs([x509.Certificate.load(c) for c in state.chain])
    signer = ExternalSigner(cert, registry, signature_value=signature)
    try:
        return await signer.async_sign_prescribed_attributes(
            DIGEST, signed_attrs=cms.CMSAttributes.load(state.signed_attributes), timestamper=timestamper)
    except TimestampRequestError as exc:
        raise TimestampUnavailable(f"the timestamp authority did not answer: {exc}") from exc


async def _embed(state: PreparedSignature, container: cms.ContentInfo) -> bytes:
    output = BytesIO(state.pdf)
    digest = PreparedByteRangeDigest(document_digest=state.document_digest,
                                     reserved_region_start=state.reserved_region_start,
                                     reserved_region_end=state.reserved_region_end)
    await PdfTBSDocument.async_finish_signing(output, digest, container)
    return output.getvalue()


def _signature_size(cert: x509.Certificate) -> int:
    bits = cert.public_key.bit_size
    return (bits + 7) // 8 if cert.public_key.algorithm == "rsa" else 2 * ((bits + 7) // 8) + 8


def _check_signature(state: PreparedSignature, signature: bytes) -> None:
    key = load_der_x509_certificate(state.signer_certificate).public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, state.data_to_sign, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, state.data_to_sign, ec.ECDSA(hashes.SHA256()))
        else:
            raise SigningProblem(f"unsupported key type {type(key).__name__}")
    except InvalidSignature as exc:
        raise SigningProblem("the returned signature does not match the prepared document and certificate") \
            from exc


class ExternalSession(SigningSession):
    """`prepare` and `finish` for a whole batch signed by one remote certificate (browser signing).

    The remote key signs elsewhere, so this session holds a placeholder signer built on the
    certificate alone, and reuses what `SigningSession` keeps for a batch: one event loop, the
    TSA client, the stamp font and styles, and the certificate check made once (validity, trust,
    revocation, which settles whether B-LT is possible). `finish` of B-LT adds the validation data
    (certificates, OCSP responses, CRLs of the signer and of the TSA) in an update after the
    signature, which PAdES allows and `verify` accepts.
    """

    def __init__(self, certificate: bytes | x509.Certificate, chain: tuple[bytes, ...] = (), **kwargs) -> None:
        cert = certificate if isinstance(certificate, x509.Certificate) else x509.Certificate.load(certificate)
        self._chain = tuple(chain)
        registry = SimpleCertificateStore.from_certs([x509.Certificate.load(c) for c in self._chain])
        super().__init__(ExternalSigner(cert, registry, signature_value=bytes(_signature_size(cert))), **kwargs)
        if self.requested_level is Level.B_LTA:
            raise SigningProblem("external signing goes up to PAdES B-LT (no document timestamp yet)")

    def prepare(self, pdf: bytes, appearance: Appearance | None = None, *, lock: bool = False,
                field_name: str | None = None) -> PreparedSignature:
        """The revision to sign and its signed attributes, with room sized for this signer and TSA.

        The room for the signature is measured once per batch, by letting pyHanko size it for the
        first document (a dummy signature and a dummy timestamp), plus a margin for the real
        timestamp token, which comes later; a fixed generous room would make every later reading
        of the document slower (pyHanko parses the hex of the signature byte by byte).
        """
        self.check_signer()
        if self._reserve is None:
            probe = self._run_prepare(pdf, appearance, lock, field_name, None)
            room = probe.reserved_region_end - probe.reserved_region_start - 2  # the hex between < and >
            self._reserve = room + RESERVE_MARGIN_HEX_CHARS
        return self._run_prepare(pdf, appearance, lock, field_name, self._reserve)

    def _run_prepare(self, pdf: bytes, appearance: Appearance | None, lock: bool, field_name: str | None,
                     reserve: int | None) -> PreparedSignature:
        return self._loop.run_until_complete(_prepare(pdf, self.signer.signing_cert, self._chain, appearance, lock,
                                                      field_name, self._style, reserve, self._timestamper))

    def finish(self, state: PreparedSignature, signature: bytes) -> SignedPdf:
        """Check `signature` over the prepared attributes, embed it (B-T), add validation data for B-LT."""
        (result,) = self.finish_all([(state, signature)])
        if isinstance(result, SigningProblem):
            raise result
        return result

    def finish_all(self, items: Sequence[tuple[PreparedSignature, bytes]]
                   ) -> Generator[SignedPdf | SigningProblem, None, None]:
        """`finish` of each item, in order, with the timestamps asked for ahead of the embedding.

        A timestamp is a round trip to the TSA (a remote server, busy at the end of the day) per
        document; waiting for each in turn would leave the CPU idle. Up to `TIMESTAMPS_AHEAD`
        requests are in flight while earlier documents are embedded and verified (also while the
        caller works between two items). Each is asked only once its signature has been checked
        against the prepared attributes and certificate. A document that fails yields its
        `SigningProblem` in its place; the others go on.
        """
        certificate = self.signer.signing_cert
        try:
            level = self.check_signer()
        except SigningProblem as exc:  # revoked since the preparation, say: no document of the batch counts
            for _ in items:
                yield exc
            return
        checked: list[SigningProblem | None] = []
        for state, signature in items:
            try:
                if certificate is None or state.signer_certificate != certificate.dump():
                    raise SigningProblem("the document was prepared for another certificate")
                _check_signature(state, signature)
                checked.append(None)
            except SigningProblem as exc:
                checked.append(exc)
        pending: dict[int, asyncio.Task[cms.ContentInfo]] = {}
        asked = 0

        def ask_ahead(upto: int) -> None:
            nonlocal asked
            for j in range(asked, min(upto, len(items))):
                if checked[j] is None:
                    pending[j] = self._loop.create_task(_container(*items[j], self._timestamper))
            asked = max(asked, upto)

        try:
            for i, (state, _) in enumerate(items):
                problem = checked[i]
                if problem is not None:
                    yield problem
                    continue
                ask_ahead(i + 1 + TIMESTAMPS_AHEAD)
                try:
                    container = self._loop.run_until_complete(pending.pop(i))
                    yield self._embedded(state, container, level)
                except SigningProblem as exc:
                    yield exc
        finally:
            if pending:  # the caller stopped early: no request outlives the batch
                for left in pending.values():
                    left.cancel()
                self._loop.run_until_complete(asyncio.wait(pending.values()))

    def _embedded(self, state: PreparedSignature, container: cms.ContentInfo, level: Level) -> SignedPdf:
        pdf = self._loop.run_until_complete(_embed(state, container))
        notes = self._notes
        if level is Level.B_LT and self._context is not None:
            try:
                pdf = self._loop.run_until_complete(_add_validation_data(pdf, state.field_name, self._context))
            except (ValidationError, SignatureValidationError) as exc:
                level, notes = Level.B_T, (*notes, f"validation data could not be collected, signed B-T: {exc}")
        return SignedPdf(pdf=pdf, field_name=state.field_name, level=level, signed_at=state.signed_at,
                         signer=self.identity, notes=notes)


async def _add_validation_data(pdf: bytes, field_name: str, context) -> bytes:
    (sig,) = [s for s in read_pdf(pdf).embedded_signatures if s.field_name == field_name]
    output = BytesIO()
    await async_add_validation_info(sig, context, output=output)
    return output.getvalue()
