"""Storage tests run on every backend: these server fixtures start the real engines."""

from tests.servers import postgres_server, register_url, s3_server

__all__ = ["postgres_server", "register_url", "s3_server"]
