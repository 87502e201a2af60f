"""Vietnamese text as sohoa stores it: NFC, and legacy TCVN3/VNI text layers turned into Unicode.

Before Unicode, Vietnamese offices typed in TCVN3 (ABC: ".VnTime" fonts, one byte per accented
letter) or VNI (base letter followed by a mark byte). A PDF printed from such a document has a
text layer that reads as Latin-1 gibberish ("Céng hßa x· héi", "Coäng hoøa xaõ hoäi"): the text is
there but no search finds it. `legacy_encoding` recognizes both; `normalize_text` repairs them.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

# TCVN3 (ABC) code points, read as Latin-1, to the letters they stand for.
_TCVN3 = dict(zip(
    [*range(0xA1, 0xAF), *range(0xB5, 0xBA), *range(0xBB, 0xBF), *range(0xC6, 0xCD), *range(0xCE, 0xD9),
     *range(0xDC, 0xE0), *range(0xE1, 0xF0), *range(0xF1, 0xFF)],
    "ĂÂÊÔƠƯĐăâêôơưđàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ",
    strict=True,
))
_TCVN3_TABLE = str.maketrans(_TCVN3)

_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
# VNI mark bytes that follow a base vowel, and the combining marks they add.
_VNI_MARKS = {
    "ù": _ACUTE, "ø": _GRAVE, "û": _HOOK, "õ": _TILDE, "ï": _DOT,
    "á": _CIRCUMFLEX + _ACUTE, "à": _CIRCUMFLEX + _GRAVE, "å": _CIRCUMFLEX + _HOOK,
    "ã": _CIRCUMFLEX + _TILDE, "ä": _CIRCUMFLEX + _DOT, "â": _CIRCUMFLEX,
    "é": _BREVE + _ACUTE, "è": _BREVE + _GRAVE, "ú": _BREVE + _HOOK, "ü": _BREVE + _TILDE,
    "ë": _BREVE + _DOT, "ê": _BREVE,
}
_VNI_MARKS |= {k.upper(): v for k, v in _VNI_MARKS.items()}
# VNI bytes that are letters by themselves.
_VNI_LETTERS = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị"}
_VNI_LETTERS |= {k.upper(): v.upper() for k, v in _VNI_LETTERS.items()}
_VNI_VOWELS = set("aeouyAEOUYơưƠƯ")

# Latin-1 letters that Vietnamese itself uses; every other byte of 0xA1-0xFF in a "Vietnamese"
# text is the fingerprint of a legacy encoding read as Latin-1.
_VIETNAMESE_LATIN1 = set("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
_LEGACY_CHARS = {chr(c) for c in range(0xA1, 0x100)} - _VIETNAMESE_LATIN1 - {"°", "²", "³"}
_UNICODE_ONLY = re.compile("[ăĂđĐơƠưƯĩĨũŨ\u1ea0-\u1ef9]")
_WORD = re.compile(r"\S+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\u200b\ufeff]")
_LIGATURES = str.maketrans({"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl"})


def legacy_encoding(text: str) -> str | None:
    """"tcvn3" or "vni" when the text is Vietnamese typed in that legacy encoding, else None.

    A text is called legacy when at least a tenth of its non-ASCII words carry bytes Vietnamese
    never uses, and it holds fewer genuine Unicode Vietnamese words than legacy ones (so one stray
    "©" in a Unicode document changes nothing). VNI puts its mark bytes right after a vowel
    ("hoøa"); TCVN3 puts its letters where the vowel is ("hßa"): that decides which.
    """
    words = _WORD.findall(text)
    non_ascii = [w for w in words if not w.isascii()]
    legacy = [w for w in non_ascii if any(c in _LEGACY_CHARS for c in w)]
    unicode_words = sum(1 for w in non_ascii if _UNICODE_ONLY.search(w))
    if len(legacy) < 3 or len(legacy) < 0.1 * len(non_ascii) or unicode_words >= len(legacy):
        return None
    marks = after_vowel = 0
    for word in legacy:
        for before, char in itertools.pairwise(word):
            if char in _LEGACY_CHARS or char in _VNI_MARKS:
                marks += 1
                after_vowel += before in _VNI_VOWELS
    return "vni" if after_vowel > 0.5 * max(marks, 1) else "tcvn3"


def decode_tcvn3(text: str) -> str:
    """TCVN3 text read as Latin-1, as Unicode NFC."""
    return unicodedata.normalize("NFC", text.translate(_TCVN3_TABLE))


def decode_vni(text: str) -> str:
    """VNI text read as Latin-1, as Unicode NFC."""
    out: list[str] = []
    for char in text:
        previous = out[-1] if out else ""
        if char in _VNI_MARKS and previous in _VNI_VOWELS:
            out[-1] = previous + _VNI_MARKS[char]
        else:
            out.append(_VNI_LETTERS.get(char, char))
    return unicodedata.normalize("NFC", "".join(out))


def normalize_text(text: str) -> str:
    """NFC text without control characters or ligatures, legacy encodings decoded.

    Trailing spaces are dropped from lines and runs of blank lines squeezed to one, so the text
    compares and indexes the same however the recognizer laid it out.
    """
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text).translate(_LIGATURES))
    encoding = legacy_encoding(text)
    if encoding == "tcvn3":
        text = decode_tcvn3(text)
    elif encoding == "vni":
        text = decode_vni(text)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
