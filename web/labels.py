"""Names people read for states and statuses (English msgids; web/locale holds Vietnamese)."""

from __future__ import annotations


def N_(message: str) -> str:
    return message


# Pipeline states of storage.register.
STATE = {
    "receiving": N_("Being received"),
    "received": N_("Received"),
    "digitizing": N_("Being digitized"),
    "digitized": N_("Digitized"),
    "needs_review": N_("Waiting for classification"),
    "failed": N_("Failed"),
}

# Legal statuses synchronised with the National Public Service Portal (domain.md).
LEGAL_STATUS = {
    1: N_("Newly registered"),
    2: N_("Accepted"),
    3: N_("Not accepted"),
    4: N_("Being processed"),
    5: N_("More papers requested"),
    6: N_("Financial obligation requested"),
    7: N_("Withdrawn by the citizen"),
    8: N_("Processing stopped"),
    9: N_("Processed"),
    10: N_("Result returned"),
}

ROLE = {
    "station": N_("Scanner station"),
    "archivist": N_("Archivist"),
    "reviewer": N_("Reviewer"),
    "official": N_("Official"),
    "clerk": N_("Clerk"),
    "admin": N_("Administrator"),
}

FILE_ROLE = {
    "original": N_("Original scan"),
    "digitized": N_("Digitized copy (PDF/A)"),
    "result": N_("Result"),
    "signed_result": N_("Signed result"),
    "receipt_slip": N_("Receipt slip"),
}

# Events of a dossier's history (storage.register's event actions).
EVENT = {
    "received": N_("Received from the scanner"),
    "stored": N_("Originals stored"),
    "dropped_again": N_("The same scan was dropped again"),
    "code_read": N_("Code read from the receipt slip"),
    "rescan_suggested": N_("A page should be scanned again"),
    "classified": N_("Classified by the machine"),
    "reviewed": N_("Classified by a reviewer"),
    "digitized": N_("Digitized"),
    "failed": N_("Processing failed"),
    "retry_scheduled": N_("Will be tried again"),
    "viewed": N_("Viewed"),
    "result_added": N_("Result attached"),
    "signed": N_("Signed"),
    "signature_refused": N_("Signature refused"),
    "result_signed": N_("Result signed and sealed"),
    "requeued": N_("Put back in the queue"),
    "returned": N_("Result returned"),
}
