"""The RDS resources: the KMS key, subnet group, security group and its ingress rules, parameter
group and the instance (which uses the key: a Usage keeps the key while the instance exists)."""

from __future__ import annotations

from typing import Any

from functions.kit import Composite, Desired, Observed
from functions.resources import kms
from functions.resources.kinds import (
    DB_INSTANCE,
    DB_PARAMETER_GROUP,
    DB_SUBNET_GROUP,
    SECURITY_GROUP,
    SECURITY_GROUP_INGRESS_RULE,
)

from .guards import major_of, observed_engine_version, observed_field, observed_text
from .names import (
    PARAMETER_GROUP_PREFIX,
    connection_secret_name,
    final_snapshot_identifier,
    identifier,
    ingress_key,
    parameter_group_key,
    parameter_group_name,
    password_secret_name,
    security_group_name,
    subnet_group_name,
)
from .parameters import MASTER_USERNAME, PASSWORD_KEY, DatabaseParameters
from .placement import Placement

# Stages: each gets a `<Stage>Ready` condition (DatabaseReady is the blueprint's own, with the
# endpoint) and shows in status.progress.
NETWORK, ENCRYPTION, DATABASE = "Network", "Encryption", "Database"
GONE_WITH_THE_INSTANCE = (
    "AWS refuses to delete it while the instance uses it; the provider retries until the "
    "instance is gone"
)


def compose(xr: Composite[DatabaseParameters], out: Desired, placement: Placement) -> None:
    """An RDS instance in the placement's VPC, with everything it needs, in stage order."""
    p = xr.params
    # A composed key is kept even if kmsKeyArn is set later: deleting it would make the
    # database and its snapshots unreadable. The instance uses it (a Usage), and it is orphaned
    # where backups or snapshots outlive the instance.
    composes_key = p.needs_key or "kms-key" in xr.observed
    if composes_key:
        out.add(
            "kms-key",
            lambda: kms.key(
                xr,
                "kms-key",
                f"Encrypts RDS database {identifier(xr)}",
                outlives_xr=data_outlives_instance(p),
            ),
            stage=ENCRYPTION,
        )
    out.add(
        "subnet-group",
        lambda: subnet_group(xr, placement),
        stage=NETWORK,
        delete_in_any_order=GONE_WITH_THE_INSTANCE,
    )
    out.add(
        "security-group",
        lambda: security_group(xr, placement),
        stage=NETWORK,
        delete_in_any_order="its rules are revoked on delete; " + GONE_WITH_THE_INSTANCE,
    )
    for key in placement.ingress_keys:
        out.add(
            key,
            lambda key=key: ingress_rule(xr, placement, key),  # type: ignore[misc]
            after=["security-group"],
            stage=NETWORK,
        )
    upgrade = ParameterGroups.plan(xr)
    out.add(
        upgrade.wanted,
        lambda: parameter_group(xr, upgrade.wanted),
        stage=DATABASE,
        delete_in_any_order=GONE_WITH_THE_INSTANCE,
    )
    for old in upgrade.kept:
        # The instance still uses it: dropping it now would leave RDS a group it cannot delete.
        out.add(old, xr.observed[old].as_desired(), stage=DATABASE)
    instance_after = ["subnet-group", "security-group", upgrade.wanted]
    if p.needs_key:
        instance_after.append("kms-key")
    out.add(
        "instance",
        lambda: instance(xr, upgrade, out.is_ready(upgrade.wanted)),
        after=instance_after,
        stage=DATABASE,
        uses=["kms-key"] if composes_key else [],
    )
    # The kit keeps whatever is observed but no longer planned; these go on purpose: a revoked
    # CIDR block's rule, and an old parameter group once the instance is observed on the new one.
    out.remove_unplanned(lambda key: key.startswith("ingress-"), "its CIDR block was removed")
    out.remove_unplanned(
        lambda key: key.startswith(PARAMETER_GROUP_PREFIX),
        "the instance is observed on the new group",
    )


def data_outlives_instance(p: DatabaseParameters) -> bool:
    """Whether anything encrypted with the database's key can outlive the instance: its final
    snapshot, its automated backups (always retained after deletion), or the instance itself
    when deletion protection keeps it."""
    return p.final_snapshot or p.backup_retention_days > 0 or p.deletion_protection


