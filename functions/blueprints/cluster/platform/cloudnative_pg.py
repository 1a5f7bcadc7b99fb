"""The CloudNativePG operator: PostgreSQL clusters inside the cluster (XDatabase's in-cluster
placement relies on it)."""

from __future__ import annotations

from typing import Any

from .build import Platform

COMPONENT = "cloudnative_pg"


def values(monitoring: bool) -> dict[str, Any]:
    # With monitoring, the operator's PodMonitor (a prometheus-operator CRD) is scraped.
    return {"crds": {"create": True}, "monitoring": {"podMonitorEnabled": monitoring}}


def compose(platform: Platform, *, monitoring: str | None) -> None:
    """`monitoring`: the monitoring Release, when there is one (its CRDs come first)."""
    gates = [monitoring] if monitoring else []
    platform.release(COMPONENT, values(monitoring is not None), after=gates)
