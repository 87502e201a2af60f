"""Imported by the page pool's fork server only (its preload list), never by sohoa itself.

Importing it makes the fork server die with the process that started it (workers/orphans.py).
A module, because a preload list holds module names and nothing else.
"""

from workers.orphans import die_with_parent

die_with_parent()
