"""What can go wrong while signing or verifying, as types a caller can catch and explain.

Every failure a user can cause (a wrong PIN, an expired certificate, a file that is not a PDF)
surfaces as a `SigningProblem` subclass with a message fit to show as is: the CLI and the web turn
them into one line of advice instead of a traceback.
"""

from __future__ import annotations


class SigningProblem(Exception):
    """Base of every error `signing` raises on purpose."""


class UnreadablePdf(SigningProblem):
    """The bytes are not a PDF sohoa can sign or verify: empty, corrupt, encrypted or another format."""


class WrongPin(SigningProblem):
    """The token refused the PIN, or the PKCS#12 passphrase did not open the file."""


class TokenNotFound(SigningProblem):
    """No token with that label, no key on it, or the PKCS#11 module cannot be loaded."""


class CertificateRejected(SigningProblem):
    """The signer's certificate must not sign now: expired, not yet valid, revoked or untrusted."""


class TimestampUnavailable(SigningProblem):
    """The timestamp authority did not answer or answered nonsense; PAdES B-T needs it."""


class StepNotReady(SigningProblem):
    """A routing rule refuses a signature: an earlier step is not signed and verified yet."""
