"""`spec.parameters.platform`: one switch and a few settings per platform component."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema

from functions.kit import Model

# Free-form Helm values: any object, kept as written (the API server must not prune it).
Values = Annotated[
    dict[str, Any],
    WithJsonSchema({"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
]
ChartVersion = Annotated[
    str, Field(pattern=r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$", max_length=64)
]
RoleArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")]

KyvernoPolicyName = Literal[
    "pod-security-baseline",
    "pod-security-restricted",
    "disallow-latest-tag",
    "require-requests",
    "require-team-labels",
]


def _enforced_by_default() -> list[KyvernoPolicyName]:
    return ["pod-security-baseline"]


def _audited_by_default() -> list[KyvernoPolicyName]:
    return [
        "pod-security-restricted",
        "disallow-latest-tag",
        "require-requests",
        "require-team-labels",
    ]


def _version_field() -> Any:
    return Field(
        default=None,
        description="Chart version to install instead of Paved's pinned, tested default.",
    )


def _values_field() -> Any:
    return Field(
        default_factory=dict,
        description="Helm values merged over Paved's (last, so they win), for platform engineers.",
    )


class Gitops(Model):
    repo_url: str = Field(
        alias="repoURL",
        min_length=1,
        max_length=2048,
        description="Git repository the cluster syncs its team's workloads from.",
    )
    path: str = Field(default=".", max_length=1024, description="Folder in the repository.")
    revision: str = Field(
        default="HEAD", min_length=1, max_length=255, description="Branch, tag or commit."
    )


class ArgoCdHub(Model):
    provider_config_name: str = Field(
        min_length=1,
        max_length=253,
        description="The kubernetes ProviderConfig that deploys into the hub cluster.",
    )
    provider_config_kind: Literal["ClusterProviderConfig", "ProviderConfig"] = Field(
        default="ClusterProviderConfig",
        description="Namespaced mode only: kind of that ProviderConfig.",
    )
    namespace: str = Field(
        default="argocd",
        pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
        description="Namespace of the hub's Argo CD.",
    )
    role_arn: RoleArn = Field(
        description=(
            "IAM role the hub's Argo CD runs as; it may assume the role Paved composes, which "
            "has an EKS access entry on this cluster (no static tokens)."
        )
    )


class ArgoCd(Model):
    enabled: bool = Field(default=True, description="Install or register with Argo CD.")
    mode: Literal["local", "hub"] = Field(
        default="local",
        description=(
            "local: Argo CD in this cluster. hub: register this cluster with the platform's "
            "central Argo CD instead (hub-and-spoke)."
        ),
    )
    hub: ArgoCdHub | None = Field(default=None, description="The hub, with mode: hub.")
    gitops: Gitops | None = Field(
        default=None, description="A bootstrap Application (app of apps) syncing from git."
    )
    version: ChartVersion | None = _version_field()
    values: Values = _values_field()


class KyvernoPolicies(Model):
    enforce: list[KyvernoPolicyName] = Field(
        default_factory=_enforced_by_default,
        description="Policies that reject what breaks them.",
    )
    audit: list[KyvernoPolicyName] = Field(
        default_factory=_audited_by_default,
        description="Policies that only report what breaks them. A policy in neither list is off.",
    )
    team_labels: list[
        Annotated[str, Field(pattern=r"^([a-z0-9.-]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    ] = Field(
        default_factory=lambda: ["team"],
        min_length=1,
        description="Labels require-team-labels asks every Pod for.",
    )


class Kyverno(Model):
    enabled: bool = Field(default=True, description="Install Kyverno and its policy set.")
    policies: KyvernoPolicies = Field(
        default_factory=KyvernoPolicies, description="Which policies enforce, audit or are off."
    )
    version: ChartVersion | None = _version_field()
    values: Values = _values_field()


class LoadBalancerController(Model):
    enabled: bool = Field(
        default=True, description="Install the AWS Load Balancer Controller (Pod Identity role)."
    )
    version: ChartVersion | None = _version_field()
    values: Values = _values_field()


class LetsEncrypt(Model):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="ACME account e-mail.")
    staging: bool = Field(
        default=False, description="Use Let's Encrypt's staging server (untrusted certificates)."
    )
    ingress_class_name: str = Field(
        default="alb", min_length=1, description="Ingress class solving HTTP-01 challenges."
    )


class CertManager(Model):
    enabled: bool = Field(default=True, description="Install cert-manager.")
    lets_encrypt: LetsEncrypt | None = Field(
        default=None, description="A Let's Encrypt ClusterIssuer."
    )
    version: ChartVersion | None = _version_field()
    values: Values = _values_field()


class ExternalSecrets(Model):
    enabled: bool = Field(
        default=True, description="Install External Secrets Operator and a ClusterSecretStore."
    )
    secrets_prefix: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9/_+=.@-]+/$",
        max_length=256,
        description=(
            "Secrets Manager names the operator may read start with this (default "
            "<namespace>/<name>/ of this cluster); ends with '/'."
        ),
    )
    version: ChartVersion | None = _version_field()
    values: Values = _values_field()


class MetricsServer(Model):
    enabled: bool = Field(default=True, description="Install metrics-server.")
    version: ChartVersion | None = _version_field()
    values: Values = _values_field()


class Monitoring(Model):
    enabled: bool = Field(default=False, description="Install monitoring.")
    remote_write_url: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        max_length=2048,
        description=(
            "Run a Prometheus agent that remote-writes here instead of a full Prometheus stack."
        ),
    )
    version: ChartVersion | None = _version_field()
    values: Values = _values_field()


class CloudNativePg(Model):
    enabled: bool = Field(
        default=False, description="Install the CloudNativePG operator (PostgreSQL in-cluster)."
    )
    version: ChartVersion | None = _version_field()
    values: Values = _values_field()


class PlatformParameters(Model):
    argocd: ArgoCd = Field(default_factory=ArgoCd, description="Argo CD (GitOps).")
    kyverno: Kyverno = Field(default_factory=Kyverno, description="Kyverno admission policies.")
    load_balancer_controller: LoadBalancerController = Field(
        default_factory=LoadBalancerController, description="AWS Load Balancer Controller."
    )
    cert_manager: CertManager = Field(default_factory=CertManager, description="cert-manager.")
    external_secrets: ExternalSecrets = Field(
        default_factory=ExternalSecrets, description="External Secrets Operator."
    )
    metrics_server: MetricsServer = Field(
        default_factory=MetricsServer, description="metrics-server."
    )
    monitoring: Monitoring = Field(
        default_factory=Monitoring, description="Prometheus stack or agent."
    )
    cloudnative_pg: CloudNativePg = Field(
        default_factory=CloudNativePg, description="CloudNativePG operator."
    )


class ComponentStatus(Model):
    version: str | None = Field(default=None, description="Chart version installed.")
    ready: bool = Field(default=False, description="Installed and ready.")


class PlatformStatus(Model):
    argocd: ComponentStatus | None = None
    kyverno: ComponentStatus | None = None
    load_balancer_controller: ComponentStatus | None = None
    cert_manager: ComponentStatus | None = None
    external_secrets: ComponentStatus | None = None
    metrics_server: ComponentStatus | None = None
    monitoring: ComponentStatus | None = None
    cloudnative_pg: ComponentStatus | None = None