class ParameterGroups:
    """The parameter group the instance should use, and older ones it may still be on.

    A group's family cannot change, so a major version upgrade composes the new family's group,
    moves the instance to it (with the new version) once it is Ready, and keeps the old group
    until the instance is observed on the new one.
    """

    def __init__(self, wanted: str, kept: list[str], current: str | None) -> None:
        self.wanted = wanted
        self.kept = kept
        # The group the observed instance is on, when it is not `wanted`.
        self.current = current

    @classmethod
    def plan(cls, xr: Composite[DatabaseParameters]) -> ParameterGroups:
        wanted = parameter_group_key(xr.params)
        older = sorted(
            key for key in xr.observed if key.startswith(PARAMETER_GROUP_PREFIX) and key != wanted
        )
        instance = xr.observed.get("instance")
        if instance is None or not older:
            return cls(wanted, [], None)
        on_wanted = instance.at_provider("parameterGroupName") == parameter_group_name(xr, wanted)
        if on_wanted:
            return cls(wanted, [], None)
        in_spec = instance.get("spec", "forProvider", "parameterGroupName")
        current = next(
            (key for key in older if parameter_group_name(xr, key) == in_spec), older[-1]
        )
        return cls(wanted, older, current)


def subnet_group(xr: Composite[DatabaseParameters], placement: Placement) -> dict[str, Any]:
    return xr.shape.managed(
        DB_SUBNET_GROUP,
        xr.resource_name("subnet-group"),
        {
            "region": xr.params.region,
            "description": f"Private subnets of RDS database {identifier(xr)}",
            "subnetIds": list(placement.subnet_ids),
            "tags": xr.tags(),
        },
        # NameAsIdentifier: the external name is the group's AWS name.
        external_name=subnet_group_name(xr),
    )


def as_created(xr: Composite[Any], key: str, field: str, value: Any) -> Any:
    """An immutable field's value as the resource was created with, once it exists: a different
    value would be refused by the provider and leave the resource stuck."""
    observed = xr.observed.get(key)
    created = observed.get("spec", "forProvider", field) if observed is not None else None
    return created if isinstance(created, type(value)) and created else value


def security_group(xr: Composite[DatabaseParameters], placement: Placement) -> dict[str, Any]:
    # The provider removes the default allow-all egress rule on create, and no ingress exists
    # but the rules composed below: the database is reachable from the named sources only.
    description = f"RDS database {identifier(xr)}: engine port from allowed sources only"
    return xr.shape.managed(
        SECURITY_GROUP,
        xr.resource_name("security-group"),
        {
            "region": xr.params.region,
            "name": security_group_name(xr),
            "description": as_created(xr, "security-group", "description", description),
            "vpcId": placement.vpc_id,
            "revokeRulesOnDelete": True,
            "tags": xr.tags(),
        },
    )


def ingress_rule(
    xr: Composite[DatabaseParameters], placement: Placement, key: str
) -> dict[str, Any]:
    port = xr.params.engine_spec.port
    rule: dict[str, Any] = {
        "region": xr.params.region,
        "securityGroupIdRef": xr.ref("security-group"),
        "ipProtocol": "tcp",
        "fromPort": port,
        "toPort": port,
        "tags": xr.tags(),
    }
    if placement.source_security_group_id is not None:
        rule["referencedSecurityGroupId"] = placement.source_security_group_id
        rule["description"] = f"{xr.params.engine} from the cluster's nodes"
    else:
        cidr = next(c for c in placement.cidrs if ingress_key(c) == key)
        rule["cidrIpv6" if ":" in cidr else "cidrIpv4"] = cidr
        rule["description"] = f"{xr.params.engine} from {cidr}"
    return xr.shape.managed(SECURITY_GROUP_INGRESS_RULE, xr.resource_name(key), rule)


def parameter_group(xr: Composite[DatabaseParameters], key: str) -> dict[str, Any]:
    p = xr.params
    engine = p.engine_spec
    description = f"RDS database {identifier(xr)}: TLS only"
    return xr.shape.managed(
        DB_PARAMETER_GROUP,
        xr.resource_name(key),
        {
            "region": p.region,
            "family": as_created(xr, key, "family", engine.family(p.major_version)),
            "description": as_created(xr, key, "description", description),
            "parameter": [{"name": engine.tls_parameter, "value": "1", "applyMethod": "immediate"}],
            "tags": xr.tags(),
        },
        # NameAsIdentifier: the external name is the group's AWS name.
        external_name=parameter_group_name(xr, key),
    )


