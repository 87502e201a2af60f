"""Why an input is refused, in plain words for the counter staff: English and Vietnamese.

The reason codes are defined here once. Some refusals are also what a file still being copied
would earn (an empty file, a PDF without its end, an image that does not decode yet): those say
so with `may_be_unfinished`, and the watcher waits longer before it acts on them. Callers read
that flag, never the codes' spelling.
"""

from __future__ import annotations

from enum import StrEnum


class Refusal(StrEnum):
    """Every reason code a `.reason.txt` file or a `quarantined` event may carry."""

    EMPTY = "empty"
    TOO_LARGE = "too-large"
    UNSUPPORTED_TYPE = "unsupported-type"
    TOO_MANY_PAGES = "too-many-pages"
    ENCRYPTED = "encrypted"
    CORRUPT_PDF = "corrupt-pdf"
    INCOMPLETE_PDF = "incomplete-pdf"
    NO_PAGES = "no-pages"
    BAD_PAGE_SIZE = "bad-page-size"
    TOO_MANY_PIXELS = "too-many-pixels"
    CORRUPT_IMAGE = "corrupt-image"
    NAME_TOO_LONG = "name-too-long"
    HOSTILE_NAME = "hostile-name"
    EMPTY_FOLDER = "empty-folder"
    NESTED_FOLDER = "nested-folder"
    TOO_MANY_FILES = "too-many-files"
    LINK = "link"
    SPECIAL_FILE = "special-file"
    UNREADABLE = "unreadable"
    RESULT_REFUSED = "result-refused"


# What a copy in progress looks like when it is read too early.
MAY_BE_UNFINISHED = frozenset({Refusal.EMPTY, Refusal.CORRUPT_PDF, Refusal.INCOMPLETE_PDF, Refusal.NO_PAGES,
                               Refusal.CORRUPT_IMAGE, Refusal.EMPTY_FOLDER})


class Rejected(Exception):
    """An input that cannot become a dossier as it is; it goes to quarantine with this reason."""

    def __init__(self, code: str, english: str, vietnamese: str) -> None:
        super().__init__(english)
        self.code = Refusal(code)
        self.english = english
        self.vietnamese = vietnamese

    @property
    def may_be_unfinished(self) -> bool:
        """True when a file still being written would be refused the same way: wait before acting."""
        return self.code in MAY_BE_UNFINISHED

    def text(self) -> str:
        """The content of the `.reason.txt` file left beside the quarantined input."""
        return f"{self.english}\n{self.vietnamese}\n(reason code: {self.code})\n"

    def within(self, name: str) -> Rejected:
        """The same refusal, naming the file of a folder dossier it is about."""
        return Rejected(self.code, f"{name}: {self.english}", f"{name}: {self.vietnamese}")


def unreadable(error: BaseException) -> Rejected:
    """The refusal of an entry that could not be read at all, after it was given time to become readable."""
    detail = f"{type(error).__name__}: {error}"
    return Rejected(Refusal.UNREADABLE,
                    f"The file could not be read: {detail}. Check its permissions and drop it again.",
                    f"Không đọc được tệp: {detail}. Hãy kiểm tra quyền truy cập rồi đặt lại vào thư mục.")
