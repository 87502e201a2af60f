"""Names of dropped files: which ones to wait for, which ones are hostile.

Scanner software and copy tools write under temporary names (`.part`, `~$x`, hidden dot-files) and
rename when done; those are never taken. Names with control characters, path separators or absurd
lengths could break paths, logs or object keys downstream, so they are refused outright.
"""

from __future__ import annotations

import unicodedata

from ingest.rejection import Rejected

TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".filepart", "~")
MAX_NAME_BYTES = 200


def is_temporary(name: str) -> bool:
    """True for files still being written under a temporary name: wait for the rename."""
    lower = name.lower()
    return name.startswith((".", "~$")) or lower.endswith(TEMPORARY_SUFFIXES)


def check_name(name: str) -> None:
    """Refuse names that are unsafe to carry into paths, keys and logs."""
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise Rejected("name-too-long",
                       f"The file name is longer than {MAX_NAME_BYTES} bytes. Rename it shorter and drop it again.",
                       f"Tên tệp dài quá {MAX_NAME_BYTES} byte. Hãy đổi tên ngắn hơn rồi đặt lại vào thư mục.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in name) or "\\" in name or "/" in name:
        raise Rejected("hostile-name",
                       "The file name contains control characters or path separators. Rename it and drop it again.",
                       "Tên tệp chứa ký tự điều khiển hoặc dấu phân cách đường dẫn. Hãy đổi tên rồi đặt lại.")
