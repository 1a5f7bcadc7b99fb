"""metrics-server: resource metrics for `kubectl top` and the Horizontal Pod Autoscaler."""

from __future__ import annotations

from typing import Any

from .build import Platform

COMPONENT = "metrics_server"

# Two replicas and a disruption budget: autoscaling must not stop while a node drains.
VALUES: dict[str, Any] = {
    "replicas": 2,
    "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
}


def compose(platform: Platform) -> None:
    platform.release(COMPONENT, VALUES)
