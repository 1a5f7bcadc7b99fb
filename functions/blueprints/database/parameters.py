"""What a developer asks for: engines, sizes, the parameters model and the status model."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator

from functions.kit import CommonParameters, Model, immutable, xrd_rules

# -- engines and sizes --------------------------------------------------------------------------

Engine = Literal["postgres", "mysql", "mariadb"]
Size = Literal["small", "medium", "large"]
Placement = Literal["aws", "cluster"]


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


# Where a client of a private database can be: RFC 1918 and RFC 6598 (carrier-grade NAT, used by
# some VPCs and VPNs). Anything else is a public address range.
PRIVATE_NETWORKS = tuple(
    ipaddress.IPv4Network(block)
    for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
IPV4_CIDR_PATTERN = r"^([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$"


def _private_cidr(value: str) -> str:
    if "/" not in value:
        raise ValueError(f"{value!r} is not a CIDR block; for one address write {value}/32")
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        raise ValueError(f"{value!r} is not a CIDR block ({error})") from None
    if isinstance(network, ipaddress.IPv6Network):
        # The instance is composed IPv4-only (networkType IPV4): an IPv6 rule would admit nobody.
        raise ValueError(f"{value} is IPv6; the database is reachable over IPv4 only")
    if network.prefixlen == 0:
        raise ValueError(f"{value} would open the database to the whole internet")
    if not any(network.subnet_of(private) for private in PRIVATE_NETWORKS):
        raise ValueError(
            f"{value} is not a private range: only blocks inside 10.0.0.0/8, 172.16.0.0/12, "
            "192.168.0.0/16 (RFC 1918) or 100.64.0.0/10 (RFC 6598) may connect"
        )
    return network.with_prefixlen


# The API server checks the format; the function also says why a block is refused.
Cidr = Annotated[
    str,
    AfterValidator(_private_cidr),
    WithJsonSchema({"type": "string", "pattern": IPV4_CIDR_PATTERN}),
]

# hh24:mi, and ddd:hh24:mi for the weekly maintenance window (RDS's formats, UTC).
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]"
_DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
BACKUP_WINDOW_PATTERN = f"^{_TIME}-{_TIME}$"
MAINTENANCE_WINDOW_PATTERN = f"^{_DAY}:{_TIME}-{_DAY}:{_TIME}$"


NamespaceName = Annotated[
    str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", min_length=1, max_length=63)
]


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
        description=(
            "Private IPv4 CIDR blocks (RFC 1918 or RFC 6598) allowed to connect on the engine port."
        ),
    )
    allowed_namespaces: list[NamespaceName] = Field(
        default_factory=list,
        max_length=64,
        description=(
            "placement cluster only: namespaces of the cluster whose pods may connect (nothing "
            "else can). At least one."
        ),
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
            if self.allowed_namespaces:
                raise ValueError("allowedNamespaces is for placement cluster, with clusterRef")
        if len(set(self.allowed_namespaces)) != len(self.allowed_namespaces):
            raise ValueError("allowedNamespaces lists the same namespace twice")
        return self


class DatabaseParameters(CommonParameters):
    """What the Database should be."""

    placement: Placement = Field(
        default="aws",
        description=(
            "aws: an RDS instance. cluster: PostgreSQL run by CloudNativePG in the Paved cluster "
            "network.clusterRef names (postgres only; the cluster must enable "
            "platform.cloudnativePg). Cannot change later."
        ),
        json_schema_extra=xrd_rules(immutable("placement")),
    )
    engine: Engine = Field(
        default="postgres",
        description="postgres, mysql or mariadb. Cannot change later.",
        json_schema_extra=xrd_rules(immutable("engine")),
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
        json_schema_extra=xrd_rules(immutable("databaseName")),
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
        json_schema_extra=xrd_rules(immutable("kmsKeyArn")),
    )
    performance_insights: bool = Field(
        default=False, description="Enable Performance Insights (7 days, encrypted)."
    )
    maintenance_window: str | None = Field(
        default=None,
        pattern=MAINTENANCE_WINDOW_PATTERN,
        description=(
            "Weekly maintenance window in UTC, ddd:hh24:mi-ddd:hh24:mi, e.g. sun:03:00-sun:04:00; "
            "at least 30 minutes."
        ),
    )
    backup_window: str | None = Field(
        default=None,
        pattern=BACKUP_WINDOW_PATTERN,
        description=(
            "Daily backup window in UTC, hh24:mi-hh24:mi, e.g. 01:00-02:00; at least 30 minutes, "
            "not overlapping the maintenance window."
        ),
    )
    apply_immediately: bool = Field(
        default=True,
        description=(
            "Apply changes (instance class, storage, version, parameter group) at once, which may "
            "restart the database; false defers them to the maintenance window."
        ),
    )
    network: Network = Field(description="Where the database lives and who may connect to it.")

    @model_validator(mode="before")
    @classmethod
    def _cluster_placement_needs_a_cluster(cls, data: Any) -> Any:
        # Before the network's own rules, which would ask for a VPC instead.
        if isinstance(data, dict) and data.get("placement") == "cluster":
            network = data.get("network")
            if not isinstance(network, dict) or not network.get("clusterRef"):
                raise ValueError("placement cluster needs network.clusterRef: the Paved cluster")
        return data

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
    placement: Placement | None = Field(default=None, description="aws or cluster.")
    identifier: str | None = Field(default=None, description="The RDS DB instance identifier.")
    endpoint: str | None = Field(default=None, description="Host name to connect to.")
    port: int | None = Field(default=None, description="Port to connect to.")
    engine: str | None = Field(default=None, description="postgres, mysql or mariadb.")
    version: str | None = Field(default=None, description="The engine version running.")
    arn: str | None = Field(default=None, description="The DB instance's ARN.")
    instances: int | None = Field(
        default=None, description="placement cluster: PostgreSQL instances (primary and standbys)."
    )
    namespace: str | None = Field(
        default=None, description="placement cluster: the database's namespace in the cluster."
    )


class DatabaseStatus(Model):
    database: DatabaseInfo | None = None
