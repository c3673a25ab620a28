"""Prometheus alerting rules, for fleets whose workers are scraped on ``/metrics``."""

from __future__ import annotations

from typing import Any

from otelkit.ops._model import OpsModel, PrometheusRule


def preset_rules(model: OpsModel) -> list[PrometheusRule]:
    """A worker fleet's standard rule: a scrape target that stopped answering."""
    job = model.resources.scrape_job
    if job is None:
        return []
    return [
        PrometheusRule(
            alert="WorkerDown",
            expr=f'up{{job="{job}"}} == 0',
            for_="2m",
            severity="critical",
            summary="A worker stopped answering its /metrics scrape for 2 minutes.",
            runbook="worker-down.md",
        )
    ]


def prometheus_rules(model: OpsModel, stage: str) -> str:
    """The rules file (``promtool check rules`` format), or "" when there are none."""
    import yaml

    rules = [*preset_rules(model), *model.prometheus_rules]
    if not rules:
        return ""
    document: dict[str, Any] = {
        "groups": [
            {
                "name": f"{model.service}-{stage}",
                "rules": [
                    {
                        "alert": rule.alert,
                        "expr": model.fill(rule.expr, stage),
                        "for": rule.for_,
                        "labels": {
                            "severity": rule.severity,
                            "service": model.service,
                            "stage": stage,
                        },
                        "annotations": {
                            "summary": rule.summary,
                            "runbook_url": model.runbook_url(rule.runbook),
                        },
                    }
                    for rule in rules
                ],
            }
        ]
    }
    text: str = yaml.safe_dump(document, sort_keys=False, width=100)
    return text
