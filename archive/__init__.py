"""E-ARK CSIP submission packages (SIPs) of dossiers, as Thông tư 05/2025/TT-BNV asks an archive to receive them.

A stage library: plain facts of a dossier and the local paths of its files in, a package folder or
ZIP out (`write_package`), and a fixity check of any package back (`verify_package`). It knows no
register, object store or queue; `workers/archive.py` gathers the facts and the files.
"""

from archive.facts import Agent, CsipVersion, Document, DossierFacts, PackageFile, PremisEvent
from archive.package import PackageError, write_package
from archive.verify import PackageReport, verify_package

__all__ = ["Agent", "CsipVersion", "Document", "DossierFacts", "PackageError", "PackageFile", "PackageReport",
           "PremisEvent", "verify_package", "write_package"]
