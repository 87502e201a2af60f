"""The register's words, defined once: dossier states, step states, event actions, file roles.

Every room reads and writes these through the enums, so a misspelt state is a NameError at import
time instead of a dossier that silently never matches a query. They are `StrEnum`s: the database
keeps plain strings, and a member compares equal to its string.
"""

from __future__ import annotations

from enum import StrEnum


class DossierState(StrEnum):
    """Where a dossier is in the digitizing pipeline (its legal status 1-10 is a separate field)."""

    RECEIVING = "receiving"
    RECEIVED = "received"
    DIGITIZING = "digitizing"
    DIGITIZED = "digitized"
    NEEDS_REVIEW = "needs_review"
    FAILED = "failed"


# Where a pipeline may pick a dossier up again (after a crash, a retry or a restart).
RESUMABLE: tuple[DossierState, ...] = (DossierState.RECEIVED, DossierState.DIGITIZING)


class StepState(StrEnum):
    """A pipeline step row: the idempotency key of (dossier, step)."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class FileRole(StrEnum):
    ORIGINAL = "original"
    DIGITIZED = "digitized"
    RESULT = "result"
    SIGNED_RESULT = "signed_result"


class ProcedureSource(StrEnum):
    AUTO = "auto"
    REVIEWER = "reviewer"


class Action(StrEnum):
    """What an event records. The event table is both the lifecycle and the audit log."""

    # intake
    RECEIVED = "received"
    STORED = "stored"
    DROPPED_AGAIN = "dropped_again"
    QUARANTINED = "quarantined"
    RELEASED = "released"  # an admin put a quarantined entry back in the inbox
    QUARANTINE_DELETED = "quarantine_deleted"
    REFUSED = "refused"
    # pipeline
    CODE_READ = "code_read"
    RESCAN_SUGGESTED = "rescan_suggested"
    CLASSIFIED = "classified"
    DIGITIZED = "digitized"
    FAILED = "failed"
    RETRY_SCHEDULED = "retry_scheduled"
    RETRY = "retry"
    REQUEUED = "requeued"
    # people and the classifier
    REVIEWED = "reviewed"
    MODEL_TRAINED = "model_trained"
    VIEWED = "viewed"
    SEARCHED = "searched"
    # results and signing
    ROLE_ASSIGNED = "role_assigned"
    RESULT_ADDED = "result_added"
    SIGNATURE_PREPARED = "signature_prepared"  # browser signing: a document waits for the token's signature
    SIGNED = "signed"
    SIGNATURE_REFUSED = "signature_refused"
    RESULT_SIGNED = "result_signed"
    RETURNED = "returned"
    # archive
    ARCHIVE_EXPORTED = "archive_exported"  # a package holds personal data: logged as a read of the dossier

