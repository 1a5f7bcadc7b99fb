"""The cluster a database runs in, as Crossplane hands it over (a required resource)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from functions.kit import ComposeError, Composite, Desired, read_status

from ...cluster.parameters import ClusterInfo, ClusterParameters
from ...cluster.platform.parameters import PlatformStatus
from ..parameters import DatabaseParameters
from ..placement import RequiredCluster, find_cluster, wait_for_cluster

FIELD = "spec.parameters.network.clusterRef.name"


@dataclass(frozen=True)
class Target:
    """What the database needs to know about its cluster (an odd or missing value is unknown,
    never a crash)."""

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


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def read_target(xr: Composite[DatabaseParameters], required: RequiredCluster) -> Target:
    """The cluster through the XCluster's own models: its parameters as the API server accepted
    them, and what this version of Paved knows of its status (odd values are unknown)."""
    resource = required.resource
    spec, status = _mapping(resource.get("spec")), _mapping(resource.get("status"))
    try:
        parameters = ClusterParameters.model_validate(spec.get("parameters") or {})
    except ValidationError:
        raise ComposeError(FIELD, f"{required.where} has invalid spec.parameters") from None
    info = read_status(ClusterInfo, status.get("cluster")) or ClusterInfo()
    platform = read_status(PlatformStatus, status.get("platform")) or PlatformStatus()
    # A claim's XR has a generated name; until the claim is bound it is unknown ("").
    is_claim = resource.get("kind") == "Cluster"
    name = (
        _mapping(spec.get("resourceRef")) if is_claim else _mapping(resource.get("metadata"))
    ).get("name")
    api_version = resource.get("apiVersion")
    return Target(
        where=required.where,
        xr_name=name if isinstance(name, str) else "",
        api_version=api_version if isinstance(api_version, str) else xr.api_version,
        isolation=parameters.isolation,
        eks_name=info.name or None,
        provider_config_name=info.provider_config_name or None,
        region=info.region or None,
        operator_enabled=parameters.platform.cloudnative_pg.enabled,
        operator_ready=platform.cloudnative_pg is not None and platform.cloudnative_pg.ready,
        monitoring=parameters.platform.monitoring.enabled,
    )


def resolve(xr: Composite[DatabaseParameters], out: Desired) -> Target | None:
    """The cluster to run in, or None (holding the XR, with the reason) until it can take it."""
    required = find_cluster(xr, out)
    if required is None:
        return None
    target = read_target(xr, required)
    if target.isolation != "dedicated":
        raise ComposeError(
            FIELD,
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
