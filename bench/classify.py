"""Benchmark the procedure classifier on the public sample dossiers (../shared/samples).

    .venv/bin/python bench/classify.py [--samples DIR] [--threshold 0.6] [--truth-only] [--jobs N]

Runs the classifier on real OCR text of every sample dossier and on the ground-truth page texts.
OCR goes through the `ocr` stage (as `sohoa classify` does) or, with `--engine tesseract` or when
the stage cannot be imported, plain Tesseract with orientation detection; texts are cached under
bench/out/ocr-<engine>/ since OCR of the 98 pages takes minutes. Each text source is run:
- zero-shot: the catalog alone, no labelled example;
- trained: a model trained on one half of the dossiers, tested on the other half, and the swap,
  so every dossier is predicted once by a model that never saw it.
For each run it prints accuracy, macro-F1, a calibration table, coverage at the threshold and the
share of out-of-catalog dossiers sent to review, writes the predictions as JSON lines under
bench/out/ and scores them with ../shared/tools/score_classify.py, as outside scorers do.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from procedures import Catalog, Classification, classify, load_catalog, train  # noqa: E402
from procedures.importer import import_report  # noqa: E402

OUT = ROOT / "bench" / "out"
DEFAULT_SAMPLES = ROOT.parent / "shared" / "samples"
SCORER = ROOT.parent / "shared" / "tools" / "score_classify.py"
NATIONAL = ROOT.parent / "shared" / "catalog-national.csv"


# --- OCR of the samples, cached -------------------------------------------------------------------

def stage_available() -> bool:
    try:
        import ocr.pages
        import ocr.recognize  # noqa: F401
    except Exception:  # the stage is missing or broken: fall back to plain Tesseract
        return False
    return True


def _ocr_with_stage(source: Path, work: Path) -> list[str]:
    """OCR through the `ocr` stage's public API (what `sohoa classify` uses)."""
    from ocr.pages import split_pages
    from ocr.recognize import OcrOptions, recognize_pages

    return [r.text for r in recognize_pages(split_pages([source], work, 300), OcrOptions(lang="vie"))]


def _ocr_direct(source: Path) -> list[str]:
    """Plain Tesseract with orientation detection, for when the `ocr` stage is not available."""
    import pytesseract
    from pdf2image import convert_from_path
    from PIL import Image, ImageSequence

    images: list[Image.Image]
    if source.is_dir():
        images = [Image.open(p) for p in sorted(source.iterdir()) if p.suffix.lower() in {".jpg", ".jpeg", ".png"}]
    elif source.suffix.lower() == ".pdf":
        images = convert_from_path(str(source), dpi=300)
    else:
        images = [frame.copy() for frame in ImageSequence.Iterator(Image.open(source))]
    texts = []
    for page in images:
        image = page.convert("L")
        try:
            angle = pytesseract.image_to_osd(image, output_type=pytesseract.Output.DICT)["rotate"]
            if angle:
                image = image.rotate(-angle, expand=True)
        except pytesseract.TesseractError:
            pass
        texts.append(pytesseract.image_to_string(image, lang="vie"))
    return texts


def _ocr_one(job: tuple[str, str, str]) -> tuple[str, list[str]]:
    source, cache, engine = Path(job[0]), Path(job[1]), job[2]
    with tempfile.TemporaryDirectory() as work:
        texts = _ocr_with_stage(source, Path(work)) if engine == "stage" else _ocr_direct(source)
    for number, text in enumerate(texts, start=1):
        (cache / f"{source.stem.split('.')[0]}.p{number:03d}.txt").write_text(text, encoding="utf-8")
    return job[0], texts


def ocr_texts(samples: Path, dossiers: list[dict], jobs: int, engine: str,
              cache_root: Path | None = None) -> dict[str, list[str]]:
    """Page texts of every dossier from `engine`, OCRing only what is not cached yet."""
    cache = (cache_root or OUT) / f"ocr-{engine}"
    cache.mkdir(parents=True, exist_ok=True)
    texts: dict[str, list[str]] = {}
    todo = []
    for dossier in dossiers:
        stem = Path(dossier["path"]).name.split(".")[0]
        files = [cache / f"{stem}.p{page['n']:03d}.txt" for page in dossier["pages"]]
        if all(f.exists() for f in files):
            texts[dossier["path"]] = [f.read_text(encoding="utf-8") for f in files]
        else:
            todo.append((str(samples / dossier["path"]), str(cache), engine))
    if todo:
        print(f"OCR ({engine}) of {len(todo)} dossiers on {jobs} processes (cached in {cache}) ...", flush=True)
        started = time.monotonic()
        with ProcessPoolExecutor(jobs) as pool:
            for source, pages in pool.map(_ocr_one, todo):
                texts[str(Path(source).relative_to(samples))] = pages
                print(f"  {Path(source).name}: {len(pages)} pages", flush=True)
        print(f"OCR took {time.monotonic() - started:.0f} s", flush=True)
    return texts


