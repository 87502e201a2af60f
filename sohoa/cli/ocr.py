"""`sohoa ocr`: OCR files or folders once, writing one text file per page (the scorers' contract).

Page NNN of `scan-0007.pdf` (or of the folder `scan-0007/`) goes to `DIR/scan-0007.pNNN.txt`,
UTF-8 NFC, NNN from 001. Benchmarks and outside scorers read exactly that, so it never changes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ocr.pdf import PdfMetadata, write_searchable_pdf
from ocr.recognize import OcrOptions, PageResult
from settings import load_settings
from sohoa.cli.output import JsonOption, console, err_console, fail, print_json
from workers.digitize import read_files
from workers.pool import PagePool


def register(app: typer.Typer) -> None:
    app.command("ocr")(ocr_command)


def ocr_command(
    paths: list[Path] = typer.Argument(..., help="Files (PDF, TIFF, JPEG, PNG) or folders of page images; "
                                       "each is one dossier."),
    text_dir: Path = typer.Option(..., "--text-dir", help="Where to write <stem>.pNNN.txt, one per page."),
    pdf_dir: Path | None = typer.Option(None, "--pdf", help="Also write the searchable PDF/A copy <stem>.pdf here."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="OCR processes (default: SOHOA_OCR_JOBS, "
                                    "or one per core)."),
    dpi: int | None = typer.Option(None, "--dpi", help="Resolution to rasterize PDF pages at (default: "
                                   "SOHOA_OCR_DPI)."),
    lang: str | None = typer.Option(None, "--lang", help="Tesseract language(s) (default: SOHOA_OCR_LANG)."),
    as_json: bool = JsonOption,
) -> None:
    """OCR scanned dossiers in Vietnamese and write each page's text to --text-dir.

    Pages are turned upright, levelled and freed of dotted leaders, table rules and signatures
    before OCR; the text follows the reading order (header columns one after the other, table
    rows whole).
    """
    settings = load_settings()
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        fail(f"not found: {', '.join(missing)}", hint="give existing files or folders")
    options = OcrOptions(lang=lang or settings.ocr_lang, text_pdf=pdf_dir is not None)
    workers = jobs or settings.jobs
    text_dir.mkdir(parents=True, exist_ok=True)
    failed = []
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-") as tmp, PagePool(workers) as pool:
        for index, path in enumerate(paths):
            stem = path.name if path.is_dir() else path.stem
            work = Path(tmp) / f"{index:04d}"
            try:
                with _bar(stem, as_json) as on_page:
                    pages, results = read_files([path], work, pool, options, dpi=dpi or settings.ocr_dpi,
                                                scratch_mb=settings.scratch_mb, on_page=on_page)
            except Exception as error:  # a broken file or page is reported and skipped, the rest goes on
                failed.append(str(path))
                err_console.print(f"[bold red]error:[/] {path}: {error}")
                if as_json:
                    print_json({"file": stem, "error": str(error)})
                continue
            for result in results:
                (text_dir / f"{stem}.p{result.number:03d}.txt").write_text(result.text + "\n", encoding="utf-8")
            if pdf_dir is not None:
                write_searchable_pdf(pages, results, pdf_dir / f"{stem}.pdf", PdfMetadata(title=stem),
                                     archive_dpi=settings.archive_dpi)
            shutil.rmtree(work, ignore_errors=True)
    if failed:
        fail(f"{len(failed)} of {len(paths)} could not be read: {', '.join(failed)}",
             hint="is each a PDF, TIFF, JPEG or PNG that opens in a viewer? The others were written")
    if not as_json:
        console.print(f"[green]done:[/] texts in {text_dir}" + (f", PDFs in {pdf_dir}" if pdf_dir else ""))


@contextmanager
def _bar(stem: str, as_json: bool) -> Iterator[Callable[[PageResult], None]]:
    """A progress bar for people, or a JSON line per page for scripts, fed with each page read."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, disable=as_json, transient=False) as progress:
        task = progress.add_task(stem, total=None)

        def on_page(result: PageResult) -> None:
            progress.advance(task)
            if as_json:
                print_json({"file": stem, "page": result.number, "confidence": round(result.confidence, 1),
                            "rotation": result.rotation, "skew": result.skew, "blank": result.blank,
                            "source": result.source, "rescan_reason": result.rescan_reason,
                            "seconds": round(result.seconds, 3), "prepare_seconds": round(result.prepare_seconds, 3),
                            "characters": len(result.text)})

        yield on_page
