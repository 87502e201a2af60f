"""`sohoa procedures import/list/show` and `sohoa classify`: the catalog and the classifier by hand.

The catalog in force is, in order: the file `SOHOA_CATALOG_FILE` names, a province's import stored
as `<home>/catalog.yaml`, or the catalog shipped with sohoa. `import` merges an export into it and
writes the result where it will be read next time (the settings file if set, else the home).
`classify` OCRs and classifies dossiers without storing anything, printing one JSON line per input
in the contract benchmarks and outside scorers read.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from sohoa.cli.output import JsonOption, console, err_console, fail, print_json

if TYPE_CHECKING:
    from procedures import Catalog, Classification
    from settings import Settings
    from workers.pool import PagePool

TEXT_SUFFIXES = {".txt"}


def current_catalog(settings: Settings, *, scoped: bool = False) -> Catalog:
    """The catalog in force (`workers.catalog`, the one place every command and the pipeline ask)."""
    from workers.catalog import CatalogUnavailable
    from workers.catalog import current_catalog as in_force

    try:
        return in_force(settings, scoped=scoped)
    except CatalogUnavailable as error:
        fail(str(error), error.hint)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)


def import_command(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV or JSON export of procedures."),
    json_out: bool = JsonOption,
) -> None:
    """Merge a province's procedure export into the catalog (by id; re-importing changes nothing)."""
    from procedures import CatalogError, load_catalog
    from procedures.importer import import_report
    from settings import load_settings
    from workers.catalog import import_target

    settings = load_settings()
    target = import_target(settings)
    # The first import into SOHOA_CATALOG_FILE creates it: it starts from the shipped catalog.
    catalog = current_catalog(settings) if target.exists() or not settings.catalog_file else load_catalog(None)
    try:
        report = import_report(file, catalog)
    except CatalogError as exc:
        for line, reason in exc.problems:
            err_console.print(f"{file}:{line}: {reason}")
        fail(f"{len(exc.problems)} malformed row(s) in {file}; nothing was imported", "fix the rows and import again")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text", "export the file as UTF-8 CSV or JSON")
    merged, added, updated = report.catalog, report.added, report.updated
    _write_atomically(target, merged.to_yaml())
    summary = {"file": str(file), "catalog": str(target), "added": added, "updated": updated,
               "unchanged": len(merged) - added - updated, "procedures": len(merged),
               "code_conflicts": [{"code": code, "kept": kept, "imported_name": name, "stored_as": stored}
                                  for code, kept, name, stored in report.conflicts],
               "duplicates": [{"id": dup, "same_as": owner} for dup, owner in report.duplicates]}
    if json_out:
        print_json(summary)
    else:
        console.print(f"imported {file}: {added} added, {updated} updated, {summary['unchanged']} unchanged; "
                      f"{len(merged)} procedures in {target}")
        for code, kept, name, stored in report.conflicts:
            console.print(f"  code {code} names another procedure than entry {kept} ({name[:60]}...): "
                          f"kept the entry, stored the row as {stored} / mã {code} trùng mã với thủ tục khác")
        if report.duplicates:
            console.print(f"  {len(report.duplicates)} entries are the same procedure as another and are "
                          "classified as one / thủ tục trùng lặp được gộp: "
                          + ", ".join(f"{dup}={owner}" for dup, owner in report.duplicates[:10]))


def list_command(
    field: str | None = typer.Option(None, "--field", help="Only this field (lĩnh vực); diacritics optional."),
    json_out: bool = JsonOption,
) -> None:
    """List the catalog's procedures."""
    from procedures.text import fold_key
    from settings import load_settings

    catalog = current_catalog(load_settings())
    wanted = fold_key(field) if field else None
    chosen = [p for p in catalog if wanted is None or wanted in fold_key(p.field)]
    if json_out:
        for procedure in chosen:
            print_json({k: procedure.to_dict()[k] for k in ("id", "national_code", "name", "field", "level", "days")})
        return
    table = Table("id", "name", "field", "level", "days")
    for procedure in chosen:
        table.add_row(procedure.id, procedure.name, procedure.field, procedure.level, str(procedure.days))
    console.print(table)
    console.print(f"[dim]{len(chosen)} of {len(catalog)} procedures[/]")