# --- evaluation ------------------------------------------------------------------------------------

def halves(dossiers: list[dict]) -> tuple[list[dict], list[dict]]:
    """Two halves with one dossier of each procedure (and half the out-of-catalog ones) in each."""
    seen: Counter[str | None] = Counter()
    first: list[dict] = []
    second: list[dict] = []
    for dossier in dossiers:
        label = dossier["procedure"]
        (first if seen[label] % 2 == 0 else second).append(dossier)
        seen[label] += 1
    return first, second


def predict(dossiers: list[dict], texts: dict[str, list[str]], catalog: Catalog, threshold: float,
            model=None) -> list[dict]:
    rows = []
    for dossier in dossiers:
        started = time.process_time()
        result: Classification = classify(texts[dossier["path"]], catalog, model=model, threshold=threshold)
        cpu = time.process_time() - started
        rows.append({"path": dossier["path"], **{k: v for k, v in result.to_dict().items() if k != "page_types"},
                     "label": dossier["procedure"], "cpu": cpu})
    return rows


def trained_predictions(dossiers: list[dict], texts: dict[str, list[str]], catalog: Catalog,
                        threshold: float) -> list[dict]:
    first, second = halves(dossiers)
    rows = []
    for train_on, test_on in ((first, second), (second, first)):
        examples = [(texts[d["path"]], d["procedure"]) for d in train_on if d["procedure"]]
        model = train(examples, catalog)
        rows += predict(test_on, texts, catalog, threshold, model)
    return rows


def expected_calibration_error(rows: list[dict], bins: int = 10) -> float:
    """ECE over all dossiers: |share right - mean confidence| per confidence bin, weighted by size.

    "Right" is the procedure filed being the label, a null answer being right for a dossier out of
    the catalog: the confidence the classifier reports is its belief in exactly that.
    """
    total = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        chosen = [r for r in rows if low <= r["confidence"] < high or (b == bins - 1 and r["confidence"] == 1)]
        if chosen:
            right = sum(r["procedure"] == r["label"] for r in chosen) / len(chosen)
            confidence = sum(r["confidence"] for r in chosen) / len(chosen)
            total += abs(right - confidence) * len(chosen) / len(rows)
    return total


def report(name: str, rows: list[dict], threshold: float, samples: Path, verbose: bool = True,
           score: bool = True) -> dict[str, float]:
    inc = [r for r in rows if r["label"] is not None]
    ooc = [r for r in rows if r["label"] is None]
    right = [r for r in inc if r["procedure"] == r["label"]]
    labels = sorted({r["label"] for r in inc})
    f1s = []
    for label in labels:
        tp = sum(r["procedure"] == label == r["label"] for r in rows)
        fp = sum(r["procedure"] == label != r["label"] for r in rows)
        fn = sum(r["label"] == label != r["procedure"] for r in rows)
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    auto = [r for r in inc if r["procedure"] and not r["needs_review"]]
    ooc_review = [r for r in ooc if r["needs_review"] or r["procedure"] is None]
    wrong_auto = [r for r in rows if r["procedure"] and not r["needs_review"] and r["procedure"] != r["label"]]
    broken = [r for r in rows if r["procedure"] is None and (not r["needs_review"] or len(r["top3"]) < 3)]
    cpu = sorted(r["cpu"] for r in rows)
    figures = {
        "accuracy": len(right) / max(len(inc), 1),
        "macro_f1": sum(f1s) / max(len(f1s), 1),
        "ece": expected_calibration_error(rows),
        "coverage": len(auto) / max(len(inc), 1),
        "wrong_auto": float(len(wrong_auto)),
        "ooc_to_review": len(ooc_review) / max(len(ooc), 1),
        "cpu_ms_mean": 1000 * sum(cpu) / max(len(cpu), 1),
        "cpu_ms_p95": 1000 * cpu[int(0.95 * (len(cpu) - 1))] if cpu else 0.0,
    }
    print(f"\n== {name}: {len(inc)} in-catalog, {len(ooc)} out-of-catalog dossiers")
    print(f"top-1 accuracy {figures['accuracy']:.1%} · macro-F1 {figures['macro_f1']:.3f} · "
          f"ECE {figures['ece']:.3f} · auto-filed at threshold {threshold} {figures['coverage']:.1%} · "
          f"wrong auto-filed {len(wrong_auto)} · out-of-catalog sent to review {figures['ooc_to_review']:.1%} · "
          f"null without review or top-3 {len(broken)} · CPU {figures['cpu_ms_mean']:.1f} ms/dossier "
          f"(p95 {figures['cpu_ms_p95']:.1f})")
    for r in rows if verbose else []:
        if r["procedure"] != r["label"]:
            print(f"  wrong: {r['path']} label {r['label']} → {r['procedure']} "
                  f"(conf {r['confidence']}, review {r['needs_review']}, top3 {r['top3']})")
    print("  calibration: confidence ≥ c → share right (n)")
    for c in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        chosen = [r for r in rows if r["confidence"] >= c]
        ok = sum(r["procedure"] == r["label"] for r in chosen)
        print(f"    c={c:.2f}: {ok / max(len(chosen), 1):.1%} ({len(chosen)})")
    OUT.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() else "-" for c in name).strip("-")
    path = OUT / f"predictions-{slug}.jsonl"
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "label"}, ensure_ascii=False) + "\n"
                            for r in rows), encoding="utf-8")
    if SCORER.exists() and score:
        print(f"  score_classify.py on {path.relative_to(ROOT)}:")
        scored = subprocess.run([sys.executable, str(SCORER), "--manifest", str(samples / "manifest.json"),
                                 "--predictions", str(path)], capture_output=True, text=True, check=False)
        print("    " + (scored.stdout + scored.stderr).strip().replace("\n", "\n    "))
    return figures


