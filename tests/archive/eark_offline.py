"""Run the DILCIS board's eark-validator on one package, offline, and print its report as JSON.

Run with the interpreter of the validator's own environment (`.venv-eark`, made by scripts/install:
eark-validator pins lxml 5.1.0, pyHanko needs lxml >= 5.4). At import the validator fetches four CSIP
vocabularies from the web; they are served here from the copies the package bundles, and any other
URL is refused, so the run never touches the network.
"""

import io
import sys
import urllib.error
import urllib.request
from importlib.util import find_spec
from pathlib import Path
from urllib.response import addinfourl

VOCABULARIES = "https://earkcsip.dilcis.eu/schema/"


class BundledVocabularies(urllib.request.BaseHandler):
    handler_order = 100  # before urllib's own HTTP handlers

    def https_open(self, request: urllib.request.Request) -> addinfourl:
        url = request.full_url
        spec = find_spec("eark_validator")
        if not url.startswith(VOCABULARIES) or spec is None or spec.origin is None:
            raise urllib.error.URLError(f"offline: {url} is not a bundled vocabulary")
        folder = Path(spec.origin).parent / "ipxml" / "resources" / "vocabs"
        response = addinfourl(io.BytesIO((folder / url[len(VOCABULARIES):]).read_bytes()), {}, url, 200)
        response.msg = "OK"
        return response

    http_open = https_open


urllib.request.install_opener(urllib.request.build_opener(BundledVocabularies))

from eark_validator.packages import PackageValidator  # noqa: E402  (after the opener is in place)
from eark_validator.specifications.specification import SpecificationVersion  # noqa: E402

report = PackageValidator(Path(sys.argv[1]), SpecificationVersion(f"V{sys.argv[2]}")).validation_report
print(report.model_dump_json())
