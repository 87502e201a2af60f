"""Archive export throughput and memory: dossiers per minute and peak memory as the count grows.

    .venv/bin/python -m bench.archive [--dossiers 200] [--pages 3]

Dossiers are registered cheaply, without OCR: each gets `--pages` scanned JPEG pages (~150 KB each,
rendered once) as originals and a digitized PDF in the local object store, the files the export
really reads, through the real register and object store. Then `workers.archive.export_dossiers`
writes one E-ARK SIP per dossier, in batches of growing size, measuring dossiers/minute and the peak
of Python allocations (tracemalloc) and of the process (ru_maxrss) after each batch. The baseline,
in the same process, copies the same files of each dossier into a folder (`shutil.copyfile`): the
floor any exporter pays. Target: >= 60 dossiers/minute on 2 cores, memory flat as the count grows.
"""

from __future__ import annotations

import argparse
import io
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pikepdf
from PIL import Image, ImageDraw

from settings import Settings
from storage.objects import sha256_file
from workers.archive import export_dossiers
from workers.services import Services


def scan_page(path: Path) -> Path:
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    for y in range(150, 2200, 40):
        draw.text((150, y), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM — TỜ KHAI ĐĂNG KÝ KHAI SINH " * 2, fill=0)
    page.save(path, "JPEG", quality=80)
    return path


def digitized_pdf(path: Path, pages: int) -> Path:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    buffer = io.BytesIO()
    pdf.save(buffer)
    path.write_bytes(buffer.getvalue() + b"\n" * 200_000)  # about the size of a two-layer copy
    return path


def register_dossiers(services: Services, count: int, pages: int, work: Path) -> list[int]:
    page, copy = scan_page(work / "page.jpg"), digitized_pdf(work / "copy.pdf", pages)
    page_sha, copy_sha = sha256_file(page), sha256_file(copy)
    register, objects, ids = services.register, services.objects, []
    for n in range(count):
        code = f"H00.99-260804-{n:04d}"
        d = register.create_dossier(fingerprint=f"{n:064d}", source_name=f"{code}.pdf", agency="H00.99",
                                    code=code, station=None, actor="bench")
        base = f"H00.99/{d.received_at:%Y/%m}/{d.id}"
        for p in range(1, pages + 1):
            key = f"{base}/original/{page_sha}-{p}.jpg"
            info = objects.put(key, page, page_sha, "image/jpeg")
            register.add_file(d.id, role="original", name=f"trang-{p}.jpg", object_key=key, sha256=info.sha256,
                              size=info.size, media_type="image/jpeg", ordinal=p)
        key = f"{base}/digitized/{code}.pdf"
        info = objects.put(key, copy, copy_sha, "application/pdf")
        register.add_file(d.id, role="digitized", name=f"{code}.pdf", object_key=key, sha256=info.sha256,
                          size=info.size, media_type="application/pdf")
        register.update(d.id, page_count=pages, state="digitized", event=("pipeline", "digitized", None))
        ids.append(d.id)
    return ids


def baseline(services: Services, ids: list[int], out: Path) -> float:
    started = time.perf_counter()
    for dossier_id in ids:
        folder = out / str(dossier_id)
        folder.mkdir(parents=True)
        for f in services.register.files(dossier_id, "original") + services.register.files(dossier_id, "digitized"):
            shutil.copyfile(services.objects.local_path(f.object_key), folder / f.name)  # type: ignore[attr-defined]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=200)
    parser.add_argument("--pages", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        services = Services(Settings(home=root / "var"))
        ids = register_dossiers(services, args.dossiers, args.pages, root)
        base = baseline(services, ids, root / "copies")
        print(f"baseline (plain file copies): {len(ids) / base * 60:,.0f} dossiers/min")
        tracemalloc.start()
        done, elapsed, out = 0, 0.0, root / "packages"
        for size in (args.dossiers // 8, args.dossiers // 8, args.dossiers // 4, args.dossiers // 2):
            batch = ids[done:done + size]
            tracemalloc.reset_peak()
            started = time.perf_counter()
            for result in export_dossiers(batch, services, out, actor="bench"):
                assert result.outcome.value == "written", result
            elapsed += time.perf_counter() - started
            done += len(batch)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"after {done:4d} dossiers: {done / elapsed * 60:6.0f} dossiers/min, "
                  f"batch peak {peak:5.1f} MiB (Python), process peak {rss:6.1f} MiB")
        print(f"export vs plain copies: {elapsed / base:.1f}x the time")


if __name__ == "__main__":
    main()
