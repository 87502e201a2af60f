"""Preservation metadata (PREMIS 3): every file with its fixity, every event of the dossier with its agents.

The events come from the register's history (ingestion with the checksums taken when the scans were
stored, OCR, classification, each signature and its validation), so an archive sees what happened to
the dossier, when, and by whom, without access to sohoa.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from archive.facts import Agent, PremisEvent
from archive.xml import PREMIS, XSI, q, sub, timestamp, to_bytes

FILE_NAME = "premis.xml"
IDENTIFIER_TYPE = "local"


@dataclass(frozen=True)
class PremisObject:
    """A file of the package as PREMIS describes it: `path` is its path inside the package."""

    path: str
    original_name: str
    media_type: str
    sha256: str
    size: int


def premis_xml(objects: list[PremisObject], events: list[PremisEvent], agents: list[Agent]) -> bytes:
    root = ET.Element(q(PREMIS, "premis"), {"version": "3.0"})
    for obj in objects:
        element = sub(root, q(PREMIS, "object"), **{q(XSI, "type"): "premis:file"})
        _identifier(element, "objectIdentifier", obj.path)
        characteristics = sub(element, q(PREMIS, "objectCharacteristics"))
        sub(characteristics, q(PREMIS, "compositionLevel"), "0")
        fixity = sub(characteristics, q(PREMIS, "fixity"))
        sub(fixity, q(PREMIS, "messageDigestAlgorithm"), "SHA-256")
        sub(fixity, q(PREMIS, "messageDigest"), obj.sha256.lower())
        sub(fixity, q(PREMIS, "messageDigestOriginator"), "sohoa")
        sub(characteristics, q(PREMIS, "size"), str(obj.size))
        designation = sub(sub(characteristics, q(PREMIS, "format")), q(PREMIS, "formatDesignation"))
        sub(designation, q(PREMIS, "formatName"), obj.media_type)
        sub(element, q(PREMIS, "originalName"), obj.original_name)
    for event in events:
        element = sub(root, q(PREMIS, "event"))
        _identifier(element, "eventIdentifier", event.identifier)
        sub(element, q(PREMIS, "eventType"), event.event_type)
        sub(element, q(PREMIS, "eventDateTime"), timestamp(event.at))
        sub(sub(element, q(PREMIS, "eventDetailInformation")), q(PREMIS, "eventDetail"), event.detail)
        outcome = sub(element, q(PREMIS, "eventOutcomeInformation"))
        sub(outcome, q(PREMIS, "eventOutcome"), event.outcome)
        if event.outcome_detail:
            sub(sub(outcome, q(PREMIS, "eventOutcomeDetail")), q(PREMIS, "eventOutcomeDetailNote"),
                event.outcome_detail)
        for agent_id, role in event.agents:
            link = sub(element, q(PREMIS, "linkingAgentIdentifier"))
            sub(link, q(PREMIS, "linkingAgentIdentifierType"), IDENTIFIER_TYPE)
            sub(link, q(PREMIS, "linkingAgentIdentifierValue"), agent_id)
            sub(link, q(PREMIS, "linkingAgentRole"), role)
        for path in event.objects:
            link = sub(element, q(PREMIS, "linkingObjectIdentifier"))
            sub(link, q(PREMIS, "linkingObjectIdentifierType"), IDENTIFIER_TYPE)
            sub(link, q(PREMIS, "linkingObjectIdentifierValue"), path)
    for agent in agents:
        element = sub(root, q(PREMIS, "agent"))
        _identifier(element, "agentIdentifier", agent.identifier)
        sub(element, q(PREMIS, "agentName"), agent.name)
        sub(element, q(PREMIS, "agentType"), agent.kind)
        if agent.version:
            sub(element, q(PREMIS, "agentVersion"), agent.version)
    return to_bytes(root)


def _identifier(parent: ET.Element, tag: str, value: str) -> None:
    identifier = sub(parent, q(PREMIS, tag))
    sub(identifier, q(PREMIS, f"{tag}Type"), IDENTIFIER_TYPE)
    sub(identifier, q(PREMIS, f"{tag}Value"), value)
