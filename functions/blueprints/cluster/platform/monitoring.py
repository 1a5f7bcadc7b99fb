"""Monitoring: the kube-prometheus-stack, or only a Prometheus agent remote-writing elsewhere."""

from __future__ import annotations

from typing import Any

from .build import Platform
from .parameters import Monitoring

COMPONENT = "monitoring"


def values(settings: Monitoring) -> dict[str, Any]:
    # Pick up every ServiceMonitor and PodMonitor in the cluster, not only the chart's own.
    selectors = {
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
    }
    if settings.remote_write_url is None:
        return {"prometheus": {"prometheusSpec": selectors}}
    # An agent: scrape and forward; no local storage, rules, alerting or dashboards.
    return {
        "prometheus": {
            "agentMode": True,
            "prometheusSpec": {**selectors, "remoteWrite": [{"url": settings.remote_write_url}]},
        },
        "alertmanager": {"enabled": False},
        "grafana": {"enabled": False},
        "defaultRules": {"create": False},
    }


def compose(platform: Platform) -> str:
    return platform.release(COMPONENT, values(platform.xr.params.platform.monitoring))
