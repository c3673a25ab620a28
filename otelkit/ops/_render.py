"""``otelkit ops render``: every output of one model, written under one directory."""

from __future__ import annotations

import json
from pathlib import Path

from otelkit.ops._cloudformation import render_template
from otelkit.ops._grafana import grafana_dashboard
from otelkit.ops._loki import LOKI_RETENTION, loki_retention
from otelkit.ops._loki_labels import COLLECTOR_LABELS, LOKI_LABELS, collector_labels, loki_labels
from otelkit.ops._model import OpsModel
from otelkit.ops._names import checked_stage
from otelkit.ops._output import write_inside
from otelkit.ops._preview import preview_pages
from otelkit.ops._prometheus import prometheus_rules
from otelkit.ops._runbooks import RUNBOOKS_DIR, runbook_pages
from otelkit.ops._scrape import PROMETHEUS_CONFIG, scrape_config

CLOUDFORMATION = "cloudformation.yaml"
PROMETHEUS = "prometheus-rules.yaml"
GRAFANA_DIR = "grafana"
QUERIES_DIR = "queries"


def render(model: OpsModel, stage: str, out: Path, *, preview: bool = False) -> list[Path]:
    """Write the template, the Prometheus rules, the Grafana dashboard and the queries;
    with ``preview``, an HTML page of each dashboard too (``_preview.py``).

    Names in the model and ``stage`` are checked names (``_names.py``), and every file
    is written inside ``out`` (``_output.py``).

    Returns:
        The files written, in order.

    Raises:
        ModelError: a name that is not valid.
        OSError: a file that cannot be written (OutputError: one outside ``out``).
    """
    checked_stage(stage)
    written: list[Path] = []

    def write(relative: str, text: str) -> None:
        written.append(write_inside(out, relative, text if text.endswith("\n") else text + "\n"))

    pages = runbook_pages(model, stage)  # a bad page name stops the render before a write
    write(CLOUDFORMATION, render_template(model, stage).to_yaml(clean_up=True))
    rules = prometheus_rules(model, stage)
    if rules:
        write(PROMETHEUS, rules)
    scrape = scrape_config(model, stage, PROMETHEUS if rules else None)
    if scrape:
        write(PROMETHEUS_CONFIG, scrape)
    write(
        f"{GRAFANA_DIR}/{model.service}-{stage}-overview.json",
        json.dumps(grafana_dashboard(model, stage), indent=2, sort_keys=True),
    )
    for query in model.queries:
        if query.insights:
            write(f"{QUERIES_DIR}/{query.name}.insights", model.fill(query.insights, stage))
        if query.logql:
            write(f"{QUERIES_DIR}/{query.name}.logql", model.fill(query.logql, stage))
    retention = loki_retention(model, stage)
    if retention:
        write(LOKI_RETENTION, retention)
    for relative, fragment in (
        (LOKI_LABELS, loki_labels(model)),
        (COLLECTOR_LABELS, collector_labels(model)),
    ):
        if fragment:
            write(relative, fragment)
    for page, text in pages.items():
        write(f"{RUNBOOKS_DIR}/{page}", text)
    if preview:
        for path, html in preview_pages(model, stage).items():
            write(path, html)
    return written
