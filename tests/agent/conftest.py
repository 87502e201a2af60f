"""The signing test PKI and SoftHSM2 tokens (tests/signing), and a paired agent in another process."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from signing.remote import AgentClient
from tests.agent.running import SITE, RunningAgent, running_agent
from tests.signing.conftest import pki, tokens  # noqa: F401  (fixtures shared with tests/signing)


@pytest.fixture
def agent(tokens: dict[str, str], tmp_path: Path) -> Iterator[RunningAgent]:  # noqa: F811
    """An agent started for SITE for the first time: not paired yet, its pairing code on its terminal."""
    with running_agent(tmp_path / "config", env=tokens) as running:
        yield running


@pytest.fixture
def client(agent: RunningAgent) -> AgentClient:
    """The site's page, paired with the agent by the code the agent showed."""
    client = AgentClient(agent.url, origin=SITE)
    assert agent.code is not None
    client.pair(agent.code)
    return client
