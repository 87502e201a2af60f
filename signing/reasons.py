"""Verdicts and their reasons, in words a clerk, a citizen or a judge can read, Vietnamese first.

Every reason has a stable machine code (`Reason`, shown by `--json`) and one sentence in each
language. The codes are what scripts and the register rely on; the sentences may be reworded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """What a verifier says of a signature, and of the whole file (the worst of its signatures)."""

    VALID = "valid"
    INVALID = "invalid"
    INDETERMINATE = "indeterminate"  # nothing is known to be wrong, but something could not be checked


class Reason(StrEnum):
    """Why a signature or a file is not valid. Stable codes: add new ones, never rename."""

    NO_SIGNATURE = "no_signature"
    CONTENT_MISMATCH = "content_mismatch"
    SIGNATURE_MALFORMED = "signature_malformed"
    SIGNATURE_INVALID = "signature_invalid"
    UNTRUSTED = "untrusted"
    SELF_SIGNED = "self_signed"
    EXPIRED = "certificate_expired"
    NOT_YET_VALID = "certificate_not_yet_valid"
    REVOKED = "certificate_revoked"
    REVOCATION_UNCHECKED = "revocation_unchecked"
    KEY_USAGE = "key_usage"
    EXTENDED_KEY_USAGE = "extended_key_usage"
    WEAK_HASH = "weak_hash"
    WEAK_KEY = "weak_key"
    MODIFIED = "modified_after_signing"
    NOT_PERMITTED = "change_not_permitted"
    READERS_DISAGREE = "readers_disagree"
    DATA_AFTER_END = "data_after_end"
    NOT_A_REVISION = "signed_range_not_a_revision"
    TIMESTAMP_INVALID = "timestamp_invalid"


INDETERMINATE_REASONS = frozenset({Reason.REVOCATION_UNCHECKED})
"""Reasons that leave the verdict open instead of negative: the answer may be yes, later."""


@dataclass(frozen=True)
class Finding:
    """One reason, with its sentence in Vietnamese and in English."""

    code: Reason
    vi: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "vi": self.vi, "en": self.en}


@dataclass(frozen=True)
class Change:
    """One change made to the document after a signature, named in both languages."""

    vi: str
    en: str


def modified(changes: list[Change], *, permitted_by_signer: bool = False) -> Finding:
    """'The document was changed after it was signed: ...' with the first few changes named."""
    shown = changes[:3]
    more_vi = f" (và {len(changes) - 3} thay đổi khác)" if len(changes) > 3 else ""
    more_en = f" (and {len(changes) - 3} more)" if len(changes) > 3 else ""
    what_vi = "; ".join(c.vi for c in shown) + more_vi
    what_en = "; ".join(c.en for c in shown) + more_en
    if permitted_by_signer:
        return Finding(Reason.NOT_PERMITTED, f"Tài liệu đã bị sửa sau khi ký, điều người ký không cho phép: {what_vi}",
                       f"The document was changed after it was signed, which the signer did not allow: {what_en}")
    return Finding(Reason.MODIFIED, f"Tài liệu đã bị sửa sau khi ký: {what_vi}",
                   f"The document was changed after it was signed: {what_en}")


FINDINGS: dict[Reason, tuple[str, str]] = {
    Reason.NO_SIGNATURE: ("Tệp không có chữ ký số nào.", "The file has no signature."),
    Reason.CONTENT_MISMATCH: ("Chữ ký không khớp với nội dung: tài liệu đã bị sửa sau khi ký.",
                              "The signature does not match the content: the document was altered after signing."),
    Reason.SIGNATURE_MALFORMED: ("Chữ ký bị hỏng hoặc không đọc được.",
                                 "The signature is malformed and cannot be read."),
    Reason.SIGNATURE_INVALID: ("Chữ ký không hợp lệ về mật mã: nó không được tạo bằng khóa của chứng thư.",
                               "The signature is cryptographically invalid: it was not made with the "
                               "certificate's key."),
    Reason.UNTRUSTED: ("Chứng thư của người ký không thuộc một tổ chức chứng thực được tin cậy.",
                       "The signer's certificate does not chain to a trusted certification authority."),
    Reason.SELF_SIGNED: ("Chứng thư của người ký là chứng thư tự ký, không do tổ chức chứng thực nào cấp.",
                         "The signer's certificate is self-signed: no certification authority issued it."),
    Reason.EXPIRED: ("Chứng thư của người ký đã hết hạn.", "The signer's certificate has expired."),
    Reason.NOT_YET_VALID: ("Chứng thư của người ký chưa có hiệu lực.", "The signer's certificate is not valid yet."),
    Reason.REVOKED: ("Chứng thư của người ký đã bị thu hồi.", "The signer's certificate has been revoked."),
    Reason.REVOCATION_UNCHECKED: (
        "Không kiểm tra được chứng thư đã bị thu hồi hay chưa: OCSP/CRL không trả lời (hoặc không được hỏi, "
        "--offline) và tệp không kèm dữ liệu kiểm tra (B-LT). Chưa thể kết luận.",
        "Whether the certificate was revoked could not be checked: OCSP/CRL did not answer (or were not asked, "
        "--offline) and the file embeds no validation data (B-LT). No conclusion is possible yet."),
    Reason.KEY_USAGE: ("Chứng thư không được phép dùng để ký tài liệu (key usage không có digitalSignature "
                       "hay nonRepudiation).",
                       "The certificate may not sign documents (key usage has neither digitalSignature nor "
                       "nonRepudiation)."),
    Reason.EXTENDED_KEY_USAGE: ("Chứng thư chỉ dành cho mục đích khác (ví dụ máy chủ TLS), không để ký tài liệu.",
                                "The certificate is for other purposes only (e.g. a TLS server), not for signing "
                                "documents."),
    Reason.WEAK_HASH: ("Chữ ký hoặc chứng thư dùng thuật toán băm yếu (SHA-1 hoặc MD5), không còn an toàn.",
                       "The signature or certificate uses a weak hash algorithm (SHA-1 or MD5), no longer safe."),
    Reason.WEAK_KEY: ("Khóa của người ký quá ngắn (RSA dưới 2048 bit), không còn an toàn.",
                      "The signer's key is too short (RSA under 2048 bits), no longer safe."),
    Reason.READERS_DISAGREE: ("Cấu trúc tệp bị sắp đặt để các chương trình đọc PDF thấy những nội dung khác "
                              "nhau; nội dung hiển thị có thể không phải nội dung đã ký.",
                              "The file is arranged so that PDF readers see different contents; what a viewer "
                              "shows may not be what was signed."),
    Reason.DATA_AFTER_END: ("Có dữ liệu được thêm vào sau phần cuối của tài liệu đã ký.",
                            "Data was added after the end of the signed document."),
    Reason.NOT_A_REVISION: ("Phần được ký không phải là một phiên bản trọn vẹn của tài liệu.",
                            "The signed bytes are not a complete revision of the document."),
    Reason.TIMESTAMP_INVALID: ("Dấu thời gian không hợp lệ hoặc không được tin cậy.",
                               "The timestamp is invalid or not trusted."),
}


def finding(code: Reason, detail_vi: str = "", detail_en: str = "") -> Finding:
    """The standard sentence of `code`, with an optional detail after it."""
    vi, en = FINDINGS[code]
    return Finding(code, f"{vi} {detail_vi}".strip(), f"{en} {detail_en}".strip())


def worst(verdicts: list[Verdict]) -> Verdict:
    if Verdict.INVALID in verdicts:
        return Verdict.INVALID
    if Verdict.INDETERMINATE in verdicts:
        return Verdict.INDETERMINATE
    return Verdict.VALID
