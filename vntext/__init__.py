"""Vietnamese text helpers shared by every package: NFC and diacritics folding.

Not a stage: a leaf library with no I/O, so stages may use it without importing each other.
"""

from vntext.fold import fold, has_diacritics, nfc

__all__ = ["fold", "has_diacritics", "nfc"]
