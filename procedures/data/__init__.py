"""Shipped data files of the procedures stage: the catalog and the public-holiday calendar."""