def instance(
    xr: Composite[DatabaseParameters], groups: ParameterGroups, new_group_ready: bool
) -> dict[str, Any]:
    p = xr.params
    observed = xr.observed.get("instance")
    key_ref = xr.ref("kms-key")
    for_provider: dict[str, Any] = {
        "region": p.region,
        # IdentifierFromProvider: the external name is the DbiResourceId AWS assigns, so the
        # identifier is a parameter and the crossplane.io/external-name annotation is left alone.
        "identifier": identifier(xr),
        "engine": p.engine,
        "engineVersion": p.major_version,
        "autoMinorVersionUpgrade": True,
        "instanceClass": p.instance_class_name,
        "allocatedStorage": p.storage,
        "maxAllocatedStorage": p.max_storage,
        "storageType": "gp3",
        "storageEncrypted": True,
        "dbName": p.database_name,
        "username": _username(observed),
        "autoGeneratePassword": True,
        "passwordSecretRef": password_secret_ref(xr),
        "port": p.engine_spec.port,
        "dbSubnetGroupNameRef": xr.ref("subnet-group"),
        "vpcSecurityGroupIdRefs": [xr.ref("security-group")],
        # A literal name, not a reference: a reference is never resolved again once its field
        # is set, so a major version upgrade could never move the instance to the new group.
        "parameterGroupName": parameter_group_name(xr, groups.wanted),
        "applyImmediately": p.apply_immediately,
        "publiclyAccessible": False,
        "multiAz": p.high_availability,
        "backupRetentionPeriod": p.backup_retention_days,
        "copyTagsToSnapshot": True,
        # Keep automated backups after the instance is deleted: they are the last way back.
        "deleteAutomatedBackups": False,
        "deletionProtection": p.deletion_protection,
        "skipFinalSnapshot": not p.final_snapshot,
        "performanceInsightsEnabled": p.performance_insights,
        "tags": xr.tags(),
    }
    if p.final_snapshot:
        for_provider["finalSnapshotIdentifier"] = final_snapshot_identifier(xr)
    if p.kms_key_arn:
        for_provider["kmsKeyId"] = p.kms_key_arn
    else:
        for_provider["kmsKeyIdRef"] = key_ref
    if p.performance_insights:
        for_provider["performanceInsightsRetentionPeriod"] = 7
        insights_key = p.kms_key_arn or _composed_key_arn(xr, observed)
        if insights_key:
            for_provider["performanceInsightsKmsKeyId"] = insights_key
    observed_version = observed_engine_version(observed) if observed is not None else None
    if groups.current is not None and not new_group_ready:
        # A major upgrade waits for the new family's group: until it is Ready the instance
        # stays on its version and its group.
        for_provider["engineVersion"] = str(observed_version or p.major_version)
        for_provider["parameterGroupName"] = parameter_group_name(xr, groups.current)
    elif observed is not None and _majors(p, observed) != {p.major_version}:
        # Asked for a newer major version (downgrades were refused): RDS needs explicit consent,
        # until the instance reports running it (a deferred upgrade is still pending until then).
        for_provider["allowMajorVersionUpgrade"] = True
    if p.maintenance_window:
        for_provider["maintenanceWindow"] = p.maintenance_window
    if p.backup_window:
        for_provider["backupWindow"] = p.backup_window
    return xr.shape.managed(
        DB_INSTANCE,
        xr.resource_name("instance"),
        for_provider,
        connection_secret=connection_secret_name(xr),
    )


def _majors(p: DatabaseParameters, instance: Observed) -> set[str | None]:
    """The major versions the instance was asked for and reports running."""
    asked = major_of(p.engine_spec, observed_engine_version(instance))
    running = instance.at_provider("engineVersionActual") or instance.at_provider("engineVersion")
    return {asked, major_of(p.engine_spec, running) if running else asked}


def _composed_key_arn(xr: Composite[DatabaseParameters], observed: Observed | None) -> str | None:
    """The composed key's ARN. Not through performanceInsightsKmsKeyIdRef: that reference yields
    the key's id where RDS wants an ARN. The instance waits for the key, so the ARN is known by
    then; without the key's status, the instance's own record of it is used."""
    key = xr.observed.get("kms-key")
    candidates = [key.at_provider("arn") if key is not None else None]
    if observed is not None:
        candidates += [
            observed_field(observed, "performanceInsightsKmsKeyId"),
            observed_field(observed, "kmsKeyId"),
        ]
    return next((c for c in candidates if isinstance(c, str) and c.startswith("arn:")), None)


def _username(observed: Observed | None) -> str:
    # The master user cannot be renamed: keep the one the instance was created with.
    return (
        observed_text(observed, "username") if observed is not None else None
    ) or MASTER_USERNAME


def password_secret_ref(xr: Composite[Any]) -> dict[str, str]:
    """Where the provider stores the password it generates: next to the connection secret."""
    return xr.shape.secret_ref(password_secret_name(xr), PASSWORD_KEY)
