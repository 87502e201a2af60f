"""Bring a register's schema up to date with the Alembic migrations shipped in the package.

Run at every start (it is a no-op when the schema is current), so an upgrade of sohoa never needs
a manual step; `sohoa` never creates tables any other way.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied to the database behind `engine`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
