"""The USB token, through its PKCS#11 module (python-pkcs11): list certificates, sign a batch.

Certificates are public objects and are read without the PIN. Signing opens one logged-in
session per batch, signs every item with the private key of the chosen certificate (same
CKA_ID) and closes it. A wrong PIN stops the batch at once: the token counts wrong PINs and locks
itself after a few (often 3 to 5), so the agent never tries a second PIN on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pkcs11
from asn1crypto import algos, cms, x509
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass, TokenFlag
from pkcs11.types import SignMixin

from signing.remote import DigestSignature, DigestToSign, TokenCertificate

SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
"""DER DigestInfo prefix for SHA-256: what CKM_RSA_PKCS needs before a bare digest (RFC 8017 §9.2)."""


class TokenProblem(Exception):
    """The token or its module cannot do what is asked; the message says which."""


class PinRefused(TokenProblem):
    """The token refused the PIN (or is locked): the batch stops here."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


@dataclass(frozen=True)
class PinState:
    """What the token says of its PIN before anyone types one."""

    locked: bool
    final_try: bool
    count_low: bool


class Tokens:
    """Every token visible through one PKCS#11 module, optionally only the one labelled `label`."""

    def __init__(self, module: Path, label: str | None = None) -> None:
        if not Path(module).exists():
            raise TokenProblem(f"PKCS#11 module not found: {module}")
        self._lib = pkcs11.lib(str(module))
        self._label = label

    def _tokens(self) -> list[pkcs11.Token]:
        try:
            found = [slot.get_token() for slot in self._lib.get_slots(token_present=True)]
        except pkcs11.PKCS11Error as exc:
            raise TokenProblem(f"the PKCS#11 module failed: {type(exc).__name__}") from exc
        # Empty slots (SoftHSM2's spare one, a reader with a blank card) hold no initialized token.
        return [t for t in found if t.flags & TokenFlag.TOKEN_INITIALIZED
                and (self._label is None or t.label == self._label)]

    def certificates(self) -> list[TokenCertificate]:
        """Signing certificates (not CA certificates) of every token, each with the CA certificates beside it."""
        result = []
        for token in self._tokens():
            try:
                with token.open() as session:
                    certs = [(bytes(o[Attribute.VALUE]), str(o[Attribute.LABEL]))
                             for o in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})]
            except pkcs11.PKCS11Error as exc:
                raise TokenProblem(f"cannot read token {token.label!r}: {type(exc).__name__}") from exc
            parsed = [(der, label, x509.Certificate.load(der)) for der, label in certs]
            chain = tuple(der for der, _, cert in parsed if cert.ca)
            result += [TokenCertificate(der=der, token=token.label, label=label, chain=chain)
                       for der, label, cert in parsed if not cert.ca]
        return result

    def find(self, fingerprint: str) -> TokenCertificate:
        for cert in self.certificates():
            if cert.fingerprint == fingerprint:
                return cert
        raise TokenProblem("no token plugged in holds that certificate")

    def pin_state(self, token_label: str) -> PinState:
        flags = self._token(token_label).flags
        return PinState(locked=bool(flags & TokenFlag.USER_PIN_LOCKED),
                        final_try=bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
                        count_low=bool(flags & TokenFlag.USER_PIN_COUNT_LOW))

    def _token(self, token_label: str) -> pkcs11.Token:
        for token in self._tokens():
            if token.label == token_label:
                return token
        raise TokenProblem(f"token {token_label!r} is not plugged in")

    @contextmanager
    def logged_in(self, token_label: str, pin: str) -> Iterator[pkcs11.Session]:
        """One logged-in session; `PinRefused` at the first wrong PIN, with no second try."""
        token = self._token(token_label)
        try:
            session = token.open(user_pin=pin)
        except pkcs11.PinLocked as exc:
            raise PinRefused(f"token {token_label!r} is locked", locked=True) from exc
        except (pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange) as exc:
            raise PinRefused(f"token {token_label!r} refused the PIN") from exc
        except pkcs11.PKCS11Error as exc:
            raise TokenProblem(f"cannot log in to token {token_label!r}: {type(exc).__name__}") from exc
        try:
            yield session
        finally:
            session.close()


def sign_all(session: pkcs11.Session, cert: TokenCertificate, items: Sequence[DigestToSign]) -> list[DigestSignature]:
    """Sign each item with the private key whose CKA_ID is that of `cert`'s certificate object."""
    key = _key_of(session, cert)
    return [DigestSignature(id=item.id, signature=_sign(key, item)) for item in items]


def _key_of(session: pkcs11.Session, cert: TokenCertificate) -> SignMixin:
    ids = [obj[Attribute.ID] for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
           if bytes(obj[Attribute.VALUE]) == cert.der]  # the search ends before the key is looked up
    for key_id in ids:
        if key_id:
            try:
                key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, id=key_id)
            except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned) as exc:
                raise TokenProblem(f"token {cert.token!r} has no single private key for {cert.label!r}") from exc
            if not isinstance(key, SignMixin):  # python-pkcs11 mixes `sign` in only when CKA_SIGN is set
                raise TokenProblem(f"the private key of {cert.label!r} on token {cert.token!r} may not sign")
            return key
    raise TokenProblem(f"the certificate {cert.label!r} is no longer on token {cert.token!r}")


def check_signed_attributes(data: bytes, digest: bytes) -> None:
    """Refuse data that is not DER CMS signed attributes with a message digest: the agent signs nothing else."""
    try:
        attrs = cms.CMSAttributes.load(data, strict=True)
        names = {a["type"].native for a in attrs}
    except (ValueError, TypeError) as exc:
        raise ValueError("data is not CMS signed attributes") from exc
    if not {"content_type", "message_digest"} <= names:
        raise ValueError("data is not CMS signed attributes (no content type or message digest)")
    if hashlib.sha256(data).digest() != digest:
        raise ValueError("data does not hash to its digest")


def _sign(key: SignMixin, item: DigestToSign) -> bytes:
    try:
        if key.key_type == KeyType.RSA:
            if item.data is not None:
                return bytes(key.sign(item.data, mechanism=Mechanism.SHA256_RSA_PKCS))
            return bytes(key.sign(SHA256_DIGEST_INFO + item.digest, mechanism=Mechanism.RSA_PKCS))
        if key.key_type == KeyType.EC:
            raw = bytes(key.sign(item.digest, mechanism=Mechanism.ECDSA))
            return algos.DSASignature.from_p1363(raw).dump()
    except pkcs11.PKCS11Error as exc:
        raise TokenProblem(f"the token failed to sign: {type(exc).__name__}") from exc
    raise TokenProblem(f"keys of type {key.key_type.name} are not supported")
