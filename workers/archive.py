"""Archive packages of dossiers: the register's facts and the stored files, handed to the archive stage.

`export_dossier` is what the CLI (`sohoa archive export`) and the web dossier page call: one dossier
at a time (its files are fetched into a scratch folder, packaged, and the folder is emptied before the
next), so memory and scratch space are bounded by one dossier whatever the count. A package already
in the output folder is checked against its own METS first: when it verifies it is kept (a re-run
resumes where it stopped), when it does not it is written again. Each package written is logged as a
read of the dossier, since a package holds the applicant's personal data.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pikepdf

from archive import (
    Agent,
    CsipVersion,
    Document,
    DossierFacts,
    PackageError,
    PackageFile,
    PremisEvent,
    verify_package,
    write_package,
)
from archive.package import DIGITIZED, ORIGINALS, package_name
from archive.verify import open_package
from archive.xml import VIETNAM
from ocr.pdfa import pdfa_problems
from signing import StepState
from signing import verify as verify_signatures
from storage.local import LocalObjectStore
from storage.models import Dossier, Event, File, SigningTask
from storage.vocabulary import Action, FileRole
from workers.catalog import current_catalog
from workers.services import Services

SOFTWARE_ACTORS = {"ocr", "classifier", "pipeline", "signing", "trainer", "sweeper", "results-folder"}
DIGITIZED_TYPE = "Bản sao điện tử số hóa từ hồ sơ giấy"
RESULT_TYPE = "Kết quả giải quyết thủ tục hành chính"


class Outcome(StrEnum):
    written = "written"
    skipped = "skipped"  # already in the output folder and verified
    redone = "redone"  # was there but did not verify: written again
    failed = "failed"


@dataclass(frozen=True)
class Exported:
    dossier_id: int
    package: Path | None
    outcome: Outcome
    detail: str = ""


def software_version() -> str:
    try:
        return version("sohoa")
    except PackageNotFoundError:
        return "0.1.0"


def package_id(dossier: Dossier) -> str:
    """The package's OBJID and folder name: the dossier code (mã hồ sơ), made safe for a folder name."""
    return re.sub(r"[^0-9A-Za-z._-]", "_", dossier.code) if dossier.code else f"dossier-{dossier.id}"


def export_dossier(dossier_id: int, services: Services, out_dir: Path, *, as_zip: bool = False,
                   actor: str = "archive", csip: CsipVersion | None = None) -> Exported:
    """Write (or keep, when already there and verified) the E-ARK SIP of one dossier in `out_dir`."""
    register = services.register
    dossier = register.get(dossier_id)
    if dossier is None:
        return Exported(dossier_id, None, Outcome.failed, f"no dossier {dossier_id}")
    target = out_dir / (f"{package_id(dossier)}.zip" if as_zip else package_id(dossier))
    outcome = Outcome.written
    if target.exists():
        report = verify_package(target)
        if report.ok and report.package_id == package_id(dossier):
            return Exported(dossier_id, target, Outcome.skipped, "already exported and verified")
        outcome = Outcome.redone
    csip = csip or CsipVersion(services.settings.archive_csip_version)
    with tempfile.TemporaryDirectory(dir=_scratch(services)) as tmp:
        try:
            facts = dossier_facts(dossier, services, Path(tmp))
            written = write_package(facts, out_dir, version=csip, as_zip=as_zip)
        except (PackageError, OSError) as error:
            return Exported(dossier_id, None, Outcome.failed, str(error))
    register.add_event(dossier_id, actor, Action.ARCHIVE_EXPORTED, {"package": package_name(facts, as_zip=as_zip),
                                                     "csip": csip.value, "outcome": outcome.value})
    return Exported(dossier_id, written.path, outcome, f"{written.files} files, {written.bytes} bytes")


def export_dossiers(dossier_ids: Iterable[int], services: Services, out_dir: Path, *, as_zip: bool = False,
                    actor: str = "archive", on_done: Callable[[Exported], None] | None = None) -> Iterator[Exported]:
    """Export each dossier in turn (never two in memory at once), reporting each as it is done."""
    for dossier_id in dossier_ids:
        result = export_dossier(dossier_id, services, out_dir, as_zip=as_zip, actor=actor)
        if on_done:
            on_done(result)
        yield result


def _scratch(services: Services) -> Path:
    services.settings.work.mkdir(parents=True, exist_ok=True)
    return services.settings.work


# --- facts from the register ---

