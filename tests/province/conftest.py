from tests.province.handoff import handoff  # noqa: F401  (the fixture, shared with tests/workers)
