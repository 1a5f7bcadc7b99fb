"""The cluster a database runs in, as Crossplane hands it over (a required resource)."""

from __future__ import annotations

from dataclasses import dataclass

from functions.kit import ComposeError, Composite, Desired

from ...cluster.host import Cluster
from ..parameters import DatabaseParameters
from ..placement import find_cluster, wait_for_cluster

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


def read_target(cluster: Cluster) -> Target:
    """The cluster through the XCluster's own models: its parameters as the API server accepted
    them, and what this version of Paved knows of its status (odd values are unknown)."""
    info, platform = cluster.info, cluster.platform
    return Target(
        where=cluster.where,
        xr_name=cluster.xr_name,
        api_version=cluster.api_version,
        isolation=cluster.parameters.isolation,
        eks_name=info.name or None,
        provider_config_name=info.provider_config_name or None,
        region=info.region or None,
        operator_enabled=cluster.parameters.platform.cloudnative_pg.enabled,
        operator_ready=platform.cloudnative_pg is not None and platform.cloudnative_pg.ready,
        monitoring=cluster.parameters.platform.monitoring.enabled,
    )


def resolve(xr: Composite[DatabaseParameters], out: Desired) -> Target | None:
    """The cluster to run in, or None (holding the XR, with the reason) until it can take it."""
    cluster = find_cluster(xr, out)
    if cluster is None:
        return None
    target = read_target(cluster)
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