def dossier_facts(dossier: Dossier, services: Services, work: Path) -> DossierFacts:
    """The plain facts of a dossier and local paths of its files, for the archive stage."""
    settings, register = services.settings, services.register
    code = package_id(dossier)
    procedure = current_catalog(services.settings).get(dossier.procedure_id) if dossier.procedure_id else None
    subject = procedure.name if procedure else "Hồ sơ thủ tục hành chính"
    applicant = (dossier.fields or {}).get("applicant_name")
    events = register.events(dossier.id)
    tasks = register.signing_tasks(dossier.id)

    originals: list[PackageFile] = []
    for n, f in enumerate(register.files(dossier.id, FileRole.ORIGINAL), start=1):
        name = _safe_name(f.name)
        if any(o.name == name for o in originals):
            name = f"{n:03d}-{name}"
        originals.append(_package_file(f, name, services, work))
    documents = []
    digitized = register.files(dossier.id, FileRole.DIGITIZED)
    if digitized:
        copy = _package_file(digitized[-1], f"{code}.01.pdf", services, work)
        documents.append(Document(1, DIGITIZED_TYPE, subject, settings.agency_name,
                                  dossier.page_count or _pages(copy.source), copy,
                                  issued=_vn_date(dossier.received_at), code_notation=code))
    result_paths: dict[int, str] = {}  # result file id -> its signed version's path in the package
    for result_tasks in _chains(tasks):
        last = result_tasks[-1]
        signed = register.file_by_id(last.signed_file_id) if last.signed_file_id else None
        if signed is None:
            continue
        ordinal = len(documents) + 1
        file = _package_file(signed, f"{code}.{ordinal:02d}.pdf", services, work)
        result_paths[last.file_id] = f"representations/{DIGITIZED}/data/{file.name}"
        documents.append(Document(ordinal, RESULT_TYPE, subject, settings.agency_name, _pages(file.source), file,
                                  issued=_vn_date(last.signed_at) if last.signed_at else None,
                                  signers=tuple(t.signer_certificate or t.assignee or t.role for t in result_tasks)))
    ends = [d for d in (dossier.returned_at, dossier.finished_at) if d] or [e.at for e in events[-1:]]
    agents, premis_events = _history(events, tasks, originals, documents, result_paths, settings.agency_name,
                                     dossier.agency)
    return DossierFacts(
        package_id=code, file_code=dossier.code or code,
        title=f"Hồ sơ {subject}" + (f" của {applicant}" if applicant else ""),
        maintenance=settings.archive_maintenance, rights=settings.archive_rights, creator=settings.agency_name,
        creator_code=dossier.agency, language="Tiếng Việt",
        start_date=_vn_date(dossier.received_at), end_date=_vn_date(max(ends, default=dossier.received_at)),
        originals=originals, documents=documents, events=premis_events, agents=agents,
        software="sohoa", software_version=software_version(),
        description=f"Thủ tục {dossier.procedure_id}" if dossier.procedure_id else "")


def _chains(tasks: list[SigningTask]) -> list[list[SigningTask]]:
    """The fully signed chains, one per result file, in step order."""
    by_file: dict[int, list[SigningTask]] = {}
    for t in tasks:
        by_file.setdefault(t.file_id, []).append(t)
    return [chain for chain in by_file.values() if all(t.state == StepState.verified for t in chain)]


def _package_file(f: File, name: str, services: Services, work: Path) -> PackageFile:
    """The file's local path: read in place from a local store, else downloaded (verified) into `work`."""
    if isinstance(services.objects, LocalObjectStore):
        source = services.objects.local_path(f.object_key)
    else:
        source = work / f"{f.id}-{name}"
        services.objects.get(f.object_key, source, verify=True)
    return PackageFile(source, name, f.media_type, f.sha256, f.size, f.created_at)


def _safe_name(name: str) -> str:
    base = Path(name).name
    return re.sub(r"[^\w.-]", "_", base) or "file"


def _pages(path: Path) -> int:
    try:
        with pikepdf.open(path) as pdf:
            return len(pdf.pages)
    except pikepdf.PdfError:
        return 0


