"""What the XR reports: status.cluster, per-stage conditions, connection details."""

from __future__ import annotations

from typing import Any

from functions.kit import Composite, Desired

from .control_plane import KUBECONFIG_KEY, cluster_name
from .keys import CLUSTER_AUTH_KEY, CLUSTER_KEY
from .network import Layout, private_subnet_keys, public_subnet_keys
from .parameters import ClusterParameters
from .providers import provider_config_name


def report(
    xr: Composite[ClusterParameters],
    out: Desired,
    net: Layout,
) -> None:
    """status.cluster and the connection details; the kit derives a condition per stage."""
    status = cluster_status(xr, net)
    out.status(cluster=status)

    endpoint = status.get("endpoint") if status else None
    auth = xr.observed.get(CLUSTER_AUTH_KEY)
    kubeconfig = auth.connection_details.get(KUBECONFIG_KEY) if auth else None
    out.connection(kubeconfig=kubeconfig or None, endpoint=endpoint)


def cluster_status(xr: Composite[ClusterParameters], net: Layout) -> dict[str, Any] | None:
    """Every field once it is known; XDatabase reads this to place databases next to the nodes."""
    cluster = xr.observed.get(CLUSTER_KEY)
    if cluster is None:
        return None
    vpc_config = cluster.at_provider("vpcConfig") or {}
    identity = cluster.at_provider("identity") or []
    status: dict[str, Any] = {
        "isolation": "dedicated",
        "name": cluster_name(xr),
        "region": xr.params.region,
        "version": cluster.at_provider("version") or xr.params.version,
        "endpoint": cluster.at_provider("endpoint"),
        "oidcIssuerUrl": _first(_first(identity, "oidc"), "issuer"),
        "certificateAuthorityData": _first(cluster.at_provider("certificateAuthority"), "data"),
        "vpcId": _at_provider(xr, "vpc", "id"),
        "privateSubnetIds": _ids(xr, private_subnet_keys(net)),
        "publicSubnetIds": _ids(xr, public_subnet_keys(net)),
        "nodeSecurityGroupId": vpc_config.get("clusterSecurityGroupId")
        if isinstance(vpc_config, dict)
        else None,
    }
    if xr.observed.get("kubernetes-provider-config") is not None:
        status["providerConfigName"] = provider_config_name(xr)
    # Observed status missing (a restore, an adoption): keep what was reported before rather than
    # forget it, so the connection secret and the XRs placed on this cluster lose nothing.
    reported = xr.status.get("cluster")
    previous: dict[str, Any] = reported if isinstance(reported, dict) else {}
    merged = {k: v if v is not None else previous.get(k) for k, v in status.items()}
    return {k: v for k, v in merged.items() if v is not None}


def _first(items: Any, field: str) -> Any:
    """`items[0][field]` of a Terraform-style singleton list, or None."""
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return items[0].get(field)
    return None


def _at_provider(xr: Composite[ClusterParameters], key: str, field: str) -> Any:
    observed = xr.observed.get(key)
    return observed.at_provider(field) if observed else None


def _ids(xr: Composite[ClusterParameters], keys: list[str]) -> list[str] | None:
    ids = [_at_provider(xr, key, "id") for key in keys]
    return [str(i) for i in ids] if all(ids) else None
