"""What a tenant composes into its host (or into its vCluster): its namespace's name and RBAC."""

from __future__ import annotations

from typing import Any

from functions.kit import CLAIM_NAME_LABEL, CLAIM_NAMESPACE_LABEL, Composite, Desired, dns_label

from ..host import Cluster
from ..parameters import ClusterInfo, ClusterParameters, ClusterStatus

RBAC = "rbac.authorization.k8s.io"


def tenant_namespace(xr: Composite[ClusterParameters]) -> str:
    """The tenant's namespace on the host: unique in the host, readable, and stable.

    From the developer's namespace and name: the claim's in claim mode (the XR's name has a
    random suffix), the XR's in namespaced mode.
    """
    if CLAIM_NAME_LABEL in xr.labels:
        return dns_label(xr.labels.get(CLAIM_NAMESPACE_LABEL, ""), xr.labels[CLAIM_NAME_LABEL])
    return dns_label(xr.namespace or "", xr.name)


def report_tenant(
    xr: Composite[ClusterParameters],
    out: Desired,
    host: Cluster,
    namespace: str,
    *,
    endpoint: str | None,
    ready: bool,
    waiting_for: str,
    provider_config_name: str | None = None,
) -> None:
    """status.cluster of a tenant, and its HostReady and TenantReady conditions."""
    out.status_model(
        ClusterStatus(
            cluster=ClusterInfo(
                isolation=xr.params.isolation,
                name=namespace,
                namespace=namespace,
                host=host.xr_name,
                region=xr.params.region,
                endpoint=endpoint,
                provider_config_name=provider_config_name,
            )
        )
    )
    out.condition("HostReady", True, "Available")
    out.condition(
        "TenantReady",
        ready,
        "Available" if ready else "Creating",
        "" if ready else f"waiting for {waiting_for}",
    )


def subjects(entries: list[str], prefixes: tuple[str, str]) -> list[dict[str, str]]:
    """RBAC subjects for OIDC `group:<name>` / `user:<name>`, with the API server's prefixes."""
    groups_prefix, users_prefix = prefixes
    result = []
    for entry in entries:
        kind, _, name = entry.partition(":")
        if kind == "group":
            result.append({"kind": "Group", "name": groups_prefix + name, "apiGroup": RBAC})
        else:
            result.append({"kind": "User", "name": users_prefix + name, "apiGroup": RBAC})
    return result


def binding(
    kind: str, name: str, role: str, subjects_: list[dict[str, str]], namespace: str | None = None
) -> dict[str, Any]:
    """A RoleBinding (in `namespace`) or ClusterRoleBinding of a built-in ClusterRole."""
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": kind,
        "metadata": metadata,
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
        "subjects": subjects_,
    }
