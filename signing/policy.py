"""What a certificate and its algorithms must be to sign an official document, checked by sohoa itself.

pyHanko checks the cryptography and the chain; the rules below are the ones a verifier for
Vietnamese official documents defends, written out so that each refusal has its own reason
(instead of a bare "not trusted"):

* key usage must be present and include digitalSignature or nonRepudiation (an agency seal
  certificate often carries digitalSignature alone: that is enough);
* an extended key usage, where present, must include a document-signing purpose or
  anyExtendedKeyUsage. Accepted: id-kp-documentSigning (RFC 9336), Adobe Authentic Documents
  Trust, Microsoft Document Signing, and emailProtection, which the CAs licensed in Viet Nam put
  on most signing certificates that carry an EKU at all. A certificate for TLS only (serverAuth,
  clientAuth), code signing or timestamping is refused;
* no SHA-1 or MD5, in the signature or in the certificates of the chain below the root;
* RSA keys of at least 2048 bits, elliptic-curve keys of at least 256 bits.
"""

from __future__ import annotations

from asn1crypto import x509

from signing.reasons import Finding, Reason, finding

SIGNING_KEY_USAGE = frozenset({"digital_signature", "non_repudiation"})
DOCUMENT_SIGNING_EKU = frozenset({
    "1.3.6.1.5.5.7.3.36",  # id-kp-documentSigning (RFC 9336)
    "adobe_authentic_documents_trust",  # 1.2.840.113583.1.1.5
    "microsoft_document_signing",  # 1.3.6.1.4.1.311.10.3.12
    "email_protection",  # 1.3.6.1.5.5.7.3.4, see the module docstring
    "any_extended_key_usage",  # 2.5.29.37.0
})
WEAK_HASHES = frozenset({"md2", "md5", "sha1"})
MIN_RSA_BITS, MIN_EC_BITS = 2048, 256


def certificate_findings(cert: x509.Certificate) -> list[Finding]:
    """Why `cert` may not sign an official document, or [] when it may."""
    findings = []
    usage = cert.key_usage_value
    if usage is None or not (set(usage.native) & SIGNING_KEY_USAGE):
        have = ", ".join(sorted(usage.native)) if usage is not None else "không có / none"
        findings.append(finding(Reason.KEY_USAGE, f"Chứng thư có: {have}.", f"The certificate has: {have}."))
    extended = cert.extended_key_usage_value
    if extended is not None and not (set(extended.native) & DOCUMENT_SIGNING_EKU):
        have = ", ".join(sorted(extended.native))
        findings.append(finding(Reason.EXTENDED_KEY_USAGE, f"Mục đích ghi trong chứng thư: {have}.",
                                f"Purposes in the certificate: {have}."))
    findings.extend(key_findings(cert))
    return findings


def key_findings(cert: x509.Certificate) -> list[Finding]:
    """A key too short to be trusted today."""
    key = cert.public_key
    bits = key.bit_size
    if (key.algorithm == "rsa" and bits < MIN_RSA_BITS) or (key.algorithm == "ec" and bits < MIN_EC_BITS):
        return [finding(Reason.WEAK_KEY, f"Khóa {key.algorithm.upper()} {bits} bit.",
                        f"{key.algorithm.upper()} key of {bits} bits.")]
    return []


def hash_findings(signature_digest: str, chain: list[x509.Certificate]) -> list[Finding]:
    """SHA-1/MD5 as the signature's digest, or in a certificate below the trust anchor."""
    weak = []
    if signature_digest.lower() in WEAK_HASHES:
        weak.append(f"chữ ký dùng {signature_digest.upper()}")
    for cert in chain:
        if cert.self_signed == "no" and cert.hash_algo in WEAK_HASHES:
            weak.append(f"{cert.subject.human_friendly}: {cert.hash_algo.upper()}")
    if not weak:
        return []
    detail = "; ".join(weak)
    return [finding(Reason.WEAK_HASH, f"({detail})", f"({detail.replace('chữ ký dùng', 'signature uses')})")]
