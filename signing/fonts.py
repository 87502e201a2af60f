"""A Vietnamese-capable font for signature stamps, parsed once and shared by every signature.

pyHanko's built-in font (Courier, WinAnsi) has no Vietnamese letters, so stamps embed an OpenType
font. Two things are handled here:

* pyHanko 0.38 writes glyph widths in the font's raw units, which is only right for fonts on a
  1000-unit em. Fonts on a 2048-unit em (DejaVu, Liberation, Times New Roman) would come out about
  twice too wide, so they are rescaled to 1000 units before use.
* Parsing and subsetting a 500 KB font for every signature costs more than the signature itself.
  The font is cut down once to the characters stamps can contain (ASCII and Vietnamese) and kept in
  memory; each document embeds that small font as is.
"""

from __future__ import annotations

import io
import unicodedata
import zlib
from functools import cache
from pathlib import Path
from typing import cast

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator
from pyhanko.pdf_utils.writer import BasePdfFileWriter

NOTO_SANS = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
"""The default: free, on a 1000-unit em, and with every Vietnamese letter."""

PDF_UNITS_PER_EM = 1000

_VIETNAMESE_BASE = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng


def stamp_characters() -> str:
    """Every character a stamp may print: printable ASCII plus Vietnamese letters in both cases."""
    letters = set(_VIETNAMESE_BASE)
    for base in "aăâeêioôơuưy":
        letters.update(unicodedata.normalize("NFC", base + mark) for mark in _TONE_MARKS)
    letters |= {c.upper() for c in letters}
    return "".join(sorted(set(map(chr, range(0x20, 0x7F))) | letters | set("–—‘’“”…·°")))


@cache
def _prepared_font_bytes(path: Path) -> bytes:
    font = TTFont(str(path))
    if font["head"].unitsPerEm != PDF_UNITS_PER_EM:
        scale_upem(font, PDF_UNITS_PER_EM)
    options = subset.Options(layout_closure=False, notdef_outline=True, name_IDs=["*"])
    options.drop_tables += ["DSIG", "FFTM"]  # signature and FontForge timestamp: not needed in a PDF
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(text=stamp_characters())
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@cache
def _compressed_font_file(path: Path) -> bytes:
    return zlib.compress(_prepared_font_bytes(path))


class _PrecutCIDFont(CIDFontType2):
    """A TrueType CID font whose font file is the cut's bytes, compressed once for every document.

    pyHanko re-serializes the font with fontTools and compresses it for each document it embeds
    it in (~0.1 s a signature); the cut never changes, so its compressed bytes are reused.
    """

    font_file: bytes

    def set_font_file(self, writer: BasePdfFileWriter):
        stream = generic.StreamObject({generic.NameObject("/Filter"): generic.NameObject("/FlateDecode")},
                                      encoded_data=self.font_file)
        ref = writer.add_object(stream)
        self._font_descriptor[generic.NameObject("/FontFile2")] = ref
        return ref


class _PrecutGlyphAccumulator(GlyphAccumulator):
    """Embeds the already-cut Vietnamese font whole instead of subsetting it again per document.

    The cut holds ~240 glyphs (about 40 KB); a fontTools subset of it for every signature costs
    ~20 ms for a saving of a few KB, so the batch skips it, and embeds the cut's bytes as they are.
    """

    def __init__(self, *args, font_file: bytes, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        font = self.cidfont_obj
        if type(font) is CIDFontType2:
            font.__class__ = _PrecutCIDFont
            precut = cast(_PrecutCIDFont, font)  # what the line above made it
            precut.font_file = font_file

    def _extract_subset(self, options: subset.Options | None = None) -> None:
        return None


class StampFont(FontEngineFactory):
    """A pyHanko font factory over an in-memory, 1000-unit-em Vietnamese cut of `path`."""

    def __init__(self, path: Path = NOTO_SANS, size: int = 10) -> None:
        self.path = Path(path)
        self.size = size
        self._bytes = _prepared_font_bytes(self.path)

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream=None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return _PrecutGlyphAccumulator(writer=writer, font_handle=io.BytesIO(self._bytes), font_size=self.size,
                                       bcp47_lang_code="vi", obj_stream=obj_stream,
                                       font_file=_compressed_font_file(self.path))
