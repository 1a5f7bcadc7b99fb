"""The RDS resources: subnet group, security group and its ingress rules, parameter group,
the KMS key and the instance."""

from __future__ import annotations

from typing import Any

from functions.kit import Composite, Desired
from functions.resources import kms
from functions.resources.kinds import (
    DB_INSTANCE,
    DB_PARAMETER_GROUP,
    DB_SUBNET_GROUP,
    SECURITY_GROUP,
    SECURITY_GROUP_INGRESS_RULE,
)

from .names import (
    connection_secret_name,
    final_snapshot_identifier,
    identifier,
    ingress_key,
    parameter_group_key,
    password_secret_name,
)
from .parameters import MASTER_USERNAME, PASSWORD_KEY, DatabaseParameters
from .placement import Placement


def compose(xr: Composite[DatabaseParameters], out: Desired, placement: Placement) -> None:
    """An RDS instance in the placement's VPC, with everything it needs, in stage order."""
    p = xr.params
    # A composed key is kept even if kmsKeyArn is set later: deleting it would make the
    # database and its snapshots unreadable.
    if p.needs_key or "kms-key" in xr.observed:
        out.add("kms-key", kms.key(xr, "kms-key", f"Encrypts RDS database {identifier(xr)}"))
    out.add("subnet-group", subnet_group(xr, placement))
    out.add("security-group", security_group(xr, placement))
    for key in placement.ingress_keys:
        out.add(key, ingress_rule(xr, placement, key), after=["security-group"])
    group_key = parameter_group_key(p)
    out.add(group_key, parameter_group(xr, group_key))
    instance_after = ["subnet-group", "security-group", group_key]
    if p.needs_key:
        instance_after.append("kms-key")
    out.add("instance", instance(xr), after=instance_after)
    # The kit keeps whatever is observed but no longer planned; these go on purpose.
    out.remove_unplanned(lambda key: key.startswith("ingress-"), "its CIDR block was removed")
    out.remove_unplanned(
        lambda key: key.startswith("parameter-group-"), "the instance uses a newer group"
    )


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
    )


def security_group(xr: Composite[DatabaseParameters], placement: Placement) -> dict[str, Any]:
    # The provider removes the default allow-all egress rule on create, and no ingress exists
    # but the rules composed below: the database is reachable from the named sources only.
    return xr.shape.managed(
        SECURITY_GROUP,
        xr.resource_name("security-group"),
        {
            "region": xr.params.region,
            # AWS reserves names starting with sg-, which an identifier could.
            "name": f"{identifier(xr)}-rds",
            "description": f"RDS database {identifier(xr)}: engine port from allowed sources only",
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
        "securityGroupIdRef": xr.shape.ref(xr.resource_name("security-group")),
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
    return xr.shape.managed(
        DB_PARAMETER_GROUP,
        xr.resource_name(key),
        {
            "region": p.region,
            "family": engine.family(p.major_version),
            "description": f"RDS database {identifier(xr)}: TLS only",
            "parameter": [{"name": engine.tls_parameter, "value": "1", "applyMethod": "immediate"}],
            "tags": xr.tags(),
        },
    )


def instance(xr: Composite[DatabaseParameters]) -> dict[str, Any]:
    p = xr.params
    key_ref = xr.shape.ref(xr.resource_name("kms-key"))
    for_provider: dict[str, Any] = {
        "region": p.region,
        "engine": p.engine,
        "engineVersion": p.major_version,
        "autoMinorVersionUpgrade": True,
        "instanceClass": p.instance_class_name,
        "allocatedStorage": p.storage,
        "maxAllocatedStorage": p.max_storage,
        "storageType": "gp3",
        "storageEncrypted": True,
        "dbName": p.database_name,
        "username": MASTER_USERNAME,
        "autoGeneratePassword": True,
        "passwordSecretRef": password_secret_ref(xr),
        "port": p.engine_spec.port,
        "dbSubnetGroupNameRef": xr.shape.ref(xr.resource_name("subnet-group")),
        "vpcSecurityGroupIdRefs": [xr.shape.ref(xr.resource_name("security-group"))],
        "parameterGroupNameRef": xr.shape.ref(xr.resource_name(parameter_group_key(p))),
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
        if p.kms_key_arn:
            for_provider["performanceInsightsKmsKeyId"] = p.kms_key_arn
        else:
            for_provider["performanceInsightsKmsKeyIdRef"] = key_ref
    observed = xr.observed.get("instance")
    observed_version = observed.get("spec", "forProvider", "engineVersion") if observed else None
    if observed_version and observed_version != p.major_version:
        # Asked for a newer major version (downgrades were refused): RDS needs explicit consent.
        for_provider["allowMajorVersionUpgrade"] = True
    if p.maintenance_window:
        for_provider["maintenanceWindow"] = p.maintenance_window
    if p.backup_window:
        for_provider["backupWindow"] = p.backup_window
    return xr.shape.managed(
        DB_INSTANCE,
        xr.resource_name("instance"),
        for_provider,
        external_name=identifier(xr),
        connection_secret=connection_secret_name(xr),
    )


def password_secret_ref(xr: Composite[Any]) -> dict[str, str]:
    """Where the provider stores the password it generates: next to the connection secret."""
    return xr.shape.secret_ref(password_secret_name(xr), PASSWORD_KEY)
