"""Names people read for states and statuses (English msgids; web/locale holds Vietnamese)."""

from __future__ import annotations

# Pipeline states of storage.register.
STATE = {
    "receiving": "Being received",
    "received": "Received",
    "digitizing": "Being digitized",
    "digitized": "Digitized",
    "needs_review": "Waiting for classification",
    "failed": "Failed",
}

# Legal statuses synchronised with the National Public Service Portal (domain.md).
LEGAL_STATUS = {
    1: "Newly registered",
    2: "Accepted",
    3: "Not accepted",
    4: "Being processed",
    5: "More papers requested",
    6: "Financial obligation requested",
    7: "Withdrawn by the citizen",
    8: "Processing stopped",
    9: "Processed",
    10: "Result returned",
}

ROLE = {
    "station": "Scanner station",
    "archivist": "Archivist",
    "reviewer": "Reviewer",
    "official": "Official",
    "clerk": "Clerk",
    "admin": "Administrator",
}

FILE_ROLE = {
    "original": "Original scan",
    "digitized": "Digitized copy (PDF/A)",
    "result": "Result",
    "signed_result": "Signed result",
    "receipt_slip": "Receipt slip",
}
