"""The XML plumbing every metadata file of a package shares: namespaces, identifiers, dates, bytes."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import date, datetime
from zoneinfo import ZoneInfo

METS = "http://www.loc.gov/METS/"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS = "http://www.loc.gov/premis/v3"
HOSO = "urn:sohoa:xml:nd30-2020:phu-luc-vi:1"

for _prefix, _uri in {"mets": METS, "csip": CSIP, "sip": SIP, "xlink": XLINK, "xsi": XSI, "premis": PREMIS,
                      "hoso": HOSO}.items():
    ET.register_namespace(_prefix, _uri)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def q(namespace: str, name: str) -> str:
    """A qualified name as ElementTree spells it."""
    return f"{{{namespace}}}{name}"


def new_id() -> str:
    """An xsd:ID (an NCName: never starts with a digit) unique across packages, as CSIP asks."""
    return f"uuid-{str(uuid.uuid4()).upper()}"


def timestamp(moment: datetime) -> str:
    """xsd:dateTime in Vietnam time with its offset (ISO 8601, e.g. 2025-03-12T09:41:05+07:00)."""
    return moment.astimezone(VIETNAM).isoformat(timespec="seconds")


def day(value: date | None) -> str:
    return value.isoformat() if value else ""


def to_bytes(root: ET.Element) -> bytes:
    """UTF-8 with a declaration and indentation: the archivist reads these files too."""
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element
