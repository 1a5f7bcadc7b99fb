"""XDatabase: a private, encrypted, backed-up RDS database that survives mistakes.

Public reference compositions use the smallest class, no encryption, no backups,
`skipFinalSnapshot: true` and a security group open to 0.0.0.0/0. Here every default loses no
data and exposes nothing: deletion protection, a final snapshot, seven days of backups, a
customer-managed KMS key, TLS forced by the parameter group, no public address, and a security
group that only admits the sources the developer named (or their cluster's nodes).

Rooms: `parameters` (what is asked), `placement` (where it goes), `guards` (what is refused),
`rds` (the resources), `outputs` (status, conditions, connection details); `cnpg` is placement
cluster, PostgreSQL on CloudNativePG in a Paved cluster, with its own rooms.
"""

from __future__ import annotations

from functions.kit import Blueprint, Composite, Desired, Measure

from . import cnpg, guards, outputs, placement, rds
from .names import identifier
from .parameters import DatabaseInfo, DatabaseParameters, DatabaseStatus

__all__ = [
    "BLUEPRINT",
    "DatabaseInfo",
    "DatabaseParameters",
    "DatabaseStatus",
    "compose",
    "identifier",
]


def compose(xr: Composite[DatabaseParameters], out: Desired) -> None:
    # The placement seam: placement aws is RDS in a VPC (`placement.resolve` says which);
    # placement cluster is CloudNativePG in a Paved cluster (`cnpg`).
    guards.validate(xr.params)
    # A running database's placement first: what else the new placement needs is beside the point.
    guards.refuse_placement_change(xr)
    guards.validate_placement(xr.params)
    if xr.params.placement == "cluster":
        cnpg.compose(xr, out)
        return
    where = placement.resolve(xr, out)
    guards.refuse_destructive_changes(xr, where)
    if where is not None:
        rds.compose(xr, out, where)
    outputs.publish(xr, out)


def measure(p: DatabaseParameters) -> dict[str, Measure]:
    """What the Composition's policy limits: the size, and the storage it may grow to."""
    return {
        "databaseSize": Measure("spec.parameters.size", p.size),
        "storageGiB": (
            Measure(p.storage_field, p.storage)
            if p.placement == "cluster"  # a volume does not grow by itself
            else Measure("spec.parameters.maxStorageGiB", p.max_storage)
        ),
    }


BLUEPRINT = Blueprint(
    kind="XDatabase",
    claim_kind="Database",
    description=(
        "A private, encrypted, backed-up database: RDS (PostgreSQL, MySQL or MariaDB), or "
        "PostgreSQL on CloudNativePG in a Paved cluster."
    ),
    parameters=DatabaseParameters,
    status=DatabaseStatus,
    compose=compose,
    connection_keys=("host", "port", "username", "password", "database", "uri"),
    measure=measure,
    columns=(
        ("ENGINE", ".spec.parameters.engine", "string"),
        ("ENDPOINT", ".status.database.endpoint", "string"),
        ("REGION", ".spec.parameters.region", "string"),
    ),
)
