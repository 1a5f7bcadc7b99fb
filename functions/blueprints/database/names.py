"""Names of the database's AWS resources and composition resources: stable forever.

AWS names (identifier, group names, security group name, final snapshot) are unique per XR (see
`functions.resources.names`), start with a letter as RDS requires, and once a resource exists the
name it was created with is read back and kept: renaming would replace (lose) it or get it stuck.
"""

from __future__ import annotations

from typing import Any

from functions.kit import Composite, dns_label
from functions.resources.names import kept_external_name, starting_with_a_letter, unique_base

from .parameters import DatabaseParameters

IDENTIFIER_MAX = 63


def new_identifier(xr: Composite[Any]) -> str:
    """The identifier a new DB instance gets: unique per XR, starts with a letter."""
    return starting_with_a_letter(unique_base(xr), "db", IDENTIFIER_MAX)


def identifier(xr: Composite[Any]) -> str:
    """The RDS DB instance identifier: the one the instance has, once it exists.

    RDS can rename an instance, but that moves its endpoint under every client, so never.
    """
    instance = xr.observed.get("instance")
    if instance is not None:
        observed = instance.at_provider("identifier") or instance.get(
            "spec", "forProvider", "identifier"
        )
        if isinstance(observed, str) and observed:
            return observed
    return new_identifier(xr)


def final_snapshot_identifier(xr: Composite[Any]) -> str:
    # Deterministic (no timestamp) so every reconcile asks for the same snapshot.
    return f"{identifier(xr)}-final"


def subnet_group_name(xr: Composite[Any]) -> str:
    return kept_external_name(xr, "subnet-group", f"{new_identifier(xr)}-subnet-group")


def parameter_group_name(xr: Composite[Any], key: str) -> str:
    return kept_external_name(xr, key, f"{new_identifier(xr)}-{key}")


def security_group_name(xr: Composite[Any]) -> str:
    # AWS reserves names starting with sg-, which an identifier could.
    observed = xr.observed.get("security-group")
    name = observed.get("spec", "forProvider", "name") if observed is not None else None
    return name if isinstance(name, str) and name else f"{identifier(xr)}-rds"


def connection_secret_name(xr: Composite[Any]) -> str:
    return xr.resource_name("instance-connection")


def password_secret_name(xr: Composite[Any]) -> str:
    return xr.resource_name("master-password")


def ingress_key(source: str) -> str:
    """Composition resource name of the ingress rule for a CIDR block, e.g. ingress-10-0-0-0-16."""
    return dns_label("ingress", source.replace(".", "-").replace("/", "-"))


CLUSTER_INGRESS_KEY = "ingress-cluster-nodes"
PARAMETER_GROUP_PREFIX = "parameter-group-"


def parameter_group_key(p: DatabaseParameters) -> str:
    """One parameter group per family, e.g. parameter-group-postgres16.

    A group's family cannot change. A major version upgrade composes the new family's group and
    moves the instance to it; the old group is kept until the instance is observed on the new one.
    """
    return dns_label("parameter-group", p.engine_spec.family(p.major_version).replace(".", "-"))
