"""The procedures stage: the TTHC catalog, the classifier and its training, working-day due dates.

A library with plain inputs and typed plain results; it reads only its own data files and never
imports another stage.
"""

from procedures.calendar import VIETNAM, WorkCalendar, due_at, is_late, load_calendar
from procedures.catalog import Catalog, CatalogError, Procedure, load_catalog
from procedures.classify import Classification, Evidence, classify
from procedures.fields import Fields, extract_fields, mask
from procedures.importer import ImportReport, import_export, import_report, parse_export
from procedures.text import fold_key
from procedures.training import TrainedModel, train

__all__ = [
    "VIETNAM",
    "Catalog",
    "CatalogError",
    "Classification",
    "Evidence",
    "Fields",
    "ImportReport",
    "Procedure",
    "TrainedModel",
    "WorkCalendar",
    "classify",
    "due_at",
    "extract_fields",
    "fold_key",
    "import_export",
    "import_report",
    "is_late",
    "load_calendar",
    "load_catalog",
    "mask",
    "parse_export",
    "train",
]