def show_command(procedure_id: str = typer.Argument(..., help="Procedure id."), json_out: bool = JsonOption) -> None:
    """Show one procedure: its titles, forms, components, processing days and signers."""
    from settings import load_settings

    procedure = current_catalog(load_settings()).get(procedure_id)
    if procedure is None:
        fail(f"no procedure {procedure_id!r} in the catalog", "see `sohoa procedures list`")
    if json_out:
        print_json(procedure.to_dict())
        return
    for key, value in procedure.to_dict().items():
        if value not in (None, "", []):
            shown = "\n  ".join(value) if isinstance(value, list) else value
            console.print(f"[bold]{key}[/]: {shown}")


def _text_pages(path: Path) -> list[str] | None:
    """Page texts when `path` is text already: a .txt (pages split by form feeds) or a folder of them."""
    if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES:
        return path.read_text(encoding="utf-8").split("\f")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file())
        if files and all(p.suffix.lower() in TEXT_SUFFIXES for p in files):
            return [p.read_text(encoding="utf-8") for p in files]
    return None


def _ocr_pages(path: Path, settings: Settings, pool: PagePool) -> list[str]:
    from ocr.recognize import OcrOptions
    from workers.digitize import read_files

    with tempfile.TemporaryDirectory(prefix="sohoa-classify-") as work:
        _, results = read_files([path], Path(work), pool, OcrOptions(lang=settings.ocr_lang), dpi=settings.ocr_dpi,
                                scratch_mb=settings.scratch_mb)
        return [result.text for result in results]


def _record(path: str, result: Classification) -> dict[str, object]:
    data = result.to_dict()
    return {"path": path, **{k: data[k] for k in ("procedure", "confidence", "needs_review", "top3", "evidence")}}


def classify_command(
    paths: list[str] = typer.Argument(..., help="Dossiers: files (PDF, TIFF, image, .txt) or folders of pages."),
    model_file: Path | None = typer.Option(None, "--model", exists=True, dir_okay=False,
                                           help="A trained model file (TrainedModel.to_bytes)."),
    threshold: float | None = typer.Option(None, "--threshold", help="Review below this confidence "
                                           "(default: SOHOA_REVIEW_THRESHOLD)."),
    json_out: bool = JsonOption,
) -> None:
    """OCR and classify dossiers by procedure without storing anything (one JSON line per input)."""
    from procedures import TrainedModel, classify
    from settings import load_settings
    from workers.pool import PagePool

    settings = load_settings()
    catalog = current_catalog(settings, scoped=True)
    model = TrainedModel.from_bytes(model_file.read_bytes()) if model_file else None
    limit = settings.review_threshold if threshold is None else threshold
    table = Table("path", "procedure", "confidence", "review", "top 3")
    failures = 0
    with PagePool(settings.jobs) as pool:
        for shown in paths:  # printed exactly as given: scorers match it against their manifest
            path = Path(shown)
            try:
                if not path.exists():
                    raise FileNotFoundError(f"no such file or folder: {path}")
                texts = _text_pages(path)
                if texts is None:
                    texts = _ocr_pages(path, settings, pool)
                result = classify(texts, catalog, model, threshold=limit)
            except ImportError:
                fail("the OCR stage is not installed", "pass page texts (.txt) or install sohoa fully")
            except Exception as exc:  # one bad input must not stop the batch
                failures += 1
                err_console.print(f"[bold red]error:[/] {shown}: {exc}")
                if json_out:
                    print_json({"path": shown, "procedure": None, "confidence": 0.0, "needs_review": True,
                                "top3": [], "evidence": [], "error": str(exc)})
                continue
            if json_out:
                print_json(_record(shown, result))
            else:
                top3 = ", ".join(f"{pid} {score:.2f}" for pid, score in result.top3)
                table.add_row(shown, result.procedure or "—", f"{result.confidence:.2f}",
                              "yes" if result.needs_review else "", top3)
    if not json_out:
        console.print(table)
    if failures:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `sohoa procedures ...` and `sohoa classify`."""
    group = typer.Typer(help="The procedure (TTHC) catalog: import a province's export, list, show.",
                        no_args_is_help=True)
    group.command("import")(import_command)
    group.command("list")(list_command)
    group.command("show")(show_command)
    app.add_typer(group, name="procedures")
    app.command("classify")(classify_command)
