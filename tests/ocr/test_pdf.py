"""PDF in and out: text layers kept or redone, and the PDF/A copy whose text pdftotext can read."""

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest
from rapidfuzz.distance import Levenshtein

from ocr.pages import split_pages
from ocr.pdf import PdfMetadata, write_searchable_pdf
from ocr.pdfa import pdfa_problems
from ocr.recognize import OcrOptions, recognize_page, recognize_pages
from tests.ocr.scans import DPI, PROSE, degrade, render, save

TCVN3 = ["Céng hßa x· héi chñ nghÜa ViÖt Nam", "§éc lËp - Tù do - H¹nh phóc",
         "ñy ban nh©n d©n ph­êng tiÕp nhËn hå s¬ ®¨ng ký"]


def _pdf_with_text(image: Path, out: Path, lines: list[str]) -> Path:
    """A scan page whose text layer says `lines` in a Latin-1 font, as old TCVN3 documents do."""
    pdf = pikepdf.new()
    width, height = 8.27 * 72, 5.5 * 72
    jpeg = pdf.make_stream(image.read_bytes(), Filter=pikepdf.Name.DCTDecode, Type=pikepdf.Name.XObject,
                           Subtype=pikepdf.Name.Image, Width=int(8.27 * DPI), Height=int(5.5 * DPI),
                           ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8)
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica,
                              Encoding=pikepdf.Name.WinAnsiEncoding)
    text = b"".join(b"(" + line.encode("latin-1") + b") Tj 0 -20 Td " for line in lines)
    content = b"q %f 0 0 %f 0 0 cm /Im0 Do Q BT 3 Tr /F1 12 Tf 36 340 Td " % (width, height) + text + b"ET"
    pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, width, height], Contents=pdf.make_stream(content),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=jpeg), Font=pikepdf.Dictionary(F1=font)))))
    pdf.save(out)
    return out


def test_scanned_pdf_page_image_is_taken_out_without_rasterizing(tmp_path: Path):
    image = save(degrade(render(PROSE)), tmp_path / "scan.jpg", quality=70)
    pdf = _pdf_with_text(image, tmp_path / "scan.pdf", [])
    [page] = split_pages([pdf], tmp_path / "work")
    assert page.path.read_bytes() == image.read_bytes() and round(page.dpi) == DPI and page.text_layer is None


def test_good_text_layer_is_kept_without_ocr(tmp_path: Path):
    good = tmp_path / "good"
    subprocess.run(["tesseract", str(save(render(PROSE), tmp_path / "src.png")), str(good), "-l", "vie", "pdf"],
                   check=True, capture_output=True, env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"})
    [page] = split_pages([good.with_suffix(".pdf")], tmp_path / "work")
    result = recognize_page(page)
    assert result.source == "text_layer" and result.words == () and result.seconds < 2
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in result.text


def test_tcvn3_text_layer_is_detected_and_the_page_ocred(tmp_path: Path):
    image = save(degrade(render(PROSE[:3])), tmp_path / "scan.jpg", quality=80)
    [page] = split_pages([_pdf_with_text(image, tmp_path / "old.pdf", TCVN3)], tmp_path / "work")
    assert page.text_layer and "Céng" in page.text_layer
    result = recognize_page(page, OcrOptions(text_pdf=False))
    assert result.source == "ocr" and result.text_layer_issue == "legacy encoding (TCVN3)"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in result.text


@pytest.mark.slow
def test_pdfa_copy_validates_and_its_text_layer_is_the_ocr_text(tmp_path: Path):
    upright = save(degrade(render(PROSE), skew=0.8), tmp_path / "a.jpg", quality=75)
    turned = save(degrade(render(PROSE[:4]).rotate(180), seed=3), tmp_path / "b.png")
    blank = save(degrade(render([])), tmp_path / "c.png")
    pages = split_pages([upright, turned, blank], tmp_path / "work")
    results = recognize_pages(pages)
    out = tmp_path / "copy.pdf"
    write_searchable_pdf(pages, results, out, PdfMetadata(title="Hồ sơ H57.132-260804-0583",
                                                          dossier_code="H57.132-260804-0583", agency="UBND xã"))
    assert pdfa_problems(out) == []
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 3 and pdf.pages[1].obj.Rotate == 180
        meta = pdf.open_metadata()
        assert meta["dc:identifier"] == "H57.132-260804-0583" and meta["pdfaid:part"] == "2"
        original = pdf.pages[0].get_images()["/Im0"].read_raw_bytes()
    assert original == upright.read_bytes()  # the scan is archived as it came, not re-encoded
    for number, result in enumerate(results[:2], start=1):
        extracted = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(out), "-"],
                                   capture_output=True, text=True, check=True).stdout
        a, b = " ".join(result.text.split()), " ".join(extracted.split())
        assert Levenshtein.distance(a, b) / len(a) < 0.02


def test_pdf_checker_catches_a_plain_pdf(tmp_path: Path):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    buffer = io.BytesIO()
    pdf.save(buffer)
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(buffer.getvalue())
    problems = pdfa_problems(plain)
    assert any(p.startswith("ISO_19005_2:6.6.2.1-1 ") and "no /Metadata" in p for p in problems)
    assert any("OutputIntents" in p for p in problems)
