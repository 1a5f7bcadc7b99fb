"""Names of the database's AWS resources and composition resources: stable forever."""

from __future__ import annotations

from typing import Any

from functions.kit import Composite, dns_label

from .parameters import DatabaseParameters


def identifier(xr: Composite[Any]) -> str:
    """The RDS DB instance identifier: stable for the XR's lifetime, starts with a letter."""
    name = xr.aws_name()
    return name if name[0].isalpha() else dns_label("db", name)


def final_snapshot_identifier(xr: Composite[Any]) -> str:
    # Deterministic (no timestamp) so every reconcile asks for the same snapshot.
    return f"{identifier(xr)}-final"


def connection_secret_name(xr: Composite[Any]) -> str:
    return xr.resource_name("instance-connection")


def password_secret_name(xr: Composite[Any]) -> str:
    return xr.resource_name("master-password")


def ingress_key(source: str) -> str:
    """Composition resource name of the ingress rule for a CIDR block, e.g. ingress-10-0-0-0-16."""
    return dns_label("ingress", source.replace(".", "-").replace("/", "-"))


CLUSTER_INGRESS_KEY = "ingress-cluster-nodes"


def parameter_group_key(p: DatabaseParameters) -> str:
    """One parameter group per family, e.g. parameter-group-postgres16.

    A group's family cannot change. A major version upgrade composes the new family's group and
    points the instance at it; the old group is dropped (it holds no data) and Crossplane deletes
    it once RDS has let go of it.
    """
    return dns_label("parameter-group", p.engine_spec.family(p.major_version).replace(".", "-"))
