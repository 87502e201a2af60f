"""Why an input is refused, in plain words for the counter staff: English and Vietnamese."""

from __future__ import annotations


class Rejected(Exception):
    """An input that cannot become a dossier as it is; it goes to quarantine with this reason."""

    def __init__(self, code: str, english: str, vietnamese: str) -> None:
        super().__init__(english)
        self.code = code
        self.english = english
        self.vietnamese = vietnamese

    def text(self) -> str:
        """The content of the `.reason.txt` file left beside the quarantined input."""
        return f"{self.english}\n{self.vietnamese}\n(reason code: {self.code})\n"
