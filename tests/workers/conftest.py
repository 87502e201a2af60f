"""The signing test PKI (certomancer's live TSA/OCSP/CRL and SoftHSM2 tokens) for result tests."""

from tests.signing.conftest import pki, tokens  # noqa: F401  (fixtures shared with tests/signing)
