"""Names people read for states and statuses (English msgids; web/locale holds Vietnamese)."""

from __future__ import annotations

from storage.accounts import Role
from storage.outbox import OutboxState
from storage.vocabulary import Action, DossierState, FileRole


def N_(message: str) -> str:
    return message


# Pipeline states (storage.vocabulary.DossierState).
STATE: dict[str, str] = {
    DossierState.RECEIVING: N_("Being received"),
    DossierState.RECEIVED: N_("Received"),
    DossierState.DIGITIZING: N_("Being digitized"),
    DossierState.DIGITIZED: N_("Digitized"),
    DossierState.NEEDS_REVIEW: N_("Waiting for classification"),
    DossierState.FAILED: N_("Failed"),
}

# Hand-off messages (storage.outbox.OutboxState), as the admin page counts them.
OUTBOX_STATE: dict[str, str] = {
    OutboxState.waiting: N_("Waiting for a code or procedure"),
    OutboxState.pending: N_("To send"),
    OutboxState.sending: N_("Being sent"),
    OutboxState.sent: N_("Accepted by the province"),
    OutboxState.merged: N_("Carried by a later message"),
    OutboxState.dead: N_("Refused"),
}

# Legal statuses synchronised with the National Public Service Portal (domain.md).
LEGAL_STATUS: dict[int, str] = {
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

ROLE: dict[str, str] = {
    Role.STATION: N_("Scanner station"),
    Role.ARCHIVIST: N_("Archivist"),
    Role.REVIEWER: N_("Reviewer"),
    Role.OFFICIAL: N_("Official"),
    Role.CLERK: N_("Clerk"),
    Role.ADMIN: N_("Administrator"),
}

# Signer roles of the shipped catalog (its `signers`); a province's own role ids show as they are.
SIGNER_ROLE: dict[str, str] = {
    "lanh_dao_ubnd_xa": N_("Commune People's Committee leader"),
    "van_thu": N_("Clerk (agency seal)"),
    "lanh_dao_so": N_("Department leader"),
    "truong_cong_an_xa": N_("Commune police chief"),
    "truong_phong_dkkd": N_("Head of business registration"),
    "giam_doc_van_phong_dang_ky_dat_dai": N_("Director of the land registration office"),
}

FILE_ROLE: dict[str, str] = {
    FileRole.ORIGINAL: N_("Original scan"),
    FileRole.DIGITIZED: N_("Digitized copy (PDF/A)"),
    FileRole.RESULT: N_("Result"),
    FileRole.SIGNED_RESULT: N_("Signed result"),
}

# Events of a dossier's history (storage.vocabulary.Action).
EVENT: dict[str, str] = {
    Action.RECEIVED: N_("Received from the scanner"),
    Action.STORED: N_("Originals stored"),
    Action.DROPPED_AGAIN: N_("The same scan was dropped again"),
    Action.CODE_READ: N_("Code read from the receipt slip"),
    Action.RESCAN_SUGGESTED: N_("A page should be scanned again"),
    Action.CLASSIFIED: N_("Classified by the machine"),
    Action.REVIEWED: N_("Classified by a reviewer"),
    Action.DIGITIZED: N_("Digitized"),
    Action.FAILED: N_("Processing failed"),
    Action.RETRY_SCHEDULED: N_("Will be tried again"),
    Action.VIEWED: N_("Viewed"),
    Action.RESULT_ADDED: N_("Result attached"),
    Action.SIGNED: N_("Signed"),
    Action.SIGNATURE_REFUSED: N_("Signature refused"),
    Action.RESULT_SIGNED: N_("Result signed and sealed"),
    Action.REQUEUED: N_("Put back in the queue"),
    Action.RETURNED: N_("Result returned"),
    Action.ARCHIVE_EXPORTED: N_("Archive package exported"),
}
