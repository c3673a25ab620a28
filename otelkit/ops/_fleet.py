"""A worker fleet's Prometheus panels: what each worker serves on ``/metrics``.

otelkit's Prometheus exporter serves ``worker_state`` (the fleet example's gauge),
``process_memory_usage_bytes``, ``process_cpu_time_seconds_total``, ``process_threads``
and ``jobs_total{job_name, outcome}`` (``otelkit.job``); the worker's identity
(``worker_id``, host, container, region) is served once, on ``target_info``, and joined
onto each series on the scrape's ``job`` and ``instance`` labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from otelkit.ops._model import OpsModel


@dataclass(frozen=True)
class FleetPanel:
    """One panel: a PromQL expression, its legend and Grafana unit."""

    title: str
    expr: str
    legend: str
    unit: str


def _per_worker(expr: str, job: str) -> str:
    """``expr`` (one series per scrape target) labelled with the target's ``worker_id``."""
    return f'{expr} * on (job, instance) group_left (worker_id) target_info{{job="{job}"}}'


def fleet_panels(model: OpsModel) -> list[FleetPanel]:
    """The seed's fleet panels (state, memory, CPU, threads, job rate and failures)."""
    job = model.resources.scrape_job
    if job is None:
        return []
    sel = f'job="{job}"'
    return [
        FleetPanel("Worker state", f"worker_state{{{sel}}}", "{{worker_id}}", "none"),
        FleetPanel(
            "Memory per worker",
            _per_worker(f"process_memory_usage_bytes{{{sel}}}", job),
            "{{worker_id}}",
            "bytes",
        ),
        FleetPanel(
            "CPU per worker (cores)",
            _per_worker(
                f"sum by (job, instance) (rate(process_cpu_time_seconds_total{{{sel}}}[5m]))", job
            ),
            "{{worker_id}}",
            "none",
        ),
        FleetPanel(
            "Threads per worker",
            _per_worker(f"process_threads{{{sel}}}", job),
            "{{worker_id}}",
            "none",
        ),
        FleetPanel(
            "Jobs per second by outcome",
            f"sum by (job_name, outcome) (rate(jobs_total{{{sel}}}[5m]))",
            "{{job_name}} {{outcome}}",
            "ops",
        ),
        FleetPanel(
            "Job failure ratio",
            f'sum(rate(jobs_total{{{sel}, outcome="error"}}[5m])) '
            f"/ sum(rate(jobs_total{{{sel}}}[5m]))",
            "failed / all",
            "percentunit",
        ),
    ]
