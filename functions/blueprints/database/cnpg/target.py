"""The cluster a database runs in, as Crossplane hands it over (a required resource)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.kit import ComposeError, Composite, Desired

from ..parameters import DatabaseParameters
from ..placement import RequiredCluster, find_cluster, wait_for_cluster


@dataclass(frozen=True)
class Target:
    """What the database needs to know about its cluster, read defensively from the required
    resource: an odd or missing value is unknown, never a crash."""

    where: str
    xr_name: str
    api_version: str
    isolation: str
    eks_name: str | None
    provider_config_name: str | None
    region: str | None
    operator_enabled: bool
    operator_ready: bool
    monitoring: bool


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def read_target(xr: Composite[DatabaseParameters], required: RequiredCluster) -> Target:
    resource = required.resource
    platform = _dig(resource, "spec", "parameters", "platform")
    is_claim = resource.get("kind") == "Cluster"
    # A claim's XR has a generated name; until the claim is bound it is unknown ("").
    name = (
        _dig(resource, "spec", "resourceRef", "name")
        if is_claim
        else _dig(resource, "metadata", "name")
    )
    return Target(
        where=required.where,
        xr_name=_text(name) or "",
        api_version=_text(resource.get("apiVersion")) or xr.api_version,
        isolation=_text(_dig(resource, "spec", "parameters", "isolation")) or "dedicated",
        eks_name=_text(_dig(resource, "status", "cluster", "name")),
        provider_config_name=_text(_dig(resource, "status", "cluster", "providerConfigName")),
        region=_text(_dig(resource, "status", "cluster", "region")),
        operator_enabled=_dig(platform, "cloudnativePg", "enabled") is True,
        operator_ready=_dig(resource, "status", "platform", "cloudnativePg", "ready") is True,
        monitoring=_dig(platform, "monitoring", "enabled") is True,
    )


def resolve(xr: Composite[DatabaseParameters], out: Desired) -> Target | None:
    """The cluster to run in, or None (holding the XR, with the reason) until it can take it."""
    required = find_cluster(xr, out)
    if required is None:
        return None
    target = read_target(xr, required)
    field = "spec.parameters.network.clusterRef.name"
    if target.isolation != "dedicated":
        raise ComposeError(
            field,
            f"{target.where} is a {target.isolation} tenant; placement cluster needs a dedicated "
            "Cluster (its own EKS cluster and CloudNativePG operator)",
        )
    if target.region and target.region != xr.params.region:
        raise ComposeError(
            "spec.parameters.region",
            f"{target.where} is in {target.region}; the database must be in the same region",
        )
    if not target.operator_enabled:
        message = (
            f"{target.where} does not run the CloudNativePG operator: a platform engineer sets "
            "spec.parameters.platform.cloudnativePg.enabled: true on it"
        )
        wait_for_cluster(out, message, "WaitingForOperator")
        return None
    if not target.operator_ready:
        message = (
            f"waiting for the CloudNativePG operator on {target.where} to be ready "
            "(status.platform.cloudnativePg.ready)"
        )
        wait_for_cluster(out, message, "WaitingForOperator")
        return None
    missing = [
        field
        for field, value in (
            ("name", target.eks_name),
            ("providerConfigName", target.provider_config_name),
        )
        if value is None
    ]
    if missing:
        wait_for_cluster(
            out, f"waiting for {target.where} to report {', '.join(missing)} in status.cluster"
        )
        return None
    return target
