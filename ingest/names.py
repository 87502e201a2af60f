"""Names of dropped files: which ones to wait for, which ones to ignore, which ones are hostile.

Scanner software and copy tools write under temporary names (`.part`, `~$x`, hidden dot-files) and
rename when done; those are never taken. File managers leave thumbnail caches (`Thumbs.db`,
`desktop.ini`) in folders; those are not pages. Names with control characters, path separators,
undecodable bytes or absurd lengths could break paths, logs or object keys downstream, so they are
refused outright.
"""

from __future__ import annotations

import unicodedata

from ingest.rejection import Refusal, Rejected

TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".filepart", "~")
IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db"})
MAX_NAME_BYTES = 200


def is_temporary(name: str) -> bool:
    """True for files still being written under a temporary name: wait for the rename."""
    lower = name.lower()
    return name.startswith((".", "~$")) or lower.endswith(TEMPORARY_SUFFIXES)


def is_ignored(name: str) -> bool:
    """True for what is never a page of a folder dossier: temporary names and file managers' caches."""
    return is_temporary(name) or name.lower() in IGNORED_NAMES


def name_bytes(name: str) -> bytes:
    """The name as the file system holds it (undecodable bytes included)."""
    return name.encode("utf-8", "surrogateescape")


def check_name(name: str) -> None:
    """Refuse names that are unsafe to carry into paths, keys and logs."""
    if len(name_bytes(name)) > MAX_NAME_BYTES:
        raise Rejected(Refusal.NAME_TOO_LONG,
                       f"The file name is longer than {MAX_NAME_BYTES} bytes. Rename it shorter and drop it again.",
                       f"Tên tệp dài quá {MAX_NAME_BYTES} byte. Hãy đổi tên ngắn hơn rồi đặt lại vào thư mục.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in name) or "\\" in name or "/" in name:
        raise Rejected(Refusal.HOSTILE_NAME,
                       "The file name contains control characters, undecodable bytes or path separators. "
                       "Rename it and drop it again.",
                       "Tên tệp chứa ký tự điều khiển, byte không giải mã được hoặc dấu phân cách đường dẫn. "
                       "Hãy đổi tên rồi đặt lại.")


def cut_to_bytes(name: str, limit: int) -> str:
    """`name` shortened to at most `limit` bytes of UTF-8, never splitting a letter."""
    return name_bytes(name)[:limit].decode("utf-8", "ignore")
