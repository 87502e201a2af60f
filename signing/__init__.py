"""Signing stage: route results to signer roles, sign them as PAdES, verify signed PDFs.

A library with plain inputs and typed results; it knows nothing of queues, storage or the web.

    with open_token("official", pin) as token, SigningSession(token.signer, tsa_url=tsa) as session:
        for pdf in results:
            signed = session.sign(pdf, SignatureAppearance(name="Nguyễn Văn An", title="CHỦ TỊCH"))
    report = verify(signed.pdf, trust_roots=[Path("root.pem")])
"""

from signing.appearance import CopyAppearance, SignatureAppearance, vietnam_time
from signing.errors import (
    CertificateRejected,
    SigningProblem,
    StepNotReady,
    TimestampUnavailable,
    TokenNotFound,
    UnreadablePdf,
    WrongPin,
)
from signing.external import PreparedSignature, finish, prepare
from signing.pades import Level, SignedPdf, SigningSession
from signing.reasons import Finding, Reason, Verdict
from signing.routing import Step, StepState, UnassignedRole, check_turn, is_complete, may_sign, plan_steps
from signing.signers import DEFAULT_PKCS11_MODULE, OpenToken, SignerIdentity, load_p12, open_token
from signing.verify import SignatureReport, VerificationReport, async_verify, verify

__all__ = [
    "DEFAULT_PKCS11_MODULE",
    "CertificateRejected",
    "CopyAppearance",
    "Finding",
    "Level",
    "OpenToken",
    "PreparedSignature",
    "Reason",
    "SignatureAppearance",
    "SignatureReport",
    "SignedPdf",
    "SignerIdentity",
    "SigningProblem",
    "SigningSession",
    "Step",
    "StepNotReady",
    "StepState",
    "TimestampUnavailable",
    "TokenNotFound",
    "UnassignedRole",
    "UnreadablePdf",
    "Verdict",
    "VerificationReport",
    "WrongPin",
    "async_verify",
    "check_turn",
    "finish",
    "is_complete",
    "load_p12",
    "may_sign",
    "open_token",
    "plan_steps",
    "prepare",
    "verify",
    "vietnam_time",
]
