"""Prometheus metrics of the pipeline: what a province's operators watch (README, "what to monitor").

Counters and histograms live in each worker process and are served by `sohoa worker
--metrics-port N`; queue depths are read from Redis at scrape time, so any one worker's endpoint
shows the whole province's backlog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

PAGES = Counter("sohoa_pages_digitized", "Pages of dossiers that finished the pipeline.")
DOSSIERS = Counter("sohoa_dossiers_finished", "Dossiers that finished the pipeline, by final state.", ["state"])
STEP_SECONDS = Histogram("sohoa_step_seconds", "Time a pipeline step took.", ["step"],
                         buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800))
FAILURES = Counter("sohoa_step_failures", "Pipeline step attempts that raised.", ["step"])


class QueueCollector(Collector):
    """Queue depths, running and failed jobs per stage, read from Redis when scraped.

    `report` is `workers.queues.queue_report` bound to a connection: handed in, so that the
    queues may count into these metrics without the two modules importing each other.
    """

    def __init__(self, report: Callable[[], dict[str, Any]]) -> None:
        self.report = report

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("sohoa_queue_depth", "Jobs waiting per queue.", labels=["queue"])
        running = GaugeMetricFamily("sohoa_queue_running", "Jobs running per queue.", labels=["queue"])
        failed = GaugeMetricFamily("sohoa_queue_failed", "Jobs failed for good per queue.", labels=["queue"])
        busy = GaugeMetricFamily("sohoa_workers_busy", "Workers running a job.")
        try:
            report = self.report()
        except Exception:  # Redis down: report nothing rather than fail the scrape
            return
        for name, q in report["queues"].items():
            depth.add_metric([name], q["queued"])
            running.add_metric([name], q["running"])
            failed.add_metric([name], q["failed"])
        busy.add_metric([], report["workers"]["busy"])
        yield from (depth, running, failed, busy)


def serve(port: int, queue_report: Callable[[], dict[str, Any]] | None, addr: str = "0.0.0.0") -> None:
    """Serve /metrics on `port` from a background thread, with the queues' report when given."""
    if queue_report is not None:
        REGISTRY.register(QueueCollector(queue_report))
    start_http_server(port, addr=addr)