def _vn_date(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(VIETNAM).date()


@dataclass
class _Agents:
    known: dict[str, Agent] = field(default_factory=dict)

    def of(self, actor: str) -> str:
        if actor not in self.known:
            kind = "software" if actor in SOFTWARE_ACTORS or actor.startswith("worker") else "person"
            self.known[actor] = Agent(f"agent-{len(self.known) + 1}", actor, kind,
                                      software_version() if kind == "software" else None)
        return self.known[actor].identifier


def _history(events: list[Event], tasks: list[SigningTask], originals: list[PackageFile],
             documents: list[Document], result_paths: dict[int, str], agency_name: str, agency_code: str
             ) -> tuple[list[Agent], list[PremisEvent]]:
    """PREMIS events from the register's history: ingestion, OCR, classification, signing and validation."""
    agents = _Agents()
    agents.known["sohoa"] = Agent("agent-sohoa", "sohoa", "software", software_version())
    agents.known[agency_name] = Agent(f"agency-{agency_code}", agency_name, "organization")
    rep1 = tuple(f"representations/{ORIGINALS}/data/{f.name}" for f in originals)
    copy = tuple(f"representations/{DIGITIZED}/data/{d.file.name}" for d in documents if d.ordinal == 1)
    out: list[PremisEvent] = []
    for e in events:
        detail = e.detail or {}
        agent_id = agents.of(e.actor)
        role = "executing program" if agents.known[e.actor].kind == "software" else "implementer"
        who: tuple[tuple[str, str], ...] = ((agent_id, role), (f"agency-{agency_code}", "authorizer"))
        if e.action == Action.STORED:
            fixity = "; ".join(f"{f.name} SHA-256 {f.sha256}" for f in originals)
            text = f"Bản gốc được tiếp nhận và lưu, kiểm tra SHA-256 khi lưu ({detail.get('files', '?')} tệp)"
            out.append(PremisEvent(f"event-{e.id}", "ingestion", e.at, text, outcome_detail=fixity, agents=who,
                                   objects=rep1))
        elif e.action == Action.DIGITIZED:
            out.append(PremisEvent(f"event-{e.id}", "creation", e.at,
                                   "Nhận dạng ký tự (OCR, Tesseract vie) và tạo bản PDF/A-2b hai lớp", agents=who,
                                   objects=copy))
        elif e.action in (Action.CLASSIFIED, Action.REVIEWED):
            text = f"Phân loại theo thủ tục {detail.get('procedure', '')}"
            if "confidence" in detail:
                text += f" (độ tin cậy {detail['confidence']})"
            out.append(PremisEvent(f"event-{e.id}", "metadata extraction", e.at, text, agents=who))
        elif e.action == Action.CODE_READ:
            out.append(PremisEvent(f"event-{e.id}", "metadata extraction", e.at,
                                   f"Đọc mã hồ sơ {detail.get('code', '')} từ giấy tiếp nhận", agents=who))
    for t in tasks:
        if t.state != StepState.verified or t.signed_at is None:
            continue
        who = ((agents.of(t.signer_certificate or t.assignee or t.role), "implementer"),)
        objects = (result_paths[t.file_id],) if t.file_id in result_paths else ()
        out.append(PremisEvent(f"signing-{t.id}", "digital signature generation", t.signed_at,
                               f"Ký số PAdES bước {t.step} ({t.role})", agents=who, objects=objects))
        report = t.validation or {}
        problems = "; ".join(report.get("problems", []))
        out.append(PremisEvent(f"validation-{t.id}", "digital signature validation", t.signed_at,
                               f"Kiểm tra chữ ký bước {t.step} ngay sau khi ký",
                               outcome="success" if report.get("ok", True) else "failure",
                               outcome_detail=problems or "chữ ký toàn vẹn và hợp lệ",
                               agents=(("agent-sohoa", "validator"),), objects=objects))
    out.sort(key=lambda ev: ev.at)
    return list(agents.known.values()), out


# --- verification of a written package ---

@dataclass
class VerifyResult:
    path: Path
    package_id: str = ""
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_archive_package(path: Path, trust_roots: Iterable[Path] = (), *, offline: bool = False) -> VerifyResult:
    """A package checked as an archive would: fixity against its METS, PDF/A of the digitized copy, signatures."""
    fixity = verify_package(path)
    result = VerifyResult(path, fixity.package_id, list(fixity.problems))
    if not fixity.files:
        return result
    roots = list(trust_roots)
    pdfs = [f for f in fixity.files if f.path.startswith(f"representations/{DIGITIZED}/data/")
            and f.media_type == "application/pdf"]
    with open_package(path) as package, tempfile.TemporaryDirectory() as tmp:
        for f in pdfs:
            local = Path(tmp) / Path(f.path).name
            with package.open(f.path) as src, local.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            data = local.read_bytes()
            signed = b"/ByteRange" in data
            if local.name.endswith(".01.pdf"):
                result.problems += [f"{f.path}: not PDF/A-2b: {p}" for p in _copy_pdfa_problems(local, data, signed)]
                result.checked.append(f"{f.path}: PDF/A-2b" + (" (the revision the seal signs)" if signed else ""))
            if signed:
                report = verify_signatures(data, roots, allow_fetching=not offline)
                if not report.ok:
                    result.problems.append(f"{f.path}: signatures no longer valid: "
                                           + "; ".join(report.problems or ["see sohoa verify"]))
                result.checked.append(f"{f.path}: {len(report.signatures)} signature(s)")
            local.unlink()
    return result


def _copy_pdfa_problems(path: Path, data: bytes, signed: bool) -> list[str]:
    """PDF/A-2b problems of a digitized copy; of a sealed copy, those of the revision the seal signs.

    The seal is a signature added in an incremental update; pikepdf's validator does not judge the
    signature field it brings (/AcroForm is "unsupported"), so the copy as sohoa wrote it, the file up
    to its first %%EOF, is checked, and the signature check covers what was appended after it.
    """
    if not signed:
        return pdfa_problems(path)
    end = data.find(b"%%EOF")
    if end < 0:
        return ["no end of file marker (%%EOF)"]
    end += len(b"%%EOF")
    end += len(data[end:end + 2]) - len(data[end:end + 2].lstrip(b"\r\n"))
    first = path.with_name(f"first-revision-{path.name}")
    first.write_bytes(data[:end])
    try:
        return pdfa_problems(first)
    finally:
        first.unlink()
