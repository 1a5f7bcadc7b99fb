"""Where the database lives: an explicit VPC, or the VPC of a Paved cluster.

The seam for other placements: `resolve` answers where the database goes (or None while that is
not known yet); `compose` in the package then builds the resources for that placement.
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.kit import ComposeError, Composite, Desired

from ..cluster import host
from ..cluster.host import Cluster
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


CLUSTER_FIELD = "spec.parameters.network.clusterRef.name"


def cluster_name(xr: Composite[DatabaseParameters]) -> str:
    assert xr.params.network.cluster_ref is not None
    return xr.params.network.cluster_ref.name


def find_cluster(xr: Composite[DatabaseParameters], out: Desired) -> Cluster | None:
    """The cluster network.clusterRef names, with its parameters, or None (holding the XR) until
    Crossplane read it. A cluster that does not exist is a FATAL naming the field."""
    name = cluster_name(xr)
    cluster = host.find(xr, out, name, field=CLUSTER_FIELD, requirement_name="cluster")
    if cluster is None:
        wait_for_cluster(out, f"waiting for Crossplane to read {host.where(xr, name)}")
    return cluster


def resolve(xr: Composite[DatabaseParameters], out: Desired) -> Placement | None:
    """Where to put the database; None while the referenced cluster is not ready to say."""
    network = xr.params.network
    if network.cluster_ref is None:
        assert network.vpc_id is not None  # the model guarantees it
        return Placement(
            network.vpc_id, tuple(network.subnet_ids), cidrs=tuple(network.allowed_cidrs)
        )
    name = cluster_name(xr)
    # Only its status matters here: the network it reports.
    cluster = host.lookup(xr, out, name, field=CLUSTER_FIELD, requirement_name="cluster")
    if cluster is None:
        wait_for_cluster(out, f"waiting for Crossplane to read {host.where(xr, name)}")
        return None
    info = cluster.info
    missing = [
        field
        for field, value in (
            ("vpcId", info.vpc_id),
            ("privateSubnetIds", info.private_subnet_ids),
            ("nodeSecurityGroupId", info.node_security_group_id),
        )
        if not value
    ]
    if missing:
        wait_for_cluster(
            out, f"waiting for {cluster.where} to report {', '.join(missing)} in status.cluster"
        )
        return None
    if info.region and info.region != xr.params.region:
        raise ComposeError(
            "spec.parameters.region",
            f"{cluster.where} is in {info.region}; the database must be in the same region",
        )
    assert info.vpc_id and info.private_subnet_ids and info.node_security_group_id
    return Placement(
        vpc_id=info.vpc_id,
        subnet_ids=tuple(info.private_subnet_ids),
        source_security_group_id=info.node_security_group_id,
    )


def wait_for_cluster(out: Desired, message: str, reason: str = "WaitingForCluster") -> None:
    # Until the cluster says where the database lives, compose nothing new and keep what exists.
    out.hold(message)
    out.condition("DatabaseReady", False, reason, message)
