"""XCluster's API: the typed `spec.parameters` a developer writes and the `status` Paved reports."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from functions.kit import CommonParameters, Model

# EKS versions in standard support that Paved has been tested against; the newest is the default.
SUPPORTED_VERSIONS = ("1.31", "1.32", "1.33", "1.34")
KubernetesVersion = Literal["1.31", "1.32", "1.33", "1.34"]
DEFAULT_VERSION: KubernetesVersion = "1.34"

LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

# IAM roles and users can be EKS access entry principals.
PRINCIPAL_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$"
PrincipalArn = Annotated[str, StringConstraints(pattern=PRINCIPAL_ARN_PATTERN)]
POOL_NAME_PATTERN = r"^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$"
LABEL_KEY_PATTERN = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"


class Network(Model):
    cidr: str = Field(
        default="10.0.0.0/16",
        description=(
            "The VPC's IPv4 CIDR: private (RFC 1918 or RFC 6598), from /16 to /20. Subnets are "
            "carved out of it: one private (1/8 of the VPC) and one public (1/64) subnet per zone."
        ),
    )
    zones: int = Field(
        default=3,
        ge=2,
        le=6,
        description="How many availability zones to spread over: <region>a, <region>b, ...",
    )
    availability_zones: list[str] | None = Field(
        default=None,
        min_length=2,
        max_length=6,
        description="Exactly these zones (e.g. [eu-west-1a, eu-west-1c]) instead of `zones`.",
    )
    nat_gateways: Literal["single", "perZone"] = Field(
        default="single",
        description="One NAT gateway (cheaper) or one per zone (survives a zone outage).",
    )


class Endpoint(Model):
    public: bool = Field(default=True, description="Reach the Kubernetes API from the internet.")
    public_cidrs: list[str] = Field(
        default_factory=lambda: ["0.0.0.0/0"],
        min_length=1,
        description="Only these CIDRs may reach the public endpoint.",
    )
    private: bool = Field(default=True, description="Reach the Kubernetes API from inside the VPC.")


class Taint(Model):
    key: str = Field(pattern=LABEL_KEY_PATTERN, max_length=317, description="The taint's key.")
    value: str | None = Field(default=None, max_length=63, description="The taint's value.")
    effect: TaintEffect = Field(description="NoSchedule, PreferNoSchedule or NoExecute.")


class NodePool(Model):
    name: str = Field(
        pattern=POOL_NAME_PATTERN,
        description="Unique in the cluster: lowercase letters, digits and '-', at most 20.",
    )
    instance_types: list[str] = Field(
        default_factory=lambda: ["m7i.large"],
        min_length=1,
        description="EC2 instance types; several spread SPOT capacity over more pools.",
    )
    min_size: int = Field(default=2, ge=0, le=1000, description="Fewest nodes.")
    max_size: int = Field(default=5, ge=1, le=1000, description="Most nodes.")
    desired_size: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Nodes at creation (default minSize); after that an autoscaler owns it.",
    )
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(
        default="ON_DEMAND", description="ON_DEMAND or SPOT."
    )
    disk_size_gi_b: int = Field(
        default=50,
        ge=20,
        le=16384,
        alias="diskSizeGiB",
        description="Root volume size of each node, in GiB.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Kubernetes labels on every node."
    )
    taints: list[Taint] = Field(
        default_factory=list, description="Kubernetes taints on every node."
    )


class Access(Model):
    admins: list[PrincipalArn] = Field(
        default_factory=list,
        description="IAM role or user ARNs with cluster-admin (AmazonEKSClusterAdminPolicy).",
    )
    viewers: list[PrincipalArn] = Field(
        default_factory=list,
        description="IAM role or user ARNs with read-only access (AmazonEKSViewPolicy).",
    )


class Oidc(Model):
    issuer_url: str = Field(
        pattern=r"^https://[^\s]+$", description="The identity provider's issuer URL (https://...)."
    )
    client_id: str = Field(
        min_length=1, description="The client ID the identity provider issues tokens for."
    )
    username_claim: str = Field(
        default="email", min_length=1, description="The token claim to use as user name."
    )
    groups_claim: str = Field(
        default="groups", min_length=1, description="The token claim holding the groups."
    )
    username_prefix: str = Field(
        default="oidc:",
        description="Prefixed to user names so they cannot clash with Kubernetes' own.",
    )
    groups_prefix: str = Field(
        default="oidc:",
        description="Prefixed to group names so they cannot clash with Kubernetes' own.",
    )


class ClusterParameters(CommonParameters):
    """What the Cluster should be."""

    version: KubernetesVersion = Field(
        default=DEFAULT_VERSION,
        description="Kubernetes version of the control plane and every node pool.",
    )
    network: Network = Field(default_factory=Network, description="The VPC the cluster gets.")
    endpoint: Endpoint = Field(
        default_factory=Endpoint, description="Who can reach the Kubernetes API."
    )
    node_pools: list[NodePool] = Field(
        default_factory=lambda: [NodePool(name="default")],
        min_length=1,
        max_length=20,
        description="Managed node groups, in the private subnets.",
    )
    access: Access = Field(
        default_factory=Access, description="IAM principals that may use the cluster."
    )
    oidc: Oidc | None = Field(
        default=None,
        description="Sign in through the organisation's OpenID Connect identity provider.",
    )
    secrets_encryption: bool = Field(
        default=True, description="Encrypt Kubernetes Secrets with a composed, rotating KMS key."
    )
    logging: list[LogType] = Field(
        default_factory=lambda: ["api", "audit", "authenticator"],
        description="Control-plane log types sent to CloudWatch.",
    )


class ClusterInfo(Model):
    name: str | None = Field(default=None, description="The EKS cluster's name.")
    endpoint: str | None = Field(default=None, description="The Kubernetes API server URL.")
    version: str | None = Field(default=None, description="The Kubernetes version.")
    oidc_issuer_url: str | None = Field(
        default=None, description="The cluster's OIDC issuer (for IAM roles for service accounts)."
    )
    vpc_id: str | None = Field(default=None, description="The VPC the cluster runs in.")
    private_subnet_ids: list[str] | None = Field(
        default=None, description="Private subnets, one per zone."
    )
    public_subnet_ids: list[str] | None = Field(
        default=None, description="Public subnets, one per zone."
    )
    node_security_group_id: str | None = Field(
        default=None, description="The EKS cluster security group, attached to every managed node."
    )
    region: str | None = Field(default=None, description="The AWS region.")
    provider_config_name: str | None = Field(
        default=None,
        description="The helm and kubernetes ProviderConfig that deploy into this cluster.",
    )


class ClusterStatus(Model):
    cluster: ClusterInfo | None = None
