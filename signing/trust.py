"""Trust roots and the validation context built on them, shared by signing and verification.

A `ValidationContext` caches the OCSP responses and CRLs it fetches. Signing a batch with one
context therefore asks the CA once, not once per document; that cache is part of why batch
signing is fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TypeAlias

from asn1crypto import pem, x509
from pyhanko_certvalidator import ValidationContext

from signing.errors import SigningProblem

CertificateSource: TypeAlias = x509.Certificate | bytes | Path


def load_certificates(source: CertificateSource) -> list[x509.Certificate]:
    """Every certificate in a PEM file (one or many) or DER file, path or bytes."""
    if isinstance(source, x509.Certificate):
        return [source]
    if isinstance(source, Path):
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise SigningProblem(f"cannot read certificate file {source}") from exc
    else:
        data = source
    try:
        if pem.detect(data):
            return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
        cert = x509.Certificate.load(data)
        _ = cert.subject  # asn1crypto parses lazily; force it so garbage fails here
        return [cert]
    except (ValueError, TypeError) as exc:
        raise SigningProblem(f"not a certificate: {source if isinstance(source, Path) else 'bytes'}") from exc


def collect_roots(sources: Iterable[CertificateSource]) -> list[x509.Certificate]:
    return [cert for source in sources for cert in load_certificates(source)]


def validation_context(roots: Iterable[x509.Certificate], *, extra_certs: Iterable[x509.Certificate] = (),
                       allow_fetching: bool = True, revocation_mode: str = "soft-fail") -> ValidationContext:
    """A context trusting exactly `roots`; revocation is fetched from the certificates' OCSP/CRL URLs.

    `soft-fail` accepts a certificate whose revocation status cannot be fetched (an offline
    verifier must still say something useful) but rejects one reported revoked; signing for B-LT
    asks for `hard-fail` so that missing revocation data is noticed before it is embedded.
    """
    return ValidationContext(trust_roots=list(roots), other_certs=list(extra_certs),
                             allow_fetching=allow_fetching, revocation_mode=revocation_mode)
