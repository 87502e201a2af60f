"""Vietnamese text helpers shared by every package: NFC, diacritics folding, natural order.

Not a stage: a leaf library with no I/O, so stages may use it without importing each other.
"""

from vntext.fold import fold, has_diacritics, nfc
from vntext.order import natural_key

__all__ = ["fold", "has_diacritics", "natural_key", "nfc"]
