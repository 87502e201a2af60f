"""The agency's signature on digitized copies (Nghị định 30/2020: a copy is the scan plus the seal).

With `SOHOA_SEAL_DIGITIZED`, every digitized copy the pipeline makes is signed by the agency's
seal certificate: upper right of page 1, no image, stating the copy type, the agency and the time.
The signed copy is verified before it replaces the unsigned one; a copy that fails verification is
never stored as sealed. The same key seals results on the Ký số page (`seal_session`, used by
`workers.signing_inbox.seal_tasks`).
"""

from __future__ import annotations

from pathlib import Path

from settings import Settings
from signing import CopyAppearance, Level, SigningSession, load_p12, verify


class SealNotConfigured(RuntimeError):
    """Sealing is on but no seal credential is set: say which settings to give."""


def seal_session(settings: Settings, why: str) -> SigningSession:
    """A signing session over the agency seal's PKCS#12 (B-T with a TSA); `why` names what needs it."""
    if settings.seal_p12 is None or settings.seal_passphrase_file is None:
        raise SealNotConfigured(f"{why}: set SOHOA_SEAL_P12 and SOHOA_SEAL_PASSPHRASE_FILE")
    passphrase = settings.seal_passphrase_file.read_text(encoding="utf-8").rstrip("\r\n").encode()
    signer = load_p12(settings.seal_p12, passphrase or None)
    del passphrase
    level = Level.B_T if settings.tsa_url else Level.B_B
    return SigningSession(signer, level=level, tsa_url=settings.tsa_url, trust_roots=list(settings.trust_roots))


def seal_copy(pdf: Path, settings: Settings) -> None:
    """Sign the copy at `pdf` in place with the agency seal, after checking the signature verifies."""
    with seal_session(settings, "SOHOA_SEAL_DIGITIZED is on") as session:
        signed = session.sign(pdf.read_bytes(), CopyAppearance(agency=settings.agency_name))
    report = verify(signed.pdf, trust_roots=settings.trust_roots)
    if settings.trust_roots and not report.ok:
        raise RuntimeError(f"the sealed copy did not verify: {'; '.join(report.problems) or 'see sohoa verify'}")
    pdf.write_bytes(signed.pdf)
