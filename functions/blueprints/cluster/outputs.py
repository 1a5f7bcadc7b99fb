"""What the XR reports: status.cluster (through its model) and the connection details."""

from __future__ import annotations

from typing import Any

from functions.kit import Composite, Desired, read_status

from .control_plane import KUBECONFIG_KEY, cluster_name
from .keys import CLUSTER_AUTH_KEY, CLUSTER_KEY
from .network import Layout, private_subnet_keys, public_subnet_keys
from .parameters import ClusterInfo, ClusterParameters, ClusterStatus
from .providers import provider_config_name


def report(xr: Composite[ClusterParameters], out: Desired, net: Layout) -> None:
    """status.cluster and the connection details; the kit derives a condition per stage."""
    info = cluster_info(xr, net)
    out.status_model(ClusterStatus(cluster=info))
    auth = xr.observed.get(CLUSTER_AUTH_KEY)
    kubeconfig = auth.connection_details.get(KUBECONFIG_KEY) if auth else None
    out.connection(kubeconfig=kubeconfig or None, endpoint=info.endpoint if info else None)


def cluster_info(xr: Composite[ClusterParameters], net: Layout) -> ClusterInfo | None:
    """Every field once it is known; XDatabase reads this to place databases next to the nodes."""
    cluster = xr.observed.get(CLUSTER_KEY)
    if cluster is None:
        return None
    identity = cluster.at_provider("identity") or []
    current = ClusterInfo(
        isolation="dedicated",
        name=cluster_name(xr),
        region=xr.params.region,
        version=_text(cluster.at_provider("version")) or xr.params.version,
        endpoint=_text(cluster.at_provider("endpoint")),
        oidc_issuer_url=_text(_first(_first(identity, "oidc"), "issuer")),
        certificate_authority_data=_text(
            _first(cluster.at_provider("certificateAuthority"), "data")
        ),
        vpc_id=_text(_at_provider(xr, "vpc", "id")),
        private_subnet_ids=_ids(xr, private_subnet_keys(net)),
        public_subnet_ids=_ids(xr, public_subnet_keys(net)),
        node_security_group_id=_text(
            cluster.get("status", "atProvider", "vpcConfig", "clusterSecurityGroupId")
        ),
        provider_config_name=provider_config_name(xr)
        if xr.observed.get("kubernetes-provider-config") is not None
        else None,
    )
    # Observed status missing (a restore, an adoption): keep what was reported before rather than
    # forget it, so the connection secret and the XRs placed on this cluster lose nothing.
    missing = [name for name in ClusterInfo.model_fields if getattr(current, name) is None]
    if not missing:
        return current
    previous = read_status(ClusterInfo, xr.status.get("cluster")) or ClusterInfo()
    return current.model_copy(update={name: getattr(previous, name) for name in missing})


def _text(value: Any) -> str | None:
    """A value of the status that should be text; anything else is unknown."""
    return value if isinstance(value, str) and value else None


def _first(items: Any, field: str) -> Any:
    """`items[0][field]` of a Terraform-style singleton list, or None."""
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return items[0].get(field)
    return None


def _at_provider(xr: Composite[ClusterParameters], key: str, field: str) -> Any:
    observed = xr.observed.get(key)
    return observed.at_provider(field) if observed else None


def _ids(xr: Composite[ClusterParameters], keys: list[str]) -> list[str] | None:
    ids = [_text(_at_provider(xr, key, "id")) for key in keys]
    return [i for i in ids if i] if all(ids) else None
