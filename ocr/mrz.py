"""Reading the machine-readable zone of an ID card by its own rules.

A Vietnamese citizen ID card (CCCD) carries on its back an ICAO 9303 TD1 zone: three lines of 30
characters from A-Z, 0-9 and the filler "<". Tesseract, trained on prose, reads that OCR-B type
with the usual look-alike slips: "I" as "T" at the start of "IDVNM...", "O" as "0" and "G" as "6"
in the name. The standard says what each place may hold, so those slips are undone here:
- every line holds only the MRZ alphabet (stray marks go);
- the document code, the first character, is I, A or C, so a "T" there is an "I";
- the name line holds letters only, so a digit there is the letter it looks like;
- the name line spells, without marks, the name printed on the card, so a name part that is not on
  the page but becomes a word of the page when look-alikes are swapped, or a stray letter is
  dropped, takes that spelling.
"""

from __future__ import annotations

import itertools
import re

from vntext.fold import fold

WIDTH = 30  # characters on each line of a TD1 zone
ALPHABET = re.compile(r"[^A-Z0-9<]")
DIGIT_AS_LETTER = str.maketrans("012568", "OIZSGB")
LOOK_ALIKES = {"T": "I", "I": "T", "O": "D", "D": "O"}
SHAPE = re.compile(rf"^[A-Z0-9<]{{{WIDTH - 3},{WIDTH + 3}}}$")


def fix_mrz(text: str) -> str:
    """The page text with every TD1 machine-readable zone in it read by the zone's rules."""
    lines = text.split("\n")
    clean = [ALPHABET.sub("", line.replace(" ", "")) for line in lines]
    shaped = [bool(SHAPE.match(line)) and "<" in line for line in clean]
    zones = [i for i in range(len(lines) - 2) if all(shaped[i:i + 3])]
    if not zones:
        return text
    printed = fold(" ".join(line for line, in_zone in zip(lines, shaped, strict=True) if not in_zone)).upper()
    page_words = {word for word in re.split(r"[^A-Z]+", printed) if len(word) > 1}
    for i in zones:
        first, second, name = clean[i:i + 3]
        if first.startswith("T"):
            first = "I" + first[1:]
        name = name.translate(DIGIT_AS_LETTER)
        name = "<".join(_as_printed(part, page_words) for part in name.split("<"))
        lines[i:i + 3] = [first, second, name]
    return "\n".join(lines)


def _as_printed(part: str, page_words: set[str]) -> str:
    """The name part, or the spelling printed on the page that it becomes by swapping up to two
    look-alikes or dropping one stray letter."""
    if not part or part in page_words:
        return part
    places = [k for k, char in enumerate(part) if char in LOOK_ALIKES]
    candidates = [part[:k] + part[k + 1:] for k in range(len(part))]
    for count in (1, 2):
        for chosen in itertools.combinations(places, count):
            letters = list(part)
            for k in chosen:
                letters[k] = LOOK_ALIKES[letters[k]]
            candidates.append("".join(letters))
    return next((candidate for candidate in candidates if candidate in page_words), part)
