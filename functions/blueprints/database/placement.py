"""Where the database lives: an explicit VPC, or the VPC of a Paved cluster.

The seam for other placements: `resolve` answers where the database goes (or None while that is
not known yet); `compose` in the package then builds the resources for that placement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.kit import ComposeError, Composite, Desired
from functions.kit.composite import CLAIM_NAMESPACE_LABEL

from .names import CLUSTER_INGRESS_KEY, ingress_key
from .parameters import DatabaseParameters


@dataclass(frozen=True)
class Placement:
    """The resolved network: a VPC, private subnets, and who may connect."""

    vpc_id: str
    subnet_ids: tuple[str, ...]
    cidrs: tuple[str, ...] = ()
    source_security_group_id: str | None = None

    @property
    def ingress_keys(self) -> list[str]:
        if self.source_security_group_id is not None:
            return [CLUSTER_INGRESS_KEY]
        return [ingress_key(cidr) for cidr in self.cidrs]


CLUSTER_FIELDS = ("vpcId", "privateSubnetIds", "nodeSecurityGroupId")


def cluster_requirement(xr: Composite[Any]) -> tuple[str, str | None]:
    """The kind and namespace to look the referenced cluster up as.

    A namespaced XDatabase references an XCluster in its namespace. A claim references the
    developer's Cluster claim in the claim's namespace: its XR has a generated name, and the claim
    mirrors the XR's status. A cluster-scoped XR made without a claim references an XCluster.
    """
    if xr.namespace:
        return "XCluster", xr.namespace
    claim_namespace = xr.labels.get(CLAIM_NAMESPACE_LABEL)
    if claim_namespace:
        return "Cluster", claim_namespace
    return "XCluster", None


@dataclass(frozen=True)
class RequiredCluster:
    """The referenced cluster as Crossplane read it: the raw resource, and how to name it."""

    resource: dict[str, Any]
    where: str  # e.g. "Cluster platform in namespace team-a"


def find_cluster(xr: Composite[DatabaseParameters], out: Desired) -> RequiredCluster | None:
    """The cluster network.clusterRef names, or None (holding the XR) until Crossplane read it.

    A cluster that does not exist is a FATAL naming the field.
    """
    assert xr.params.network.cluster_ref is not None
    name = xr.params.network.cluster_ref.name
    kind, namespace = cluster_requirement(xr)
    where = f"{kind} {name}" + (f" in namespace {namespace}" if namespace else "")
    found = out.require("cluster", xr.api_version, kind, match_name=name, namespace=namespace)
    if found is None:
        wait_for_cluster(out, f"waiting for Crossplane to read {where}")
        return None
    if not found:
        raise ComposeError(
            "spec.parameters.network.clusterRef.name",
            f"no {kind} named {name}" + (f" in namespace {namespace}" if namespace else ""),
        )
    return RequiredCluster(found[0], where)


def resolve(xr: Composite[DatabaseParameters], out: Desired) -> Placement | None:
    """Where to put the database; None while the referenced cluster is not ready to say."""
    network = xr.params.network
    if network.cluster_ref is None:
        assert network.vpc_id is not None  # the model guarantees it
        return Placement(
            network.vpc_id, tuple(network.subnet_ids), cidrs=tuple(network.allowed_cidrs)
        )
    required = find_cluster(xr, out)
    if required is None:
        return None
    where = required.where
    cluster = ((required.resource.get("status") or {}).get("cluster")) or {}
    missing = [field for field in CLUSTER_FIELDS if not cluster.get(field)]
    if missing:
        wait_for_cluster(
            out, f"waiting for {where} to report {', '.join(missing)} in status.cluster"
        )
        return None
    cluster_region = cluster.get("region")
    if cluster_region and cluster_region != xr.params.region:
        raise ComposeError(
            "spec.parameters.region",
            f"{where} is in {cluster_region}; the database must be in the same region",
        )
    subnets = cluster["privateSubnetIds"]
    if not isinstance(subnets, list) or not all(isinstance(s, str) for s in subnets):
        raise ComposeError(
            "spec.parameters.network.clusterRef.name", f"{where} has malformed privateSubnetIds"
        )
    return Placement(
        vpc_id=str(cluster["vpcId"]),
        subnet_ids=tuple(subnets),
        source_security_group_id=str(cluster["nodeSecurityGroupId"]),
    )


def wait_for_cluster(out: Desired, message: str, reason: str = "WaitingForCluster") -> None:
    # Until the cluster says where the database lives, compose nothing new and keep what exists.
    out.hold(message)
    out.condition("DatabaseReady", False, reason, message)
