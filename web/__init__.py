"""The web application: pages for archivists, reviewers, officials, clerks and admins, the public
kiosk, and the stations' upload API, over the same register, object store and search as the CLI."""