def generated(catalog: Catalog, seed: int, noise: float) -> tuple[list[dict], dict[str, list[str]]]:
    """Dossiers rendered from the catalog by the tests' generator, with the benchmark's own seed."""
    from tests.procedures.variants import render

    dossiers, texts = [], {}
    for n, dossier in enumerate(render(catalog, seed=seed, per_procedure=6, noise=noise, out_of_catalog=12)):
        path = f"generated/{seed}/{n:04d}-{dossier.variant}"
        dossiers.append({"path": path, "procedure": dossier.label})
        texts[path] = dossier.pages
    return dossiers, texts


def national_catalog(reference: Catalog) -> Catalog | None:
    """The reference catalog with the national export imported as a province would (None if absent)."""
    if not NATIONAL.exists():
        return None
    started = time.process_time()
    report = import_report(NATIONAL, reference)
    print(f"imported {NATIONAL.name}: {report.added} added, {report.updated} updated, "
          f"{len(report.conflicts)} code conflicts, {len(report.duplicates)} duplicates "
          f"({time.process_time() - started:.1f} s CPU)")
    return report.catalog


def national_only() -> Catalog | None:
    """The national export imported into an empty catalog: no curated titles, the portal's wording alone."""
    if not NATIONAL.exists():
        return None
    return import_report(NATIONAL, Catalog()).catalog


def relabel(dossiers: list[dict], reference: Catalog, catalog: Catalog) -> list[dict]:
    """The dossiers whose procedure `catalog` holds, labelled with its id for it.

    A reference entry is found in another catalog by its id when the names agree, else by its
    name (the shipped 1.000010 is the portal's 3.000347 "Đổi giấy phép lái xe"); dossiers of
    procedures the other catalog lacks (ministries missing from the national crawl) are left out.
    """
    from rapidfuzz import fuzz

    from procedures import fold_key

    by_name = {fold_key(p.name.removeprefix("Thủ tục ")): p.id for p in catalog}
    kept = []
    for dossier in dossiers:
        label = dossier["procedure"]
        if label is None:
            kept.append(dossier)
            continue
        entry, there = reference.get(label), catalog.get(label)
        if entry and there and fuzz.token_set_ratio(fold_key(entry.name), fold_key(there.name)) >= 80:
            kept.append(dossier)
        elif entry and fold_key(entry.name) in by_name:
            kept.append({**dossier, "procedure": by_name[fold_key(entry.name)]})
    return kept


CALIBRATION_SEEDS = (101, 102, 103)


