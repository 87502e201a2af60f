"""The watched folders of a running sohoa: the inbox of scans and the folder of results to sign.

Both `sohoa run` (embedded) and `sohoa watch` (a province's scanner-share host) run this; they
differ only in the runner behind `submit` (inline page processes, or rq). What the CLI adds is
what it prints. At start, entries a crash left on their way out of the inbox are finished first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ingest.watch import InboxWatcher
from workers.receive import Receiver, ResultReceiver, Taken, finish_interrupted_leaving, resume_after_full_disk
from workers.services import Services


def watcher_for(services: Services, results: bool = False) -> InboxWatcher:
    """The watcher of the inbox (or of the results folder) with the settings' timings and bounds."""
    s = services.settings
    return InboxWatcher(s.results_inbox if results else s.inbox, settle_seconds=s.settle_seconds,
                        poll_seconds=s.poll, rescan_seconds=s.rescan_seconds,
                        grace_seconds=s.unfinished_grace_seconds, max_failing_seconds=s.unreadable_seconds)


def serve_inboxes(services: Services, stop: threading.Event, *, submit: Callable[[int], object],
                  report: Callable[[Taken], None], report_result: Callable[[str, int | None], None]) -> Receiver:
    """Watch both folders until `stop` is set (blocking); dossiers received are given to `submit`."""
    settings = services.settings
    for folder in (settings.inbox, settings.results_inbox, settings.quarantine, settings.done):
        folder.mkdir(parents=True, exist_ok=True)
    finish_interrupted_leaving(settings.inbox, services)
    receiver = Receiver(services, submit=submit, report=report,
                        on_resume=lambda: resume_after_full_disk(services, submit))
    results = ResultReceiver(services, report_result)
    threading.Thread(target=watcher_for(services, results=True).run, args=(results, stop, results.give_up),
                     daemon=True, name="results-folder").start()
    watcher_for(services).run(receiver, stop, receiver.give_up)
    return receiver
