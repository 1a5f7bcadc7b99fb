"""XCluster's API: the typed `spec.parameters` a developer writes and the `status` Paved reports."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from functions.kit import CommonParameters, Model, cel, immutable, xrd_rules
from functions.resources.eks_addons import ADDON_VERSION_PATTERN

from .platform.parameters import PlatformParameters, PlatformStatus

# EKS versions in standard support that Paved has been tested against; the newest is the default.
SUPPORTED_VERSIONS = ("1.31", "1.32", "1.33", "1.34")
KubernetesVersion = Literal["1.31", "1.32", "1.33", "1.34"]
DEFAULT_VERSION: KubernetesVersion = "1.34"

LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
DEFAULT_LOG_TYPES: tuple[LogType, ...] = ("api", "audit", "authenticator")
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

# IAM roles and users can be EKS access entry principals.
PRINCIPAL_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$"
PrincipalArn = Annotated[str, StringConstraints(pattern=PRINCIPAL_ARN_PATTERN)]
Isolation = Literal["dedicated", "vcluster", "namespace"]
# Tenants sign in through the host's OIDC provider: "group:<name>" or "user:<name>".
TENANT_SUBJECT_PATTERN = r"^(group|user):[^\s:][^\s]{0,252}$"
POOL_NAME_PATTERN = r"^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$"
LABEL_KEY_PATTERN = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
LABEL_VALUE_PATTERN = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
# EKS: label keys and values 1-63 characters, taint keys 1-63, taint values 0-63
# (API_UpdateLabelsPayload.html, API_Taint.html), at most 50 taints per node group.
EKS_LABEL_MAX = 63
MAX_TAINTS = 50
MAX_LABELS = 49
# family.size: m7i.large, c6gn.16xlarge, m7i-flex.xlarge, u-6tb1.metal, m5zn.metal, c7i.metal-24xl.
INSTANCE_TYPE_PATTERN = (
    r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\."
    r"(nano|micro|small|medium|large|xlarge|[1-9][0-9]*xlarge|metal(-[1-9][0-9]*xl)?)$"
)
InstanceType = Annotated[str, StringConstraints(pattern=INSTANCE_TYPE_PATTERN, max_length=40)]
# Kubernetes reserves the kubernetes.io and k8s.io label namespaces; a kubelet may set only these
# labels in them (k8s.io/api/core/v1/well_known_labels.go and kubelet's --node-labels check), and
# EKS passes a node group's labels to the kubelet.
RESERVED_LABEL_DOMAINS = ("kubernetes.io", "k8s.io")
KUBELET_LABEL_DOMAINS = ("kubelet.kubernetes.io", "node.kubernetes.io")
KUBELET_LABELS = (
    "beta.kubernetes.io/arch",
    "beta.kubernetes.io/instance-type",
    "beta.kubernetes.io/os",
    "failure-domain.beta.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "kubernetes.io/arch",
    "kubernetes.io/hostname",
    "kubernetes.io/os",
    "node.kubernetes.io/instance-type",
    "topology.kubernetes.io/region",
    "topology.kubernetes.io/zone",
)


def _in_domain(prefix: str, domains: tuple[str, ...]) -> bool:
    return any(prefix == d or prefix.endswith("." + d) for d in domains)


def reserved_label(key: str) -> bool:
    """Whether a kubelet refuses `key` as a node label (e.g. node-restriction.kubernetes.io/x)."""
    prefix, slash, _ = key.partition("/")
    if not slash or key in KUBELET_LABELS:
        return False
    return _in_domain(prefix, RESERVED_LABEL_DOMAINS) and not _in_domain(
        prefix, KUBELET_LABEL_DOMAINS
    )


def _domains_regex(domains: tuple[str, ...]) -> str:
    """RE2 matching a key whose prefix is one of `domains` or a subdomain of one."""
    alternatives = "|".join(d.replace(".", "[.]") for d in domains)
    return f"^([^/]*[.])?({alternatives})/"


RESERVED_LABEL_RULE = (
    "self.all(k, k in ["
    + ", ".join(f"'{label}'" for label in KUBELET_LABELS)
    + f"] || !k.matches('{_domains_regex(RESERVED_LABEL_DOMAINS)}')"
    + f" || k.matches('{_domains_regex(KUBELET_LABEL_DOMAINS)}'))"
)
RESERVED_PREFIX = "system:"


NODE_POOL_LABEL = "paved.dev/node-pool"


def _rules(rule: str, message: str) -> dict[str, Any]:
    """`json_schema_extra` with one CEL rule for the XRD."""
    return xrd_rules(cel(rule, message))


class Network(Model):
    cidr: str = Field(
        default="10.0.0.0/16",
        description=(
            "The VPC's IPv4 CIDR: private (RFC 1918 or RFC 6598), from /16 to /20. Subnets are "
            "carved out of it: one private (1/8 of the VPC) and one public (1/64) subnet per zone. "
            "Cannot be changed."
        ),
        json_schema_extra=_rules(
            "self == oldSelf",
            "network.cidr cannot be changed: AWS would replace the VPC and the cluster in it",
        ),
    )
    zones: int = Field(
        default=3,
        ge=2,
        le=6,
        description=(
            "How many availability zones to spread over: <region>a, <region>b, ... Zones can be "
            "added later, not removed."
        ),
        json_schema_extra=_rules(
            "self >= oldSelf",
            "zones can be added, not removed: their subnets hold nodes and the control plane",
        ),
    )
    availability_zones: list[str] | None = Field(
        default=None,
        min_length=2,
        max_length=6,
        description=(
            "Exactly these zones (e.g. [eu-west-1a, eu-west-1c]) instead of `zones`. Zones can be "
            "added later, not removed."
        ),
        json_schema_extra=_rules(
            "oldSelf.all(z, z in self)",
            "zones can be added, not removed: their subnets hold nodes and the control plane",
        ),
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
        # EKS quota "Public endpoint access CIDR ranges per cluster": 40, not adjustable.
        max_length=40,
        description="Only these IPv4 CIDRs (at most 40) may reach the public endpoint.",
    )
    private: bool = Field(default=True, description="Reach the Kubernetes API from inside the VPC.")


class Taint(Model):
    key: str = Field(
        pattern=LABEL_KEY_PATTERN,
        min_length=1,
        max_length=EKS_LABEL_MAX,
        description="The taint's key (a Kubernetes label key, at most 63 characters for EKS).",
    )
    value: str | None = Field(
        default=None,
        pattern=LABEL_VALUE_PATTERN,
        max_length=EKS_LABEL_MAX,
        description="The taint's value (a Kubernetes label value).",
    )
    effect: TaintEffect = Field(description="NoSchedule, PreferNoSchedule or NoExecute.")


class NodePool(Model):
    name: str = Field(
        pattern=POOL_NAME_PATTERN,
        description="Unique in the cluster: lowercase letters, digits and '-', at most 20.",
    )
    instance_types: list[InstanceType] = Field(
        default_factory=lambda: ["m7i.large"],
        min_length=1,
        max_length=20,
        description=(
            "EC2 instance types (family.size, e.g. m7i.large), all of one architecture; several "
            "spread SPOT capacity over more pools. Changing them replaces the pool's node group."
        ),
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
    disk_size_gib: int = Field(
        default=50,
        ge=20,
        le=16384,
        alias="diskSizeGiB",
        description="Root volume size of each node, in GiB.",
    )
    labels: dict[
        str,
        Annotated[
            str,
            StringConstraints(pattern=LABEL_VALUE_PATTERN, min_length=1, max_length=EKS_LABEL_MAX),
        ],
    ] = Field(
        default_factory=dict,
        # EKS documents no count limit; a bound keeps the XRD's CEL rules' cost bounded.
        max_length=MAX_LABELS,
        description=(
            "Kubernetes labels on every node (at most 49; Paved adds paved.dev/node-pool): keys "
            "and values up to 63 characters, not in the "
            "reserved kubernetes.io/ and k8s.io/ namespaces (except node.kubernetes.io/ and "
            "kubelet.kubernetes.io/)."
        ),
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "self.all(k, k.size() <= 63 && k.matches('" + LABEL_KEY_PATTERN + "'))",
                    "message": "label keys must be Kubernetes label keys of at most 63 characters",
                },
                {
                    "rule": RESERVED_LABEL_RULE,
                    "message": "labels in the kubernetes.io/ and k8s.io/ namespaces are reserved "
                    "(node.kubernetes.io/ and kubelet.kubernetes.io/ are allowed)",
                },
            ]
        },
    )
    taints: list[Taint] = Field(
        default_factory=list,
        max_length=MAX_TAINTS,
        description="Kubernetes taints on every node (at most 50).",
    )

    @field_validator("labels")
    @classmethod
    def _node_labels(cls, labels: dict[str, str]) -> dict[str, str]:
        for key in labels:
            if not re.match(LABEL_KEY_PATTERN, key) or len(key) > EKS_LABEL_MAX:
                raise ValueError(
                    f"{key[:80]!r} is not a Kubernetes label key of at most {EKS_LABEL_MAX} "
                    "characters"
                )
            if reserved_label(key):
                raise ValueError(
                    f"{key!r} is in a namespace Kubernetes reserves (kubernetes.io/, k8s.io/): "
                    "the kubelet refuses it; node.kubernetes.io/ and kubelet.kubernetes.io/ "
                    "labels are allowed"
                )
            if key == NODE_POOL_LABEL:
                raise ValueError(f"{key!r} is set by Paved to the pool's name")
        return labels


AccessSubject = Annotated[
    str,
    StringConstraints(
        pattern=f"^(?:{PRINCIPAL_ARN_PATTERN[1:-1]}|{TENANT_SUBJECT_PATTERN[1:-1]})$"
    ),
]


class Access(Model):
    admins: list[AccessSubject] = Field(
        default_factory=list,
        description="dedicated: IAM role or user ARNs with cluster-admin "
        "(AmazonEKSClusterAdminPolicy). vcluster and namespace: OIDC subjects, group:<name> or "
        "user:<name>, bound to the admin role of the tenant.",
    )
    viewers: list[AccessSubject] = Field(
        default_factory=list,
        description="dedicated: IAM role or user ARNs with read-only access "
        "(AmazonEKSViewPolicy). vcluster and namespace: OIDC subjects bound to view.",
    )


_NOT_SYSTEM = (
    "!self.startsWith('system:')",
    "names starting with system: are reserved for Kubernetes itself",
)


class AddonVersions(Model):
    """An explicit EKS add-on version instead of Paved's table for the cluster's version."""

    vpc_cni: str | None = Field(default=None, pattern=ADDON_VERSION_PATTERN, description="vpc-cni.")
    kube_proxy: str | None = Field(
        default=None, pattern=ADDON_VERSION_PATTERN, description="kube-proxy."
    )
    coredns: str | None = Field(default=None, pattern=ADDON_VERSION_PATTERN, description="coredns.")
    eks_pod_identity_agent: str | None = Field(
        default=None, pattern=ADDON_VERSION_PATTERN, description="eks-pod-identity-agent."
    )
    aws_ebs_csi_driver: str | None = Field(
        default=None, pattern=ADDON_VERSION_PATTERN, description="aws-ebs-csi-driver."
    )

    def get(self, addon: str) -> str | None:
        value = getattr(self, addon.replace("-", "_"))
        return value if isinstance(value, str) else None


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
        min_length=1,
        description=(
            "Prefixed to user names so they cannot clash with Kubernetes' own (not system:)."
        ),
        json_schema_extra=_rules(*_NOT_SYSTEM),
    )
    groups_prefix: str = Field(
        default="oidc:",
        min_length=1,
        description=(
            "Prefixed to group names so they cannot clash with Kubernetes' own (not system:)."
        ),
        json_schema_extra=_rules(*_NOT_SYSTEM),
    )

    @field_validator("username_prefix", "groups_prefix")
    @classmethod
    def _not_system(cls, prefix: str) -> str:
        if prefix.startswith(RESERVED_PREFIX):
            raise ValueError(
                f"{prefix!r}: names starting with system: are reserved for Kubernetes itself"
            )
        return prefix


QUANTITY_PATTERN = r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$"
Quantity = Annotated[str, StringConstraints(pattern=QUANTITY_PATTERN, max_length=32)]


class ClusterRef(Model):
    name: str = Field(
        min_length=1,
        max_length=253,
        description="The host Cluster's name (claim mode: a Cluster claim in this namespace; "
        "namespaced mode: an XCluster in this namespace).",
    )


class Host(Model):
    cluster_ref: ClusterRef = Field(
        description="The dedicated Cluster this tenant lives on: it must be Ready, of isolation "
        "dedicated, in the same region, with oidc configured."
    )


class Quota(Model):
    cpu: Quantity = Field(default="4", description="CPU the tenant's pods may request in total.")
    memory: Quantity = Field(
        default="16Gi", description="Memory the tenant's pods may request in total."
    )
    pods: int = Field(default=50, ge=1, le=10000, description="Most pods at a time.")
    storage: Quantity = Field(
        default="100Gi", description="Persistent volume storage the tenant may claim in total."
    )


# Fields that describe a cluster of its own: refused for tenants (they have no default in the
# XRD, so the API server only sees them when a developer wrote them).
DEDICATED_ONLY = (
    "network",
    "endpoint",
    "nodePools",
    "oidc",
    "logging",
    "platform",
    "addonVersions",
)


def _tenancy_rules() -> list[dict[str, str]]:
    rules = [
        cel(
            f"!has(self.{field}) || !has(self.isolation) || self.isolation == 'dedicated'",
            f"{field} is only for isolation dedicated: a tenant runs on its host's",
            field_path=f".{field}",
        )
        for field in DEDICATED_ONLY
    ]
    rules += [
        cel(
            "has(self.host) == (has(self.isolation) && self.isolation != 'dedicated')",
            "host is required for isolation vcluster and namespace, and only for them",
            field_path=".host",
        ),
        cel(
            "!has(self.quota) || (has(self.isolation) && self.isolation != 'dedicated')",
            "quota is only for isolation vcluster and namespace",
            field_path=".quota",
        ),
    ]
    return rules


class ClusterParameters(CommonParameters):
    """What the Cluster should be."""

    model_config = ConfigDict(json_schema_extra=xrd_rules(*_tenancy_rules()))

    isolation: Isolation = Field(
        default="dedicated",
        description=(
            "dedicated: an EKS cluster of its own (strongest isolation, highest cost); vcluster: "
            "a virtual cluster on a host Cluster (tenant is vCluster admin); namespace: a "
            "namespace on a host Cluster (cheapest, tenant restricted to it). Cannot change."
        ),
        json_schema_extra=xrd_rules(immutable("isolation")),
    )
    host: Host | None = Field(
        default=None,
        description="vcluster and namespace only: the Cluster to run on. Cannot change.",
        json_schema_extra=xrd_rules(immutable("host")),
    )
    quota: Quota | None = Field(
        default=None,
        description="vcluster and namespace only: what the tenant may use of the host "
        "(defaults apply when omitted).",
    )

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
        description=(
            "Sign in through the organisation's OpenID Connect identity provider. EKS cannot "
            "change it: remove it, wait until it is gone, then add the new one."
        ),
        json_schema_extra=_rules(
            "self == oldSelf",
            "oidc cannot be changed in place: remove it, wait until it is gone, then add it anew",
        ),
    )
    addon_versions: AddonVersions = Field(
        default_factory=AddonVersions,
        description=(
            "Pin an EKS add-on to a version (e.g. coredns: v1.12.4-eksbuild.1). By default each "
            "add-on follows Paved's table for the version the control plane runs."
        ),
    )
    secrets_encryption: bool = Field(
        default=True, description="Encrypt Kubernetes Secrets with a composed, rotating KMS key."
    )
    logging: list[LogType] = Field(
        default_factory=lambda: list(DEFAULT_LOG_TYPES),
        description="Control-plane log types sent to CloudWatch.",
    )
    platform: PlatformParameters = Field(
        default_factory=PlatformParameters,
        description="What is installed into the cluster: GitOps, policy, ingress, certificates, "
        "secrets, metrics and monitoring.",
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
    certificate_authority_data: str | None = Field(
        default=None, description="The API server's CA certificate (base64), for kubeconfigs."
    )
    isolation: Isolation | None = Field(default=None, description="How the cluster is isolated.")
    namespace: str | None = Field(
        default=None, description="vcluster and namespace: the tenant's namespace on the host."
    )
    host: str | None = Field(default=None, description="vcluster and namespace: the host Cluster.")


class ClusterStatus(Model):
    cluster: ClusterInfo | None = None
    platform: PlatformStatus | None = Field(
        default=None, description="Each enabled platform component's version and readiness."
    )
