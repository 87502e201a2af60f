"""sohoa's web: the HTTP API and pages (this branch adds only the files router, web/files.py)."""
