"""What is refused before anything is composed: input RDS would refuse, and changes to a running
database that RDS would answer by replacing (losing) it or that would get it stuck.

Format rules live in the parameters model (and so in the XRD); here are the checks across fields
and the checks against what is observed. Every observed value is read from the provider's status
and, when that is missing (after a restore or an adoption), from the observed spec: a check that
cannot see the running database must never let a change through.
"""

from __future__ import annotations

from typing import Any

from functions.kit import ComposeError, Composite, Observed
from functions.resources.arns import refuse_key_elsewhere

from .parameters import SIZES, DatabaseParameters, EngineSpec
from .placement import Placement

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
MIN_WINDOW_MINUTES = 30
SIZE_STORAGES = {size.storage_gib for size in SIZES.values()}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# -- input --------------------------------------------------------------------------------------


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
    if p.kms_key_arn:
        refuse_key_elsewhere("spec.parameters.kmsKeyArn", p.kms_key_arn, p.region)
    validate_windows(p)


def _minutes(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


def _backup_window(window: str) -> tuple[int, int]:
    """(start minute of the day, length in minutes) of `hh24:mi-hh24:mi`; it may span midnight."""
    start, end = (_minutes(t) for t in window.split("-"))
    return start, (end - start) % MINUTES_PER_DAY


def _maintenance_window(window: str) -> tuple[int, int]:
    """(start minute of the week, length in minutes) of `ddd:hh24:mi-ddd:hh24:mi`."""
    start, end = (DAYS.index(t[:3]) * MINUTES_PER_DAY + _minutes(t[4:]) for t in window.split("-"))
    return start, (end - start) % MINUTES_PER_WEEK


def _overlap(a: tuple[int, int], b: tuple[int, int], period: int) -> bool:
    """Whether two intervals (start, length) on a circle of `period` minutes overlap."""
    return (b[0] - a[0]) % period < a[1] or (a[0] - b[0]) % period < b[1]


def validate_windows(p: DatabaseParameters) -> None:
    backup = _backup_window(p.backup_window) if p.backup_window else None
    maintenance = _maintenance_window(p.maintenance_window) if p.maintenance_window else None
    for field, window, value in (
        ("backupWindow", backup, p.backup_window),
        ("maintenanceWindow", maintenance, p.maintenance_window),
    ):
        if window is not None and window[1] < MIN_WINDOW_MINUTES:
            raise ComposeError(
                f"spec.parameters.{field}",
                f"{value} is {window[1]} minutes long; RDS needs at least {MIN_WINDOW_MINUTES}",
            )
    if backup is None or maintenance is None:
        return
    # The backup window recurs every day: compare each day's with the weekly maintenance window.
    for day in range(7):
        daily = (day * MINUTES_PER_DAY + backup[0], backup[1])
        if _overlap(daily, maintenance, MINUTES_PER_WEEK):
            raise ComposeError(
                "spec.parameters.backupWindow",
                f"{p.backup_window} overlaps spec.parameters.maintenanceWindow "
                f"{p.maintenance_window}; RDS refuses overlapping windows",
            )


# -- changes to a running database --------------------------------------------------------------


def observed_field(resource: Observed, field: str) -> Any:
    """A field of a managed resource as the provider reports it, else as its spec says."""
    return resource.actual(field)


def observed_text(resource: Observed, field: str) -> str | None:
    """`observed_field` when it is a non-empty string; anything else is unknown, not a change."""
    return resource.actual_text(field) or None


def major_of(engine: EngineSpec, version: object) -> str | None:
    """The supported major version `version` belongs to: 16.4 -> 16, 8.0.39 -> 8.0."""
    if not isinstance(version, str | int | float):
        return None
    text = str(version)
    matches = [v for v in engine.versions if text == v or text.startswith(v + ".")]
    return max(matches, key=len) if matches else None


def refuse_destructive_changes(
    xr: Composite[DatabaseParameters], placement: Placement | None
) -> None:
    """Changes RDS would answer by replacing (losing) the database or by failing forever."""
    instance = xr.observed.get("instance")
    if instance is not None:
        _refuse_instance_changes(xr, instance)
    security_group = xr.observed.get("security-group")
    if placement is not None and security_group is not None:
        observed_vpc = observed_text(security_group, "vpcId")
        if observed_vpc and observed_vpc != placement.vpc_id:
            raise ComposeError(
                "spec.parameters.network",
                f"the database is in {observed_vpc}; moving it to {placement.vpc_id} is not "
                "supported. Create a new Database and migrate the data instead",
            )


def _refuse_instance_changes(xr: Composite[DatabaseParameters], instance: Observed) -> None:
    p = xr.params
    observed_engine = asked_or_reported(instance, "engine")
    if not isinstance(observed_engine, str):
        observed_engine = None
    if observed_engine and observed_engine != p.engine:
        raise ComposeError(
            "spec.parameters.engine",
            f"the database runs {observed_engine}; changing the engine to {p.engine} would "
            "replace it and lose its data. Create a new Database and migrate the data instead",
        )
    # What was asked for, not what runs: storage autoscaling grows the instance past it.
    observed_storage = asked_or_reported(instance, "allocatedStorage")
    if isinstance(observed_storage, int | float) and p.storage < observed_storage:
        _refuse_shrinking(p, int(observed_storage))
    observed_major = major_of(p.engine_spec, observed_engine_version(instance))
    versions = p.engine_spec.versions
    if observed_major and versions.index(p.major_version) < versions.index(observed_major):
        raise ComposeError(
            "spec.parameters.version",
            f"the database runs {p.engine} {observed_major}; "
            f"RDS cannot downgrade it to {p.major_version}",
        )
    observed_name = observed_text(instance, "dbName")
    if observed_name and observed_name != p.database_name:
        raise ComposeError(
            "spec.parameters.databaseName",
            f"the database was created as {observed_name}; renaming it would replace the instance",
        )
    if observed_field(instance, "storageEncrypted") is False:
        raise ComposeError(
            "spec.parameters",
            "the database's storage is not encrypted and RDS cannot encrypt a running database; "
            "restore an encrypted copy of a snapshot into a new Database instead",
        )
    _refuse_key_change(xr, instance)


def _refuse_shrinking(p: DatabaseParameters, observed_storage: int) -> None:
    field, hint = p.storage_field, ""
    if p.storage_gib is None:
        hint = f" (set storageGiB to {observed_storage} or more to keep it)"
        if observed_storage not in SIZE_STORAGES:
            # Not a size's storage: it came from storageGiB, which is gone now.
            field = "spec.parameters.storageGiB"
    raise ComposeError(
        field,
        f"storage would shrink from {observed_storage} to {p.storage} GiB; "
        f"RDS cannot shrink storage, it can only grow{hint}",
    )


def observed_engine_version(instance: Observed) -> Any:
    # What was asked for first: status reports the minor version it runs, e.g. 16.4.
    return asked_or_reported(instance, "engineVersion")


def asked_or_reported(instance: Observed, field: str) -> Any:
    """What the instance was asked for (spec.forProvider), else what AWS reports it runs."""
    return instance.get("spec", "forProvider", field) or instance.at_provider(field)


def _refuse_key_change(xr: Composite[DatabaseParameters], instance: Observed) -> None:
    """The key a database is encrypted with is fixed at creation: any other key replaces it."""
    p = xr.params
    composed_name = xr.resource_name("kms-key")
    composed = xr.observed.get("kms-key")
    composed_arn = observed_text(composed, "arn") if composed is not None else None
    reference = instance.get("spec", "forProvider", "kmsKeyIdRef")
    on_composed = isinstance(reference, dict) and reference.get("name") == composed_name
    in_use = observed_text(instance, "kmsKeyId") or (
        (composed_arn or f"the composed key {composed_name}") if on_composed else None
    )
    if not in_use:
        return  # not created yet: nothing is encrypted with any key so far
    if p.kms_key_arn:
        wanted, same = p.kms_key_arn, in_use == p.kms_key_arn
    elif composed is None:
        wanted, same = "a new key composed for it", False
    else:
        wanted = composed_arn or f"the composed key {composed_name}"
        same = on_composed or in_use == composed_arn
    if not same:
        raise ComposeError(
            "spec.parameters.kmsKeyArn",
            f"the database is encrypted with {in_use}; changing the key to {wanted} would "
            "replace it",
        )


# -- placement ----------------------------------------------------------------------------------

# CloudNativePG's PostgreSQL images (ghcr.io/cloudnative-pg/postgresql) for supported majors.
CLUSTER_VERSIONS = ("14", "15", "16", "17")
# What only an RDS instance has: refused with placement cluster rather than silently ignored.
RDS_ONLY = (
    ("instanceClass", "instance_class", None),
    ("maxStorageGiB", "max_storage_gib", None),
    ("performanceInsights", "performance_insights", False),
    ("maintenanceWindow", "maintenance_window", None),
)


def validate_placement(p: DatabaseParameters) -> None:
    """What placement cluster needs, and what it cannot do."""
    namespaces = "spec.parameters.network.allowedNamespaces"
    if p.placement == "aws":
        if p.network.allowed_namespaces:
            raise ComposeError(
                namespaces, "is for placement cluster; RDS admits allowedCidrs or cluster nodes"
            )
        return
    if p.engine != "postgres":
        raise ComposeError(
            "spec.parameters.engine",
            f"placement cluster runs PostgreSQL (CloudNativePG) only, not {p.engine}; "
            "use placement aws for it",
        )
    if p.major_version not in CLUSTER_VERSIONS:
        raise ComposeError(
            "spec.parameters.version",
            f"postgres {p.major_version} is not supported with placement cluster; "
            f"use one of {', '.join(CLUSTER_VERSIONS)}",
        )
    for field, attribute, unset in RDS_ONLY:
        if getattr(p, attribute) != unset:
            raise ComposeError(
                f"spec.parameters.{field}", "is for placement aws (RDS) only; leave it out"
            )
    if not p.network.allowed_namespaces:
        raise ComposeError(
            namespaces, "needs at least one namespace of the cluster, or nothing can connect"
        )


def refuse_placement_change(xr: Composite[DatabaseParameters]) -> None:
    """The XRD refuses a change of placement; this catches XRs that bypass the API server."""
    observed = "aws" if "instance" in xr.observed else None
    if "postgres" in xr.observed:
        observed = "cluster"
    if observed and observed != xr.params.placement:
        raise ComposeError(
            "spec.parameters.placement",
            f"the database runs with placement {observed}; moving it to "
            f"{xr.params.placement} is not supported. Create a new Database and migrate the data",
        )


def _gibibytes(size: object) -> int | None:
    """A Kubernetes quantity in whole GiB (20Gi -> 20), None when it is not one."""
    if isinstance(size, str) and size.endswith("Gi") and size[:-2].isdigit():
        return int(size[:-2])
    return None


def refuse_cluster_changes(
    xr: Composite[DatabaseParameters], provider_config_name: str | None
) -> None:
    """Changes CloudNativePG cannot make to a running database, or that would move it."""
    p = xr.params
    namespace = xr.observed.get("namespace")
    observed_config = (
        namespace.text("spec", "providerConfigRef", "name") if namespace is not None else None
    )
    if observed_config is not None and observed_config != provider_config_name:
        raise ComposeError(
            "spec.parameters.network.clusterRef.name",
            f"the database runs in the cluster of ProviderConfig {observed_config}; moving it "
            "to another cluster is not supported. Create a new Database and migrate the data",
        )
    postgres = xr.observed.get("postgres")
    spec = (
        postgres.mapping("spec", "forProvider", "manifest", "spec")
        if postgres is not None
        else None
    )
    if spec is None:
        return
    storage = spec.get("storage")
    size = _gibibytes(storage.get("size") if isinstance(storage, dict) else None)
    if size is not None and p.storage < size:
        raise ComposeError(
            p.storage_field,
            f"storage would shrink from {size} to {p.storage} GiB; a volume can only grow",
        )
    image = spec.get("imageName")
    running = image.rpartition(":")[2].split(".")[0] if isinstance(image, str) else None
    if running in CLUSTER_VERSIONS and CLUSTER_VERSIONS.index(p.major_version) < (
        CLUSTER_VERSIONS.index(running)
    ):
        raise ComposeError(
            "spec.parameters.version",
            f"the database runs postgres {running}; PostgreSQL cannot downgrade to "
            f"{p.major_version}",
        )
    bootstrap = spec.get("bootstrap")
    initdb = bootstrap.get("initdb") if isinstance(bootstrap, dict) else None
    name = initdb.get("database") if isinstance(initdb, dict) else None
    if isinstance(name, str) and name and name != p.database_name:
        raise ComposeError(
            "spec.parameters.databaseName",
            f"the database was created as {name}; it cannot be renamed",
        )