def fit_calibration(catalogs: dict[str, Catalog], reference: Catalog) -> None:
    """Fit the confidence map on generated dossiers of seeds used nowhere else, and ship it."""
    from procedures.calibration import IDENTITY, SHIPPED_CALIBRATION, fit
    from procedures.classify import filing_kind

    samples = []
    for catalog in catalogs.values():
        for seed in CALIBRATION_SEEDS:
            for noise in (0.0, 0.03, 0.06):
                dossiers, texts = generated(reference, seed, noise)
                if catalog is not reference:
                    dossiers = relabel(dossiers, reference, catalog)
                for dossier in dossiers:
                    result = classify(texts[dossier["path"]], catalog, calibration=IDENTITY)
                    samples.append((result.confidence, result.procedure is not None,
                                    result.procedure == dossier["procedure"], filing_kind(result.evidence)))
    calibration = fit(samples)
    target = ROOT / "procedures" / "data" / SHIPPED_CALIBRATION
    header = (f"# Fitted by `python -m bench.classify --fit-calibration` on {len(samples)} generated dossiers\n"
              f"# (seeds {CALIBRATION_SEEDS}, clean and two OCR-noise rates, every catalog of the run):\n"
              "# raw → calibrated.\n")
    target.write_text(header + calibration.to_yaml(), encoding="utf-8")
    print(f"calibration fitted on {len(samples)} dossiers, written to {target.relative_to(ROOT)}:")
    print(calibration.to_yaml())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument("--truth-only", action="store_true", help="skip OCR; ground-truth texts only")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--engine", choices=("stage", "tesseract"), default="stage",
                        help="OCR through the ocr stage (default) or plain Tesseract")
    parser.add_argument("--ocr-cache", type=Path, default=None,
                        help="directory to keep OCR texts in across runs (default bench/out)")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the generated dossiers (tests use others)")
    parser.add_argument("--no-trained", action="store_true", help="zero-shot runs only")
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    parser.add_argument("--fit-calibration", action="store_true",
                        help="refit procedures/data/calibration.yaml on generated dossiers first")
    args = parser.parse_args()
    manifest = json.loads((args.samples / "manifest.json").read_text(encoding="utf-8"))
    samples = manifest["dossiers"]
    reference = load_catalog()
    sources: dict[str, tuple[list[dict], dict[str, list[str]]]] = {
        "samples truth": (samples, {d["path"]: [(args.samples / p["truth"]).read_text(encoding="utf-8")
                                                for p in d["pages"]] for d in samples})}
    if not args.truth_only:
        engine = args.engine if args.engine == "tesseract" or stage_available() else "tesseract"
        sources[f"samples OCR ({engine})"] = (samples, ocr_texts(args.samples, samples, args.jobs, engine,
                                                                        args.ocr_cache))
    sources["generated clean"] = generated(reference, args.seed, 0.0)
    sources["generated OCR-noisy"] = generated(reference, args.seed + 1, 0.04)
    catalogs = {"21 procedures": reference}
    national = national_catalog(reference)
    if national is not None:
        catalogs[f"national {len(national)}"] = national
    portal = national_only()
    if portal is not None:
        catalogs[f"national only {len(portal)} (no curated titles)"] = portal
    if args.fit_calibration:
        fit_calibration(catalogs, reference)
    summary = {}
    for catalog_name, catalog in catalogs.items():
        classify(["warm-up"], catalog)  # the catalog's index is built once, not per dossier
        for source, (dossiers, texts) in sources.items():
            if catalog is not reference:
                # The sample "nhận cha, mẹ, con" form is out of the reference catalog only: the
                # national one holds that procedure, so it is no out-of-catalog case there.
                dossiers = [d for d in dossiers if d.get("ooc_kind") != "nhan_cha_me_con"]
            if catalog is portal:
                dossiers = relabel(dossiers, reference, catalog)
            runs = {"zero-shot": lambda d=dossiers, t=texts, c=catalog: predict(d, t, c, args.threshold)}
            if not args.no_trained:
                runs["trained on halves"] = lambda d=dossiers, t=texts, c=catalog: trained_predictions(
                    d, t, c, args.threshold)
            for run, rows_of in runs.items():
                name = f"{catalog_name}, {source}, {run}"
                summary[name] = report(name, rows_of(), args.threshold, args.samples, verbose=args.verbose,
                                       score=source.startswith("samples") and catalog is reference)
    print("\n== summary (top-1, macro-F1, ECE, coverage at threshold, wrong auto-filed, "
          "out-of-catalog to review, CPU ms per dossier)")
    for name, f in summary.items():
        print(f"{name:58s} top-1 {f['accuracy']:6.1%}  F1 {f['macro_f1']:.3f}  ECE {f['ece']:.3f}  "
              f"auto {f['coverage']:6.1%}  wrong-auto {f['wrong_auto']:.0f}  ooc-review {f['ooc_to_review']:6.1%}  "
              f"CPU {f['cpu_ms_mean']:5.1f} ms")


if __name__ == "__main__":
    main()
