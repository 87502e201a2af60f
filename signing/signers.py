"""Who signs: a PKCS#11 token found by its label, or a PKCS#12 file.

Both give a pyHanko `Signer`. A token is opened once (one PIN entry) and then signs as many
documents as the official has waiting; `OpenToken` keeps that PKCS#11 session and closes it when
the batch is done. PINs and passphrases are taken as arguments and handed straight to the token or
the PKCS#12 parser: this module never logs, stores or formats them into messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import pkcs11
from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pkcs11 import Attribute, ObjectClass
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.general import SigningError
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from signing.errors import CertificateRejected, TokenNotFound, WrongPin

DEFAULT_PKCS11_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
"""SoftHSM2, the software token used in tests; real deployments point this at the vendor's module."""


@dataclass(frozen=True)
class SignerIdentity:
    """Who a certificate names, in the words a signature stamp and a signing task need."""

    name: str
    organization: str | None
    serial: int
    issuer: str
    not_before: datetime
    not_after: datetime

    @classmethod
    def of(cls, cert: x509.Certificate) -> SignerIdentity:
        subject = cert.subject.native
        return cls(
            name=subject.get("common_name") or cert.subject.human_friendly,
            organization=subject.get("organization_name"),
            serial=cert.serial_number,
            issuer=cert.issuer.human_friendly,
            not_before=cert.not_valid_before,
            not_after=cert.not_valid_after,
        )


class OpenToken:
    """A logged-in token session and the signer bound to its key; close it when the batch ends.

    Kept open on purpose: logging in costs a PIN entry and, on real USB tokens, a noticeable
    delay, so a batch of fifty results must reuse one session instead of reopening per document.
    """

    def __init__(self, session: pkcs11.Session, signer: PKCS11Signer) -> None:
        self._session = session
        self.signer: Signer = signer

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> OpenToken:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def open_token(label: str, pin: str, *, module: Path = DEFAULT_PKCS11_MODULE,
               key_label: str | None = None) -> OpenToken:
    """Log in to the token labelled `label` and bind a signer to its key.

    `key_label` picks the key when the token holds several; when it is omitted the token must hold
    exactly one private key (the usual case for a personal USB token), which is then used with the
    certificate of the same ID.
    """
    if not Path(module).exists():
        raise TokenNotFound(f"PKCS#11 module not found: {module}")
    try:
        session = open_pkcs11_session(str(module), token_criteria=TokenCriteria(label=label), user_pin=pin)
    except (pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange) as exc:
        raise WrongPin(f"token {label!r} refused the PIN") from exc
    except pkcs11.PinLocked as exc:
        raise WrongPin(f"token {label!r} is locked after too many wrong PINs") from exc
    except (SigningError, pkcs11.PKCS11Error, RuntimeError, OSError) as exc:
        raise TokenNotFound(f"no usable token labelled {label!r} in {module}") from exc
    try:
        signer = _bind_key(session, label, key_label)
    except BaseException:
        session.close()
        raise
    return OpenToken(session, signer)


def _bind_key(session: pkcs11.Session, token_label: str, key_label: str | None) -> PKCS11Signer:
    try:
        if key_label is not None:
            signer = PKCS11Signer(session, key_label=key_label, cert_label=key_label, other_certs_to_pull=None)
        else:
            keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
            if len(keys) != 1:
                raise TokenNotFound(f"token {token_label!r} holds {len(keys)} private keys; name one with "
                                    "its key label")
            signer = PKCS11Signer(session, key_id=keys[0][Attribute.ID], other_certs_to_pull=None)
        _ = signer.signing_cert  # fetch now: a token without the certificate fails here, not mid-batch
    except (SigningError, pkcs11.PKCS11Error) as exc:
        raise TokenNotFound(f"token {token_label!r} has no key and certificate to sign with") from exc
    return signer


class KeyInMemorySigner(SimpleSigner):
    """A `SimpleSigner` that parses its private key once instead of for every signature.

    pyHanko's `SimpleSigner.sign_raw` re-parses the key from DER on each call, which for RSA
    includes a consistency check costing ~30 ms: more than the signature itself, and paid twice per
    document (size estimate and real signature). A batch of fifty results pays it once.
    """

    def __init__(self, base: SimpleSigner) -> None:
        super().__init__(signing_cert=base.signing_cert, signing_key=base.signing_key,
                         cert_registry=base.cert_registry)
        self._key = serialization.load_der_private_key(base.signing_key.dump(), password=None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key, RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(self._key, EllipticCurvePrivateKey):
            return self._key.sign(data, ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)


def load_p12(path: Path, passphrase: bytes | None) -> Signer:
    """A signer from a PKCS#12 (.p12/.pfx) file, for seals and officials without a token."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TokenNotFound(f"cannot read PKCS#12 file {path}") from exc
    try:
        signer = SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=passphrase)
    except ValueError:
        signer = None
    if signer is None:
        raise WrongPin(f"cannot open {Path(path).name}: wrong passphrase or not a PKCS#12 file")
    return KeyInMemorySigner(signer)


def check_validity_period(cert: x509.Certificate, at: datetime | None = None) -> None:
    """Refuse a certificate outside its validity period, even when no trust roots are configured.

    A signature made with an expired certificate is worthless to the citizen who receives it, and
    it is the one check that needs no network or trust list.
    """
    at = at or datetime.now(UTC)
    ident = SignerIdentity.of(cert)
    if at > ident.not_after:
        raise CertificateRejected(f"certificate of {ident.name} expired on {ident.not_after:%Y-%m-%d}")
    if at < ident.not_before:
        raise CertificateRejected(f"certificate of {ident.name} is not valid before "
                                  f"{ident.not_before:%Y-%m-%d}")
