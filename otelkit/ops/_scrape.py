"""``prometheus.yml``: the scrape jobs of a fleet's model, naming its rules file."""

from __future__ import annotations

from typing import Any

from otelkit.ops._model import OpsModel

PROMETHEUS_CONFIG = "prometheus.yml"


def scrape_config(model: OpsModel, stage: str, rules_file: str | None) -> str:
    """``prometheus.yml`` for the model's scrape jobs (``promtool check config``), or ""."""
    import yaml

    if not model.prometheus_scrape:
        return ""
    document: dict[str, Any] = {
        "global": {"evaluation_interval": "30s"},
        **({"rule_files": [rules_file]} if rules_file else {}),
        "scrape_configs": [
            {
                "job_name": scrape.job,
                "scrape_interval": scrape.interval,
                "metrics_path": scrape.metrics_path,
                "static_configs": [
                    {
                        "targets": [model.fill(t, stage) for t in scrape.targets],
                        # One Prometheus may scrape every stage: a query can tell them apart.
                        "labels": {"stage": stage},
                    }
                ],
            }
            for scrape in model.prometheus_scrape
        ],
    }
    text: str = yaml.safe_dump(document, sort_keys=False, width=100)
    return text
