"""Benchmark the OCR stage against raw Tesseract and OCRmyPDF on the public samples, in one run.

    python bench/ocr.py [--samples ../shared/samples] [--limit N] [--jobs 2] [--no-ocrmypdf]

All three read the same page images (as `split_pages` prepares them; OCRmyPDF gets them wrapped
in a PDF by img2pdf, untimed), with one Tesseract thread per process and `--jobs` processes.
Ratios are only meaningful within one run: other work on the machine slows all three alike. A
shared virtual machine's speed also drifts by 10% from one minute to the next, so sohoa and raw
Tesseract are run `--repeat` times in turn and each is timed by its fastest run, as timeit does.
Prints CER (all / forms / prose = supporting + other / receipt slips), diacritics-blind CER, WER,
pages per minute and peak resident memory per OCR process.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from rapidfuzz.distance import Levenshtein

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import in_turn
from ocr.pages import PageImage, split_pages
from ocr.recognize import OcrOptions, PageResult, recognize_page

GROUPS = {"application_form": "forms", "supporting": "prose", "other": "prose", "receipt_slip": "slips"}


def _scorer(samples: Path):
    spec = importlib.util.spec_from_file_location("score_ocr", samples.parent / "tools" / "score_ocr.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _measured(page: PageImage, options: OcrOptions) -> tuple[PageResult, int]:
    """A page's result and the peak RSS (KiB) of this worker so far, Tesseract's engine included."""
    result = recognize_page(page, options)
    return result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_sohoa(pages: dict[str, PageImage], jobs: int, out: Path) -> dict:
    options = OcrOptions()
    started = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        done = list(pool.map(_measured, pages.values(), [options] * len(pages)))
    wall = time.perf_counter() - started
    for key, (result, _) in zip(pages, done, strict=True):
        (out / f"{key}.txt").write_text(result.text, encoding="utf-8")
    return {"wall": wall, "rss_mb": max(d[1] for d in done) / 1024,
            "rotated": sum(1 for d in done if d[0].rotation), "blank": sum(1 for d in done if d[0].blank)}


def run_tesseract(pages: dict[str, PageImage], jobs: int, out: Path) -> dict:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(item: tuple[str, PageImage]) -> int:
        """OCR one page; the peak RSS (KiB) of its own tesseract run, from wait4."""
        key, page = item
        run = subprocess.Popen(["tesseract", str(page.path), "-", "-l", "vie", "--dpi", str(round(page.dpi))],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        assert run.stdout is not None
        text = run.stdout.read()
        run.stdout.close()
        _, status, usage = os.wait4(run.pid, 0)
        run.returncode = os.waitstatus_to_exitcode(status)
        if run.returncode != 0:
            raise subprocess.CalledProcessError(run.returncode, run.args)
        (out / f"{key}.txt").write_text(text.decode("utf-8"), encoding="utf-8")
        return usage.ru_maxrss

    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        peaks = list(pool.map(one, pages.items()))
    return {"wall": time.perf_counter() - started, "rss_mb": max(peaks) / 1024}


def run_ocrmypdf(dossiers: dict[str, list[PageImage]], jobs: int, out: Path, work: Path) -> dict:
    import img2pdf  # OCRmyPDF's own dependency: only the benchmark needs it

    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    inputs = {}
    for stem, pages in dossiers.items():
        source = work / f"{stem}.in.pdf"
        layout = img2pdf.get_fixed_dpi_layout_fun((pages[0].dpi, pages[0].dpi))
        source.write_bytes(img2pdf.convert([str(p.path) for p in pages], layout_fun=layout))
        inputs[stem] = source
    started = time.perf_counter()
    for stem, source in inputs.items():
        sidecar = work / f"{stem}.txt"
        command = [sys.executable, "-m", "ocrmypdf", "-l", "vie", "--deskew", "--rotate-pages", "-j", str(jobs),
                   "--output-type", "pdf", "--sidecar", str(sidecar), "-q", str(source), str(work / f"{stem}.pdf")]
        subprocess.run(command, env=env, check=True, capture_output=True)
        for number, text in enumerate(sidecar.read_text(encoding="utf-8").split("\f")[:len(dossiers[stem])], 1):
            (out / f"{stem}.p{number:03d}.txt").write_text(text, encoding="utf-8")
    return {"wall": time.perf_counter() - started}


def score(scorer, truth: Path, hyp: Path, keys: list[str], kinds: dict[str, str]) -> dict:
    acc = defaultdict(lambda: [0, 0, 0, 0, 0])
    worst = (0.0, "")
    for key in keys:
        ref = scorer.normalise((truth / f"{key}.txt").read_text(encoding="utf-8"))
        path = hyp / f"{key}.txt"
        got = scorer.normalise(path.read_text(encoding="utf-8")) if path.exists() else ""
        if not ref:
            continue
        edits = Levenshtein.distance(ref, got)
        worst = max(worst, (edits / len(ref), key))
        row = [edits, len(ref), Levenshtein.distance(scorer.blind(ref), scorer.blind(got)),
               Levenshtein.distance(ref.split(), got.split()), len(ref.split())]
        for group in ("all", GROUPS.get(kinds[key], "prose")):
            acc[group] = [a + b for a, b in zip(acc[group], row, strict=True)]
    rates = {g: {"cer": r[0] / r[1], "blind": r[2] / r[1], "wer": r[3] / r[4]} for g, r in acc.items()}
    rates["worst"] = {"page": worst[1], "cer": worst[0]}
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "samples")
    parser.add_argument("--limit", type=int, default=0, help="only the first N dossiers")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-ocrmypdf", action="store_true")
    parser.add_argument("--repeat", type=int, default=2, help="runs of sohoa and raw Tesseract; the fastest counts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    scorer = _scorer(args.samples)
    manifest = json.loads((args.samples / "manifest.json").read_text(encoding="utf-8"))
    dossiers_meta = manifest["dossiers"][: args.limit or None]
    kinds = {Path(p["truth"]).stem: p["type"] for d in dossiers_meta for p in d["pages"]}
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-") as tmp:
        work = Path(tmp)
        dossiers: dict[str, list[PageImage]] = {}
        for d in dossiers_meta:
            source = args.samples / d["path"]
            stem = source.name if source.is_dir() else source.stem
            dossiers[stem] = split_pages([source], work / "pages" / stem)
        pages = {f"{stem}.p{p.number:03d}": p for stem, ps in dossiers.items() for p in ps}
        runs: dict[str, dict] = {}
        for i, name in in_turn(("sohoa", "tesseract"), args.repeat):
            out = work / f"{name}{i}"
            out.mkdir()
            info = run_sohoa(pages, args.jobs, out) if name == "sohoa" else run_tesseract(pages, args.jobs, out)
            if name not in runs:
                info["rates"] = score(scorer, args.samples / "truth", out, list(pages), kinds)
                info["walls"] = []
                runs[name] = info
            runs[name]["walls"].append(info["wall"])
            runs[name]["wall"] = min(runs[name]["walls"])
        if not args.no_ocrmypdf:
            out = work / "ocrmypdf"
            out.mkdir()
            runs["ocrmypdf"] = run_ocrmypdf(dossiers, args.jobs, out, work)
            runs["ocrmypdf"]["rates"] = score(scorer, args.samples / "truth", out, list(pages), kinds)
        for info in runs.values():
            info["pages_per_minute"] = len(pages) / info["wall"] * 60
    _report(runs, len(pages), args.json)


def _report(runs: dict, pages: int, as_json: bool) -> None:
    base = runs["sohoa"]["pages_per_minute"]
    for info in runs.values():
        info["sohoa_speed_ratio"] = base / info["pages_per_minute"]
    if as_json:
        print(json.dumps(runs, indent=2))
        return
    print(f"{pages} pages\n")
    print("| engine | CER % | forms % | prose % | slips % | blind CER % | WER % | worst page | pages/min "
          "| sohoa speed x | peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, info in runs.items():
        r = info["rates"]

        def pct(group: str, key: str = "cer", r: dict = r) -> str:
            return f"{100 * r[group][key]:.2f}" if group in r else "-"

        rss = f"{info['rss_mb']:.0f}" if "rss_mb" in info else "-"
        print(f"| {name} | {pct('all')} | {pct('forms')} | {pct('prose')} | {pct('slips')} | {pct('all', 'blind')} "
              f"| {pct('all', 'wer')} | {r['worst']['page']} {100 * r['worst']['cer']:.1f}% "
              f"| {info['pages_per_minute']:.1f} | {info['sohoa_speed_ratio']:.2f} | {rss} |")
    for name, info in runs.items():
        if len(info.get("walls", [])) > 1:
            print(f"\n{name}: seconds of each run {' '.join(f'{w:.1f}' for w in info['walls'])}, the fastest counts")
    print("\npeak RSS: sohoa's largest page process (Tesseract's engine inside it), raw Tesseract's largest run")


if __name__ == "__main__":
    main()
