"""XDatabase: a private, encrypted, backed-up RDS database that survives mistakes.

Public reference compositions use the smallest class, no encryption, no backups,
`skipFinalSnapshot: true` and a security group open to 0.0.0.0/0. Here every default loses no
data and exposes nothing: deletion protection, a final snapshot, seven days of backups, a
customer-managed KMS key, TLS forced by the parameter group, no public address, and a security
group that only admits the sources the developer named (or their cluster's nodes).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import AfterValidator, Field, model_validator

from functions.kit import (
    Blueprint,
    CommonParameters,
    ComposeError,
    Composite,
    Desired,
    Measure,
    Model,
    dns_label,
)
from functions.kit.composite import CLAIM_NAMESPACE_LABEL
from functions.resources import kms
from functions.resources.kinds import (
    DB_INSTANCE,
    DB_PARAMETER_GROUP,
    DB_SUBNET_GROUP,
    SECURITY_GROUP,
    SECURITY_GROUP_INGRESS_RULE,
)

# -- engines and sizes --------------------------------------------------------------------------

Engine = Literal["postgres", "mysql", "mariadb"]
Size = Literal["small", "medium", "large"]


@dataclass(frozen=True)
class EngineSpec:
    versions: tuple[str, ...]  # supported major versions, oldest first
    default_version: str
    port: int
    family_prefix: str  # parameter group family = prefix + major version
    tls_parameter: str  # the parameter that refuses unencrypted connections
    uri_scheme: str
    uri_query: str

    def family(self, version: str) -> str:
        return f"{self.family_prefix}{version}"


ENGINES: dict[str, EngineSpec] = {
    "postgres": EngineSpec(
        versions=("13", "14", "15", "16", "17"),
        default_version="16",
        port=5432,
        family_prefix="postgres",
        tls_parameter="rds.force_ssl",
        uri_scheme="postgresql",
        uri_query="sslmode=require",
    ),
    "mysql": EngineSpec(
        versions=("8.0", "8.4"),
        default_version="8.0",
        port=3306,
        family_prefix="mysql",
        tls_parameter="require_secure_transport",
        uri_scheme="mysql",
        uri_query="ssl-mode=REQUIRED",
    ),
    "mariadb": EngineSpec(
        versions=("10.6", "10.11", "11.4"),
        default_version="10.11",
        port=3306,
        family_prefix="mariadb",
        tls_parameter="require_secure_transport",
        # MariaDB speaks the MySQL protocol; mysql:// is the scheme most client libraries accept.
        uri_scheme="mysql",
        uri_query="ssl-mode=REQUIRED",
    ),
}


@dataclass(frozen=True)
class SizeSpec:
    instance_class: str
    storage_gib: int


SIZES: dict[str, SizeSpec] = {
    "small": SizeSpec("db.t4g.medium", 20),
    "medium": SizeSpec("db.m7g.large", 100),
    "large": SizeSpec("db.r7g.xlarge", 500),
}

# Storage autoscaling ceiling when none is given: room to grow fourfold before anyone is paged.
AUTOSCALING_FACTOR = 4
MAX_STORAGE_GIB = 65536
# The master user RDS creates; it cannot be renamed later, so it is not a parameter.
MASTER_USERNAME = "paved_admin"
PASSWORD_KEY = "password"

# -- parameters ---------------------------------------------------------------------------------


def _safe_cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a CIDR block ({error})") from None
    if network.prefixlen == 0:
        raise ValueError(f"{value} would open the database to the whole internet")
    return network.with_prefixlen


Cidr = Annotated[str, AfterValidator(_safe_cidr)]


class ClusterRef(Model):
    name: str = Field(
        min_length=1, max_length=253, description="Name of the Cluster (claim) or XCluster."
    )


class Network(Model):
    """Where the database lives and who may connect: a Paved cluster, or an explicit VPC."""

    cluster_ref: ClusterRef | None = Field(
        default=None,
        description=(
            "Place the database in this Paved cluster's VPC and private subnets, reachable only "
            "from the cluster's nodes. Mutually exclusive with vpcId/subnetIds/allowedCidrs."
        ),
    )
    vpc_id: str | None = Field(
        default=None, pattern=r"^vpc-[0-9a-f]+$", description="The VPC to place the database in."
    )
    subnet_ids: list[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]+$")]] = Field(
        default_factory=list,
        description="Private subnets in at least two availability zones of vpcId.",
    )
    allowed_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="CIDR blocks allowed to connect on the engine port (never 0.0.0.0/0 or ::/0).",
    )

    @model_validator(mode="after")
    def _one_way_to_place_it(self) -> Network:
        explicit = self.vpc_id is not None or self.subnet_ids or self.allowed_cidrs
        if self.cluster_ref is not None and explicit:
            raise ValueError("set either clusterRef or vpcId/subnetIds/allowedCidrs, not both")
        if self.cluster_ref is None:
            if self.vpc_id is None:
                raise ValueError("set clusterRef, or vpcId with subnetIds and allowedCidrs")
            if len(set(self.subnet_ids)) < 2:
                raise ValueError("subnetIds needs at least two private subnets (RDS spans two AZs)")
            if not self.allowed_cidrs:
                raise ValueError(
                    "allowedCidrs needs at least one CIDR block, or nothing can connect"
                )
            if len(set(self.allowed_cidrs)) != len(self.allowed_cidrs):
                raise ValueError("allowedCidrs lists the same CIDR block twice")
        return self


class DatabaseParameters(CommonParameters):
    """What the Database should be."""

    engine: Engine = Field(
        default="postgres", description="postgres, mysql or mariadb. Cannot change later."
    )
    version: str | None = Field(
        default=None,
        description=(
            "Major engine version: postgres 13-17 (default 16), mysql 8.0 or 8.4 (default 8.0), "
            "mariadb 10.6, 10.11 or 11.4 (default 10.11). Minor versions upgrade automatically."
        ),
    )
    size: Size = Field(
        default="small",
        description=(
            "small (db.t4g.medium, 20 GiB), medium (db.m7g.large, 100 GiB), "
            "large (db.r7g.xlarge, 500 GiB)."
        ),
    )
    instance_class: str | None = Field(
        default=None,
        pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$",
        description="Overrides the size's instance class.",
    )
    storage_gib: int | None = Field(
        default=None,
        alias="storageGiB",
        ge=20,
        le=MAX_STORAGE_GIB,
        description="Overrides the size's storage (GiB). Can only grow.",
    )
    max_storage_gib: int | None = Field(
        default=None,
        alias="maxStorageGiB",
        ge=20,
        le=MAX_STORAGE_GIB,
        description="Storage autoscaling ceiling (GiB); defaults to four times the storage.",
    )
    database_name: str = Field(
        default="app",
        pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$",
        description="Name of the database created in the instance. Cannot change later.",
    )
    high_availability: bool = Field(
        default=False, description="A standby in a second availability zone (Multi-AZ)."
    )
    backup_retention_days: int = Field(
        default=7,
        ge=0,
        le=35,
        description="Days of automated backups (point-in-time recovery). 0 needs allowNoBackups.",
    )
    allow_no_backups: bool = Field(
        default=False,
        description="Must be true to set backupRetentionDays to 0 (no automated backups at all).",
    )
    deletion_protection: bool = Field(
        default=True, description="AWS refuses to delete the database while this is true."
    )
    final_snapshot: bool = Field(
        default=True,
        description="Take a snapshot named <identifier>-final when the database is deleted.",
    )
    kms_key_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/.+$",
        description="Encrypt with this KMS key instead of composing one. Cannot change later.",
    )
    performance_insights: bool = Field(
        default=False, description="Enable Performance Insights (7 days, encrypted)."
    )
    maintenance_window: str | None = Field(
        default=None,
        pattern=r"^(mon|tue|wed|thu|fri|sat|sun):\d{2}:\d{2}-(mon|tue|wed|thu|fri|sat|sun):\d{2}:\d{2}$",
        description="Weekly maintenance window in UTC, e.g. sun:03:00-sun:04:00.",
    )
    backup_window: str | None = Field(
        default=None,
        pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$",
        description="Daily backup window in UTC, e.g. 01:00-02:00 (not overlapping maintenance).",
    )
    network: Network = Field(description="Where the database lives and who may connect to it.")

    @property
    def engine_spec(self) -> EngineSpec:
        return ENGINES[self.engine]

    @property
    def major_version(self) -> str:
        return self.version or self.engine_spec.default_version

    @property
    def instance_class_name(self) -> str:
        return self.instance_class or SIZES[self.size].instance_class

    @property
    def storage(self) -> int:
        return self.storage_gib or SIZES[self.size].storage_gib

    @property
    def storage_field(self) -> str:
        return "spec.parameters.storageGiB" if self.storage_gib else "spec.parameters.size"

    @property
    def max_storage(self) -> int:
        return self.max_storage_gib or min(self.storage * AUTOSCALING_FACTOR, MAX_STORAGE_GIB)

    @property
    def needs_key(self) -> bool:
        return self.kms_key_arn is None


# -- status -------------------------------------------------------------------------------------


class DatabaseInfo(Model):
    identifier: str | None = Field(default=None, description="The RDS DB instance identifier.")
    endpoint: str | None = Field(default=None, description="Host name to connect to.")
    port: int | None = Field(default=None, description="Port to connect to.")
    engine: str | None = Field(default=None, description="postgres, mysql or mariadb.")
    version: str | None = Field(default=None, description="The engine version running.")
    arn: str | None = Field(default=None, description="The DB instance's ARN.")


class DatabaseStatus(Model):
    database: DatabaseInfo | None = None


# -- names --------------------------------------------------------------------------------------


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


# -- the network --------------------------------------------------------------------------------


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


def resolve_placement(xr: Composite[DatabaseParameters], out: Desired) -> Placement | None:
    """Where to put the database; None while the referenced cluster is not ready to say."""
    network = xr.params.network
    if network.cluster_ref is None:
        assert network.vpc_id is not None  # the model guarantees it
        return Placement(
            network.vpc_id, tuple(network.subnet_ids), cidrs=tuple(network.allowed_cidrs)
        )
    name = network.cluster_ref.name
    kind, namespace = cluster_requirement(xr)
    where = f"{kind} {name}" + (f" in namespace {namespace}" if namespace else "")
    found = out.require("cluster", xr.api_version, kind, match_name=name, namespace=namespace)
    if found is None:
        _wait_for_cluster(out, f"waiting for Crossplane to read {where}")
        return None
    if not found:
        raise ComposeError(
            "spec.parameters.network.clusterRef.name",
            f"no {kind} named {name}" + (f" in namespace {namespace}" if namespace else ""),
        )
    cluster = ((found[0].get("status") or {}).get("cluster")) or {}
    missing = [field for field in CLUSTER_FIELDS if not cluster.get(field)]
    if missing:
        _wait_for_cluster(
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


def _wait_for_cluster(out: Desired, message: str) -> None:
    # Until the cluster says where the database lives, compose nothing new and keep what exists.
    out.hold(message)
    out.condition("DatabaseReady", False, "WaitingForCluster", message)


# -- refusing destructive changes ---------------------------------------------------------------


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


# -- compose ------------------------------------------------------------------------------------


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


def compose(xr: Composite[DatabaseParameters], out: Desired) -> None:
    p = xr.params
    validate(p)
    placement = resolve_placement(xr, out)
    refuse_destructive_changes(xr, placement)
    if placement is None:
        publish(xr, out)
        return

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

    publish(xr, out)


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


# -- status and connection details --------------------------------------------------------------


def publish(xr: Composite[DatabaseParameters], out: Desired) -> None:
    p = xr.params
    observed = xr.observed.get("instance")
    waiting_for_cluster = out.held is not None
    if observed is None:
        if not waiting_for_cluster:
            out.condition("DatabaseReady", False, "Creating", "the RDS instance is not created yet")
        return
    address = observed.at_provider("address")
    port = observed.at_provider("port") or p.engine_spec.port
    version = observed.at_provider("engineVersionActual") or observed.at_provider("engineVersion")
    out.status(
        database={
            key: value
            for key, value in {
                "identifier": identifier(xr),
                "endpoint": address,
                "port": int(port),
                "engine": observed.at_provider("engine") or p.engine,
                "version": version,
                "arn": observed.at_provider("arn"),
            }.items()
            if value is not None
        }
    )
    details = observed.connection_details
    username = _text(details.get("username")) or MASTER_USERNAME
    password = _text(details.get("password"))
    host = _text(details.get("address")) or address
    port_text = _text(details.get("port")) or str(int(port))
    if host and password:
        engine = p.engine_spec
        uri = (
            f"{engine.uri_scheme}://{quote(username, safe='')}:{quote(password, safe='')}"
            f"@{host}:{port_text}/{p.database_name}?{engine.uri_query}"
        )
        out.connection(
            host=host,
            port=port_text,
            username=username,
            password=password,
            database=p.database_name,
            uri=uri,
        )
    if waiting_for_cluster:
        return
    if observed.ready:
        out.condition(
            "DatabaseReady",
            True,
            "Available",
            f"{p.engine} is accepting TLS connections at {host}:{port_text}",
        )
    else:
        out.condition("DatabaseReady", False, "Creating", observed.not_ready_reason())


def _text(value: bytes | None) -> str | None:
    return value.decode() if value else None


def measure(p: DatabaseParameters) -> dict[str, Measure]:
    """What the Composition's policy limits: the size, and the storage it may grow to."""
    return {
        "databaseSize": Measure("spec.parameters.size", p.size),
        "storageGiB": Measure("spec.parameters.maxStorageGiB", p.max_storage),
    }


BLUEPRINT = Blueprint(
    kind="XDatabase",
    claim_kind="Database",
    description="A private, encrypted, backed-up RDS database (PostgreSQL, MySQL or MariaDB).",
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
