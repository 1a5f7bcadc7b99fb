"""Input and changes RDS would refuse, or answer by replacing (losing) the database."""

from __future__ import annotations

from functions.kit import ComposeError, Composite

from .parameters import DatabaseParameters
from .placement import Placement


def validate(p: DatabaseParameters) -> None:
    engine = p.engine_spec
    if p.major_version not in engine.versions:
        raise ComposeError(
            "spec.parameters.version",
            f"{p.engine} {p.major_version} is not supported; "
            f"use one of {', '.join(engine.versions)}",
        )
    if p.backup_retention_days == 0 and not p.allow_no_backups:
        raise ComposeError(
            "spec.parameters.backupRetentionDays",
            "0 turns off automated backups and point-in-time recovery; "
            "set allowNoBackups: true to confirm",
        )
    if p.max_storage < p.storage:
        raise ComposeError(
            "spec.parameters.maxStorageGiB", f"must be at least the storage ({p.storage} GiB)"
        )


def refuse_destructive_changes(
    xr: Composite[DatabaseParameters], placement: Placement | None
) -> None:
    """Changes RDS would answer by replacing (losing) the database or by failing forever."""
    instance = xr.observed.get("instance")
    if instance is None:
        return
    p = xr.params
    observed_engine = instance.get("spec", "forProvider", "engine") or instance.at_provider(
        "engine"
    )
    if observed_engine and observed_engine != p.engine:
        raise ComposeError(
            "spec.parameters.engine",
            f"the database runs {observed_engine}; changing the engine to {p.engine} would "
            "replace it and lose its data. Create a new Database and migrate the data instead",
        )
    observed_storage = instance.get("spec", "forProvider", "allocatedStorage")
    if isinstance(observed_storage, int | float) and p.storage < observed_storage:
        raise ComposeError(
            p.storage_field,
            f"storage would shrink from {int(observed_storage)} to {p.storage} GiB; "
            "RDS cannot shrink storage, it can only grow",
        )
    observed_version = instance.get("spec", "forProvider", "engineVersion")
    versions = p.engine_spec.versions
    if observed_version in versions and versions.index(p.major_version) < versions.index(
        observed_version
    ):
        raise ComposeError(
            "spec.parameters.version",
            f"the database runs {p.engine} {observed_version}; "
            f"RDS cannot downgrade it to {p.major_version}",
        )
    observed_name = instance.get("spec", "forProvider", "dbName")
    if observed_name and observed_name != p.database_name:
        raise ComposeError(
            "spec.parameters.databaseName",
            f"the database was created as {observed_name}; renaming it would replace the instance",
        )
    observed_key = instance.at_provider("kmsKeyId") or instance.get(
        "spec", "forProvider", "kmsKeyId"
    )
    composed_key = xr.observed.get("kms-key")
    wanted_key = p.kms_key_arn or (composed_key.at_provider("arn") if composed_key else None)
    if observed_key and wanted_key and observed_key != wanted_key:
        raise ComposeError(
            "spec.parameters.kmsKeyArn",
            f"the database is encrypted with {observed_key}; changing the key would replace it",
        )
    security_group = xr.observed.get("security-group")
    observed_vpc = security_group.at_provider("vpcId") if security_group else None
    if placement is not None and observed_vpc and observed_vpc != placement.vpc_id:
        raise ComposeError(
            "spec.parameters.network",
            f"the database is in {observed_vpc}; moving it to {placement.vpc_id} is not supported. "
            "Create a new Database and migrate the data instead",
        )
