"""The CloudNativePG operator: PostgreSQL clusters inside the cluster (XDatabase's in-cluster
placement relies on it)."""

from __future__ import annotations

from typing import Any

from .build import Platform

COMPONENT = "cloudnative_pg"


def values(monitoring: bool) -> dict[str, Any]:
    # With monitoring, the operator's PodMonitor (a prometheus-operator CRD) is scraped.
    return {"crds": {"create": True}, "monitoring": {"podMonitorEnabled": monitoring}}


def compose(platform: Platform, after: list[str], *, monitoring: str | None) -> None:
    gates = [*after, monitoring] if monitoring else after
    platform.release(COMPONENT, values(monitoring is not None), after=gates)
